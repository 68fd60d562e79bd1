/**
 * The Executor: the loop machine run with real stages (transducer, kernel,
 * JIT compiler, model, VirtualStore), one task at a time, with a persistent
 * conversation and one event stream.
 */
export {
  ExecutorBusyError,
  InvalidExecutorOptionsError,
  LoopCrashedError,
  StageInputError,
  StageOutputError,
} from './errors.js';
export type { ExecutorEvent } from './events.js';
export {
  createExecutor,
  Executor,
  type ExecutorOptions,
  type ProcessOptions,
} from './executor.js';
export {
  type CountTokens,
  CUT_MARKER,
  countHistoryTokens,
  countMessageTokens,
  createHistoryCompressor,
  DEFAULT_HISTORY_BUDGET,
  type HistoryCompressionContext,
  HistoryCompressionTimeoutError,
  type HistoryCompressor,
  type HistoryCompressorOptions,
  historyAfterRun,
  historyCompressorOptionsSchema,
  keepWholeHistory,
  MESSAGE_OVERHEAD_TOKENS,
  SUMMARY_NOTE_PREFIX,
} from './history.js';
export {
  type ExecutionResult,
  type ExecutionStatus,
  executionResultSchema,
  executionStatusSchema,
} from './result.js';
export { Orientation } from './stages.js';
export { DEFAULT_TOOL_CONCURRENCY, mapLimited } from './tools.js';
