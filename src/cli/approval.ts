/**
 * `--approval on-request` at a terminal: the person running nerdloop is asked,
 * one question at a time, before an action the policy will not allow on its own.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { endWith, firstValueFrom, fromEvent, map, merge, Subject } from 'rxjs';
import type { ApprovalAnswer, ApprovalHook, ApprovalRequest } from '../store/index.js';

/** How much of a call's arguments the question shows. */
const SHOWN_ARGUMENT_CHARS = 300;

export type TerminalApproval = {
  /** The hook that asks (`RunOptions.ask`); its questions never overlap. */
  readonly ask: ApprovalHook;
  /**
   * Stops reading the input, so it no longer keeps the process alive; the
   * open question and every later one are denied. Call it when the run ends.
   */
  close(): void;
};

type Reply =
  | { readonly kind: 'answered'; readonly text: string }
  | { readonly kind: 'withdrawn' }
  | { readonly kind: 'input_closed' };

/**
 * Asks at a terminal. The input is read for the whole run, by one reader: a
 * line typed while no question is open (an answer to a question that was
 * withdrawn, a stray Enter) is dropped, never taken as the answer to the next
 * question, which may be about a different action. When the input ends
 * (Ctrl-D) or `close()` is called, nobody can answer any more: the open
 * question and every later one are denied.
 */
export function createTerminalApproval(streams: {
  readonly input: Readable;
  readonly output: Writable;
}): TerminalApproval {
  const reader = createInterface({ input: streams.input, terminal: false });
  // Hot: a line is seen only by a question open when it arrives.
  const lines$ = new Subject<string>();
  let inputClosed = false;
  reader.on('line', (line) => lines$.next(line));
  reader.on('close', () => {
    inputClosed = true;
    lines$.complete();
  });

  const askOne = async (request: ApprovalRequest): Promise<ApprovalAnswer> => {
    // Not shown at all: nobody could answer, or nobody waits for the answer.
    if (inputClosed) return { approved: false, note: 'no answer: the input is closed' };
    if (request.signal.aborted) return { approved: false, note: 'no answer' };
    // Subscribed before the question is shown, so no line can slip in between.
    const reply = firstValueFrom(
      merge(
        lines$.pipe(
          map((text): Reply => ({ kind: 'answered', text })),
          endWith<Reply>({ kind: 'input_closed' }),
        ),
        fromEvent(request.signal, 'abort').pipe(map((): Reply => ({ kind: 'withdrawn' }))),
      ),
    );
    streams.output.write(question(request));
    const answer = await reply;
    switch (answer.kind) {
      case 'answered':
        return /^\s*y(es)?\s*$/i.test(answer.text)
          ? { approved: true, note: 'approved at the terminal' }
          : { approved: false };
      case 'withdrawn':
        // The run was cancelled, or stopped waiting: a late "y" must be typed to nothing.
        streams.output.write(`\n(question withdrawn: ${request.tool} was not allowed)\n`);
        return { approved: false, note: 'no answer' };
      case 'input_closed':
        streams.output.write('\n(no more input: not allowed)\n');
        return { approved: false, note: 'no answer: the input is closed' };
    }
  };

  // Tool calls of one batch run concurrently; questions must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ask: (request) => {
      const answer = queue.then(() => askOne(request));
      queue = answer.catch(() => undefined);
      return answer;
    },
    close: () => reader.close(),
  };
}

function question(request: ApprovalRequest): string {
  const args = JSON.stringify(request.args);
  const shown =
    args.length > SHOWN_ARGUMENT_CHARS ? `${args.slice(0, SHOWN_ARGUMENT_CHARS)}…` : args;
  return `\nallow ${request.tool} ${shown}? (${request.reasons.join(', ')}) [y/N] `;
}
