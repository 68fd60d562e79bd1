/**
 * Turns XState's inspection stream into RuntimeEvents. The machines announce
 * domain facts with `emit(...)`, which inspection reports as `xstate.emit`
 * actions of any actor in the system; state changes come from
 * `@xstate.snapshot`. No second event bus sits beside XState's own.
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { SubAgentEmitted } from '../../machines/contracts.js';
import type { SupervisorEmitted } from '../../machines/spawner.machine.js';
import type { EventOrigin, RuntimeEvent } from './schema.js';

export type Publish = (event: RuntimeEvent) => void;

/** What XState's `inspect` option takes: an observer or a plain function. */
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** One inspection callback that hands each event to every observer, in order. */
export function inspectWith(
  observers: ReadonlyArray<InspectionObserver>,
): (event: InspectionEvent) => void {
  return (event) => {
    for (const observer of observers) {
      if (typeof observer === 'function') observer(event);
      else observer.next?.(event);
    }
  };
}

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
  const { now, rootPath } = options;
  const publish = withLifecycleClosure(options.publish, now);
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

/**
 * XState stops a child without a word: no exit event, no emitted failure. So
 * that every task still ends with a reason, this keeps the live agents and the
 * tasks in flight, and when a supervisor reports a child killed it also reports
 * the kill of every live descendant (deepest first) and a `task.failed` for each
 * task that was running under it.
 */
function withLifecycleClosure(publish: Publish, now: () => number): Publish {
  /** Live children by parent path; only paths with live children have an entry. */
  const childrenOf = new Map<string, Set<string>>();
  const inFlight = new Map<string, string>();
  const forget = (path: string) => {
    const cut = path.lastIndexOf('/');
    const siblings = cut === -1 ? undefined : childrenOf.get(path.slice(0, cut));
    siblings?.delete(path);
    if (siblings?.size === 0) childrenOf.delete(path.slice(0, cut));
  };
  /** Live descendants of `path`, deepest first. */
  const descendantsOf = (path: string): string[] => {
    const children = childrenOf.get(path);
    if (!children) return [];
    return [...children].flatMap((child) => [...descendantsOf(child), child]);
  };
  const failInFlight = (path: string, reason: string) => {
    const taskId = inFlight.get(path);
    if (taskId === undefined) return;
    inFlight.delete(path);
    publish({
      type: 'task.failed',
      ...originOf(path, now()),
      taskId,
      error: { code: 'cancelled', message: `killed: ${reason}` },
    });
  };
  const end = (event: RuntimeEvent & { type: 'agent.killed' | 'agent.exited' }) => {
    const descendants = descendantsOf(event.agentId);
    // Tasks first, so that whoever waits on one learns it failed, then the
    // exit, then what the exit took down with it.
    for (const path of descendants) failInFlight(path, event.reason);
    failInFlight(event.agentId, event.reason);
    forget(event.agentId);
    publish(event);
    for (const path of descendants) {
      childrenOf.delete(path);
      publish({
        type: 'agent.killed',
        ...originOf(path, now()),
        reason: `${event.reason} (under ${event.agentId})`,
      });
    }
    childrenOf.delete(event.agentId);
  };
  return (event) => {
    switch (event.type) {
      case 'agent.spawned':
        if (event.parentId !== null) {
          const siblings = childrenOf.get(event.parentId) ?? new Set<string>();
          siblings.add(event.agentId);
          childrenOf.set(event.parentId, siblings);
        }
        break;
      case 'task.started':
        inFlight.set(event.agentId, event.taskId);
        break;
      case 'task.completed':
      case 'task.failed':
        inFlight.delete(event.agentId);
        break;
      case 'agent.killed':
      case 'agent.exited':
        end(event);
        return;
    }
    publish(event);
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
        // JSON has no undefined: observers across a process boundary would lose the key.
        result: emitted.result ?? null,
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
