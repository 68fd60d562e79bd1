/**
 * EXECUTE: a batch of tool calls through the VirtualStore, a few at a time,
 * answered in call order. Nothing here throws for what the model asked: bad
 * arguments, tools it was not offered and calls that ran out of time come back
 * to it as tool errors.
 */
import type { LoopToolResult, ToolCall } from '../../../machines/loop.contracts.js';
import { type Clock, deadline, NerdloopError, toolResultText } from '../../core/index.js';
import type { AgentConfig } from '../../prompt/index.js';
import type { VirtualStore } from '../../store/index.js';

export const DEFAULT_TOOL_CONCURRENCY = 4;

/** A tool call that outlived its AgentConfig's `toolTimeoutMs`; the model gets it as a tool error. */
export class ToolTimeoutError extends NerdloopError {
  readonly code = 'loop_tool_timeout';
}

export type ToolBatchOptions = {
  readonly store: VirtualStore;
  /** The names the model was offered this run; a call to any other tool is refused. */
  readonly offered: ReadonlySet<string>;
  /**
   * The run's AgentConfig: the store judges each call as its persona, under
   * its policy (which can only tighten the store's own mode), and each call
   * gets `toolTimeoutMs`.
   */
  readonly config: Pick<AgentConfig, 'persona' | 'policy' | 'toolTimeoutMs'>;
  /** Times `toolTimeoutMs`: the Executor's clock, so a simulated one drives it in tests. */
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  readonly concurrency: number;
  /** The run's signal (timeout, CANCEL): it aborts every call. */
  readonly signal: AbortSignal;
};

export async function runToolBatch(
  calls: readonly ToolCall[],
  options: ToolBatchOptions,
): Promise<LoopToolResult[]> {
  return mapLimited(calls, options.concurrency, (call) => runToolCall(call, options));
}

async function runToolCall(call: ToolCall, options: ToolBatchOptions): Promise<LoopToolResult> {
  if (call.parseError !== undefined)
    return refusal(call, 'loop_invalid_arguments', call.parseError);
  // The store would run any tool it has; the routing rules chose fewer for this intent.
  if (!options.offered.has(call.name))
    return refusal(
      call,
      'loop_tool_not_offered',
      `${call.name} is not among the tools offered for this task (${[...options.offered].join(', ') || 'none'})`,
    );
  const { config } = options;
  // A sub-agent has the loop's own limits; toolTimeoutMs would cut its whole task short.
  const limitMs = options.store.selfTimed(call.name) ? undefined : config.toolTimeoutMs;
  const callDeadline = deadline({
    parent: options.signal,
    ms: limitMs,
    clock: options.clock,
    reason: () => new ToolTimeoutError(`the tool call ran out of its ${limitMs} ms`),
  });
  try {
    const outcome = await options.store.call(call.name, call.arguments, {
      signal: callDeadline.signal,
      callId: call.id,
      persona: config.persona,
      mode: config.policy,
      // The limit is the tool's: it starts once the gate has let the call
      // through, so the time a person takes to approve it does not count.
      onPermitted: () => callDeadline.start(),
    });
    // The store answers once the tool has stopped (run_command kills its process
    // group on abort). A run that was cancelled keeps the store's own outcome.
    if (callDeadline.expired && !options.signal.aborted) {
      const timeout = new ToolTimeoutError(
        `${call.name} did not finish within its ${config.toolTimeoutMs} ms limit (toolTimeoutMs) and was stopped; what it returned: ${toolResultText(outcome)}`,
        { details: { tool: call.name, toolTimeoutMs: config.toolTimeoutMs } },
      );
      return refusal(call, timeout.code, timeout.message);
    }
    // A ToolOutcome is already a LoopToolResult (the loop's contract mirrors the store's).
    return outcome;
  } finally {
    callDeadline.dispose();
  }
}

function refusal(call: ToolCall, code: string, message: string): LoopToolResult {
  return { callId: call.id, tool: call.name, ok: false, error: { code, message } };
}

/** `run` over `items` with at most `limit` in flight; results keep the items' order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  const queue = items.map((item, index) => ({ item, index }));
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      results[next.index] = await run(next.item, next.index);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
