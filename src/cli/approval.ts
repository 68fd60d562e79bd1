/**
 * `--approval on-request` at a terminal: the person running nerdloop is asked,
 * one question at a time, before an action the policy will not allow on its own.
 */
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import type { ApprovalHook, ApprovalRequest } from '../store/index.js';

/** How much of a call's arguments the question shows. */
const SHOWN_ARGUMENT_CHARS = 300;

export function createTerminalApproval(streams: {
  readonly input: Readable;
  readonly output: Writable;
}): ApprovalHook {
  // Tool calls of one batch run concurrently; questions must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  return (request) => {
    const answer = queue.then(() => ask(streams, request));
    queue = answer.catch(() => undefined);
    return answer;
  };
}

async function ask(
  streams: { readonly input: Readable; readonly output: Writable },
  request: ApprovalRequest,
): Promise<{ approved: boolean; note?: string }> {
  const lines = createInterface({ input: streams.input, output: streams.output, terminal: false });
  try {
    const args = JSON.stringify(request.args);
    const shown =
      args.length > SHOWN_ARGUMENT_CHARS ? `${args.slice(0, SHOWN_ARGUMENT_CHARS)}…` : args;
    const reply = await lines.question(
      `\nallow ${request.tool} ${shown}? (${request.reasons.join(', ')}) [y/N] `,
      { signal: request.signal },
    );
    const approved = /^\s*y(es)?\s*$/i.test(reply);
    return approved ? { approved, note: 'approved at the terminal' } : { approved };
  } catch {
    // The run was cancelled while asking, or the input closed: nobody said yes.
    return { approved: false, note: 'no answer' };
  } finally {
    lines.close();
  }
}
