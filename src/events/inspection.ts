/**
 * Turns XState's inspection stream into RuntimeEvents. The machines announce
 * domain facts with `emit(...)`, which inspection reports as `xstate.emit`
 * actions of any actor in the system; state changes come from
 * `@xstate.snapshot`. No second event bus sits beside XState's own.
 */
import type { InspectionEvent } from 'xstate';
import type { SubAgentEmitted } from '../../machines/contracts.js';
import type { SupervisorEmitted } from '../../machines/spawner.machine.js';
import type { EventOrigin, RuntimeEvent } from './schema.js';

export type Publish = (event: RuntimeEvent) => void;

type Emitted = SubAgentEmitted | SupervisorEmitted;

/** Origin fields for an actor at `path` (`root/team/agent`). */
export function originOf(path: string, at: number): EventOrigin {
  const cut = path.lastIndexOf('/');
  const depth = path.split('/').length - 1;
  return { at, agentId: path, parentId: cut === -1 ? null : path.slice(0, cut), depth };
}

export type InspectionTranslatorOptions = {
  now: () => number;
  /** Path of the root supervisor, which has no systemId of its own. */
  rootPath: string;
  publish: Publish;
  /** Called after an agent's state changed, with its path; the runtime saves snapshots here. */
  onStateChange?: (change: {
    path: string;
    from: string | null;
    to: string;
    actorRef: InspectedRef;
  }) => void;
};

export type InspectedRef = {
  sessionId: string;
  systemId?: string | undefined;
  src?: unknown;
  getSnapshot: () => unknown;
  getPersistedSnapshot?: () => unknown;
};

export function createInspectionTranslator(options: InspectionTranslatorOptions) {
  const { now, rootPath, publish } = options;
  const lastValue = new Map<string, string>();

  const pathOf = (ref: InspectedRef): string => ref.systemId ?? rootPath;
  // Only supervisors and agents have states worth reporting; invoked task runners do not.
  const isTracked = (ref: InspectedRef, rootSessionId: string): boolean =>
    ref.src === 'subAgent' || ref.src === 'supervisor' || ref.sessionId === rootSessionId;

  return (inspection: InspectionEvent): void => {
    if (inspection.type === '@xstate.action') {
      if (inspection.action.type !== 'xstate.emit') return;
      const emitted = (inspection.action.params as { event?: Emitted } | undefined)?.event;
      if (emitted)
        translateEmitted(emitted, pathOf(inspection.actorRef as InspectedRef), now(), publish);
      return;
    }
    if (inspection.type === '@xstate.snapshot') {
      const ref = inspection.actorRef as InspectedRef;
      if (!isTracked(ref, inspection.rootId)) return;
      const snapshot = inspection.snapshot as { value?: unknown; status?: string };
      const to = stateName(snapshot.value);
      const key = ref.sessionId;
      const from = lastValue.get(key) ?? null;
      if (snapshot.status !== 'active') lastValue.delete(key);
      else lastValue.set(key, to);
      if (from === to) return;
      const path = pathOf(ref);
      publish({ type: 'agent.state_changed', ...originOf(path, now()), from, to });
      options.onStateChange?.({ path, from, to, actorRef: ref });
    }
  };
}

/** `running.working` for nested values, the plain name otherwise. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    if (key !== undefined) return `${key}.${stateName(inner)}`;
  }
  return String(value);
}

function translateEmitted(
  emitted: Emitted,
  sourcePath: string,
  at: number,
  publish: Publish,
): void {
  const child = (supervisorId: string, childId: string) =>
    originOf(`${supervisorId}/${childId}`, at);
  switch (emitted.type) {
    case 'task.started':
      publish({ type: 'task.started', ...originOf(sourcePath, at), taskId: emitted.taskId });
      return;
    case 'task.completed':
      publish({
        type: 'task.completed',
        ...originOf(sourcePath, at),
        taskId: emitted.taskId,
        result: emitted.result,
        tokens: emitted.tokens,
        turns: emitted.turns,
      });
      return;
    case 'task.failed':
      publish({
        type: 'task.failed',
        ...originOf(sourcePath, at),
        taskId: emitted.taskId,
        error: emitted.error,
      });
      return;
    case 'supervisor.child_started':
      publish({
        type: 'agent.spawned',
        ...child(emitted.supervisorId, emitted.childId),
        role: emitted.role,
        restart: emitted.restart,
        attempt: emitted.attempt,
      });
      return;
    case 'supervisor.child_exited':
      publish({
        type: 'agent.exited',
        ...child(emitted.supervisorId, emitted.childId),
        exit: emitted.exit,
        reason: emitted.reason,
      });
      return;
    case 'supervisor.child_restarting':
      publish({
        type: 'agent.restarting',
        ...child(emitted.supervisorId, emitted.childId),
        delayMs: emitted.delayMs,
        attempt: emitted.attempt,
      });
      return;
    case 'supervisor.child_killed':
      publish({
        type: 'agent.killed',
        ...child(emitted.supervisorId, emitted.childId),
        reason: emitted.reason,
      });
      return;
    case 'supervisor.spawn_queued':
      publish({
        type: 'spawn.queued',
        ...child(emitted.supervisorId, emitted.childId),
        position: emitted.position,
      });
      return;
    case 'supervisor.spawn_rejected':
      publish({
        type: 'spawn.rejected',
        ...(emitted.childId
          ? child(emitted.supervisorId, emitted.childId)
          : originOf(emitted.supervisorId, at)),
        code: emitted.code,
        message: emitted.message,
      });
      return;
    case 'supervisor.restore_failed':
      publish({
        type: 'snapshot.failed',
        ...child(emitted.supervisorId, emitted.childId),
        message: emitted.message,
      });
      return;
    case 'supervisor.escalated':
      publish({
        type: 'supervisor.escalated',
        ...originOf(emitted.supervisorId, at),
        error: emitted.error,
      });
      return;
    case 'supervisor.stopped':
      publish({ type: 'supervisor.stopped', ...originOf(emitted.supervisorId, at) });
      return;
  }
}
