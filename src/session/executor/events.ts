/** The Executor's event stream: the loop's domain events and the store's, in one union. */
import type { LoopEmitted } from '../../../machines/loop.contracts.js';
import type { StoreEvent } from '../../store/index.js';

/**
 * Both unions are discriminated by `type` and their names do not overlap
 * (`stage.*`, `llm.usage`, `tool.batch` against the store's `tool.*` per call
 * and `audit.failed`), so one `type` switch tells them apart.
 */
export type ExecutorEvent = LoopEmitted | StoreEvent;
