/**
 * Follows the planned tasks through the runtime's events and decides when each
 * has ended and whether it ended as planned. No I/O: the demo feeds it events.
 */
import { NerdloopError } from '../core/index.js';
import type { RuntimeEvent } from '../events/index.js';
import type { PlannedTask } from './demo-plan.js';

export type TaskRecord = PlannedTask & {
  status: 'pending' | 'running' | 'completed' | 'failed';
  attempts: number;
  failures: number;
  startedAt: number | null;
  endedAt: number | null;
  /** The result's summary when completed; why it failed otherwise. */
  detail: string;
};

export class UnplannedTaskError extends NerdloopError {
  readonly code = 'unplanned_task';
}

export const endedAsPlanned = (record: TaskRecord): boolean =>
  record.status === 'completed' && record.failures === record.expectedFailures;

export class DemoTracker {
  readonly records: TaskRecord[];
  readonly #waiters = new Map<TaskRecord, Array<() => void>>();

  constructor(plan: readonly PlannedTask[]) {
    this.records = plan.map((planned) => ({
      ...planned,
      status: 'pending',
      attempts: 0,
      failures: 0,
      startedAt: null,
      endedAt: null,
      detail: '',
    }));
  }

  get allEnded(): boolean {
    return this.records.every(isEnded);
  }

  /** Resolves once the task has ended, however it ended. */
  ended(agent: string, taskId: string): Promise<TaskRecord> {
    const record = this.#find(agent, taskId);
    if (!record)
      return Promise.reject(new UnplannedTaskError(`no planned task ${taskId} on ${agent}`));
    if (isEnded(record)) return Promise.resolve(record);
    return new Promise((resolve) => this.#wait(record, () => resolve(record)));
  }

  /** Resolves once every planned task has ended. */
  async allSettled(): Promise<TaskRecord[]> {
    await Promise.all(this.records.map((record) => this.ended(record.agent, record.task.id)));
    return this.records;
  }

  observe(event: RuntimeEvent): void {
    switch (event.type) {
      case 'task.started': {
        const record = this.#find(event.agentId, event.taskId);
        if (!record || isEnded(record)) return;
        record.status = 'running';
        record.attempts += 1;
        record.startedAt ??= event.at;
        return;
      }
      case 'task.completed': {
        const record = this.#find(event.agentId, event.taskId);
        if (record && !isEnded(record))
          this.#end(record, 'completed', event.at, summaryOf(event.result));
        return;
      }
      case 'task.failed': {
        const record = event.taskId === null ? undefined : this.#find(event.agentId, event.taskId);
        if (!record || isEnded(record)) return;
        record.failures += 1;
        const reason = `${event.error.code}: ${event.error.message}`;
        // A planned failure of a task its restart retries is not the end of it.
        if (record.retriedOnRestart && record.failures <= record.expectedFailures) {
          record.detail = reason;
          return;
        }
        this.#end(record, 'failed', event.at, reason);
        return;
      }
      case 'agent.killed':
      case 'spawn.rejected': {
        const reason = event.type === 'agent.killed' ? event.reason : event.message;
        this.#endWhere(
          (record) => record.agent === event.agentId,
          event.at,
          `${event.type}: ${reason}`,
        );
        return;
      }
      case 'supervisor.escalated':
        this.#endWhere(
          (record) => record.agent.startsWith(`${event.agentId}/`),
          event.at,
          `${event.agentId} escalated: ${event.error.reason}`,
        );
        return;
      default:
        return;
    }
  }

  /** Ends the agent's open tasks, e.g. ones that can no longer be started. */
  abandon(agent: string, at: number, reason: string): void {
    this.#endWhere((record) => record.agent === agent, at, reason);
  }

  /** Ends every task still open, e.g. at the deadline or when the runtime stopped. */
  endRemaining(at: number, reason: string): void {
    this.#endWhere(() => true, at, reason);
  }

  #find(agent: string, taskId: string): TaskRecord | undefined {
    return this.records.find((record) => record.agent === agent && record.task.id === taskId);
  }

  #endWhere(match: (record: TaskRecord) => boolean, at: number, reason: string): void {
    for (const record of this.records) {
      if (!isEnded(record) && match(record)) this.#end(record, 'failed', at, reason);
    }
  }

  #end(record: TaskRecord, status: 'completed' | 'failed', at: number, detail: string): void {
    record.status = status;
    record.endedAt = at;
    record.detail = detail;
    const waiters = this.#waiters.get(record) ?? [];
    this.#waiters.delete(record);
    for (const wake of waiters) wake();
  }

  #wait(record: TaskRecord, wake: () => void): void {
    this.#waiters.set(record, [...(this.#waiters.get(record) ?? []), wake]);
  }
}

const isEnded = (record: TaskRecord): boolean =>
  record.status === 'completed' || record.status === 'failed';

/** The demo's results carry a `summary`; anything else is shown as short JSON. */
export function summaryOf(result: unknown): string {
  if (result && typeof result === 'object' && 'summary' in result) {
    const { summary } = result;
    if (typeof summary === 'string') return summary;
  }
  if (typeof result === 'string') return result;
  return JSON.stringify(result) ?? String(result);
}
