/** What the demo prints for people: one line per interesting event, then a table of outcomes. */
import type { RuntimeEvent } from '../events/index.js';
import { endedAsPlanned, summaryOf, type TaskRecord } from './demo-tracker.js';

const pathWidth = 24;
const maxDetail = 90;

/** A progress line for `event`, or null for events not worth a line (state changes and such). */
export function progressLine(event: RuntimeEvent, startedAt: number): string | null {
  const text = describeEvent(event);
  if (text === null) return null;
  const elapsed = `${Math.max(0, Math.round(event.at - startedAt))}ms`.padStart(7);
  return `${elapsed}  ${event.agentId.padEnd(pathWidth)} ${text}`;
}

function describeEvent(event: RuntimeEvent): string | null {
  switch (event.type) {
    case 'agent.spawned':
      return `spawned ${event.role} (${event.restart}${event.attempt > 0 ? `, restart ${event.attempt}` : ''})`;
    case 'task.started':
      return `task ${event.taskId} started`;
    case 'task.completed':
      return `task ${event.taskId} completed: ${clip(summaryOf(event.result))}`;
    case 'task.failed':
      return `task ${event.taskId ?? '(none)'} failed: ${clip(`${event.error.code}: ${event.error.message}`)}`;
    case 'agent.restarting':
      return `restarting in ${event.delayMs}ms (restart ${event.attempt})`;
    case 'agent.killed':
      return `killed: ${clip(event.reason)}`;
    case 'spawn.rejected':
      return `spawn rejected: ${event.code}: ${clip(event.message)}`;
    case 'supervisor.escalated':
      return `escalated: ${event.error.code} after ${event.error.restarts} restarts (${clip(event.error.reason)})`;
    case 'runtime.error':
      return `runtime error: ${event.code}: ${clip(event.message)}`;
    default:
      return null;
  }
}

/** The outcome table and a closing verdict line. */
export function summaryTable(records: readonly TaskRecord[]): string {
  const header = ['agent', 'task', 'outcome', 'attempts', 'ms', 'result'];
  const rows = records.map((record) => [
    record.agent,
    record.task.id,
    outcomeOf(record),
    String(record.attempts),
    record.startedAt !== null && record.endedAt !== null
      ? String(Math.round(record.endedAt - record.startedAt))
      : '-',
    clip(record.detail || '-'),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const render = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ');
  const planned = records.filter(endedAsPlanned).length;
  return [
    render(header),
    render(widths.map((width) => '-'.repeat(width))),
    ...rows.map(render),
    '',
    `${planned} of ${records.length} tasks ended as planned.`,
    '',
  ].join('\n');
}

function outcomeOf(record: TaskRecord): string {
  const planned = endedAsPlanned(record);
  if (record.status === 'completed') {
    if (!planned) return 'completed (unplanned failures)';
    if (record.failures === 0) return 'completed';
    return `completed after ${record.failures} planned failure${record.failures === 1 ? '' : 's'}`;
  }
  return record.status === 'failed' ? 'FAILED' : 'NOT ENDED';
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= maxDetail ? line : `${line.slice(0, maxDetail - 1)}…`;
}
