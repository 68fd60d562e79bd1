/**
 * EXECUTE: a batch of tool calls through the VirtualStore, a few at a time,
 * answered in call order. Nothing here throws for what the model asked: bad
 * arguments and tools it was not offered come back to it as tool errors.
 */
import type { LoopToolResult, ToolCall } from '../../../machines/loop.contracts.js';
import type { VirtualStore } from '../../store/index.js';

export const DEFAULT_TOOL_CONCURRENCY = 4;

export type ToolBatchOptions = {
  readonly store: VirtualStore;
  /** The names the model was offered this run; a call to any other tool is refused. */
  readonly offered: ReadonlySet<string>;
  readonly concurrency: number;
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
  const outcome = await options.store.call(call.name, call.arguments, {
    signal: options.signal,
    callId: call.id,
  });
  // A ToolOutcome is already a LoopToolResult (the loop's contract mirrors the store's).
  return outcome;
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
