/**
 * Spawner: the supervising parent of SubAgents (and of other Spawners, which
 * makes a supervision tree). Restart types, strategies and restart intensity
 * follow Erlang/OTP's supervisor; XState has none of this built in, so it is
 * written here as machine logic over `xstate.done.actor.*` / `xstate.error.actor.*`.
 *
 *   supervising ──SHUTDOWN──▶ shuttingDown ──(all gone | timeout)──▶ stopped
 *        └──(restart intensity exceeded)──▶ escalated
 *
 * A pure definition: `src/session` provides the SubAgent logic (with its task
 * runner), the nested supervisor logic and the snapshot restorer.
 */

import { type AnyActorRef, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { describeIssues } from '../src/core/index.js';
import {
  type AgentSpec,
  type ChildSpec,
  type ChildSpecInit,
  childSpecSchema,
  type Escalation,
  type HistoryEntry,
  type RestartType,
  restartTypeForKind,
  type SubAgentInit,
  type SupervisorConfig,
  type SupervisorErrorCode,
  type SupervisorInit,
  type SupervisorOutput,
  type SupervisorSpec,
  subAgentContextSchema,
  supervisorInputSchema,
} from './contracts.js';
import { subAgentMachine } from './subagent.machine.js';

export type ChildStatus = 'starting' | 'live' | 'stopping' | 'restarting';

export type ChildEntry = {
  id: string;
  spec: ChildSpec;
  restart: RestartType;
  /** Start order; strategies and shutdown use it. */
  seq: number;
  status: ChildStatus;
  restarts: number;
};

export type SupervisorContext = {
  id: string;
  depth: number;
  config: SupervisorConfig;
  children: Record<string, ChildEntry>;
  queue: ChildSpec[];
  seq: number;
  /** Restarts inside the current intensity window; each expires after `periodMs`. */
  recentRestarts: number;
  error: Escalation | null;
};

/** What a system agent's restorer returns: the state to resume from, if any. */
export type RestoredAgent = {
  agentId: string;
  state: Pick<SubAgentInit, 'history' | 'turns' | 'tokens' | 'tasksCompleted'> | null;
};

/** What callers may send a supervisor. */
export type SupervisorCommand =
  | { type: 'SPAWN'; spec: ChildSpecInit | unknown }
  | { type: 'STOP'; id: string; reason?: string }
  | { type: 'KILL'; id: string; reason?: string }
  | { type: 'SHUTDOWN'; reason?: string };

/**
 * Timers the supervisor raises to itself. They are in the machine's event type
 * so the diagram and the model-based tests see them; they are not commands.
 */
export type SupervisorTimerEvent =
  | { type: 'RESTART'; ids: string[] }
  | { type: 'FORCE_STOP'; id: string }
  | { type: 'RESTART_WINDOW_EXPIRED' };

export type SupervisorEvent = SupervisorCommand | SupervisorTimerEvent;

export type ChildExit = 'normal' | 'abnormal' | 'requested';

export type SupervisorEmitted =
  | {
      type: 'supervisor.child_started';
      supervisorId: string;
      childId: string;
      role: 'agent' | 'supervisor';
      restart: RestartType;
      attempt: number;
    }
  | {
      type: 'supervisor.child_exited';
      supervisorId: string;
      childId: string;
      exit: ChildExit;
      reason: string;
    }
  | {
      type: 'supervisor.child_restarting';
      supervisorId: string;
      childId: string;
      delayMs: number;
      attempt: number;
    }
  | { type: 'supervisor.child_killed'; supervisorId: string; childId: string; reason: string }
  | { type: 'supervisor.spawn_queued'; supervisorId: string; childId: string; position: number }
  | {
      type: 'supervisor.spawn_rejected';
      supervisorId: string;
      childId: string | null;
      code: SupervisorErrorCode;
      message: string;
    }
  | { type: 'supervisor.restore_failed'; supervisorId: string; childId: string; message: string }
  | { type: 'supervisor.escalated'; supervisorId: string; error: Escalation }
  | { type: 'supervisor.stopped'; supervisorId: string };

const RESTORE_PREFIX = 'restore:';
const DONE_PREFIX = 'xstate.done.actor.';
const ERROR_PREFIX = 'xstate.error.actor.';

export const childSystemId = (supervisorId: string, childId: string): string =>
  `${supervisorId}/${childId}`;

type ChildEndEvent = { type: string; output?: unknown; error?: unknown };

export const spawnerMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInit,
    events: {} as SupervisorEvent,
    output: {} as SupervisorOutput,
    emitted: {} as SupervisorEmitted,
  },
  actors: {
    // The runtime provides subAgent with its task runner, the nested supervisor
    // (this machine, provided) and the snapshot restorer.
    subAgent: subAgentMachine,
    supervisor: fromCallback<{ type: string }, SupervisorInit>(() => {
      throw new Error('supervisor logic was not provided');
    }),
    restoreAgent: fromPromise<RestoredAgent, { agentId: string; systemId: string }>(
      async ({ input }) => ({ agentId: input.agentId, state: null }),
    ),
  },
  delays: {
    shutdownTimeout: ({ context }) => context.config.shutdownTimeoutMs,
  },
  guards: {
    noChildrenLeft: ({ context }) => Object.keys(context.children).length === 0,
    restartIntensityExceeded: ({ context }) => context.error !== null,
  },
}).createMachine({
  id: 'spawner',
  context: ({ input }) => {
    const init = supervisorInputSchema.parse(input);
    return {
      id: init.id,
      depth: init.depth,
      config: init.config,
      children: {},
      // Static children start like queued ones, in order, as soon as the machine does.
      queue: init.children,
      seq: 0,
      recentRestarts: 0,
      error: null,
    };
  },
  initial: 'supervising',
  entry: enqueueActions(({ context, enqueue }) => {
    drainQueue(enqueue as Enqueue, context);
  }),
  states: {
    supervising: {
      description: 'Spawning, routing exits to the restart policy, restarting with backoff.',
      always: { guard: 'restartIntensityExceeded', target: 'escalated' },
      on: {
        SPAWN: { actions: enqueueActions((args) => requestSpawn(args)) },
        STOP: { actions: enqueueActions((args) => stopChild(args, 'graceful')) },
        KILL: { actions: enqueueActions((args) => stopChild(args, 'kill')) },
        FORCE_STOP: { actions: enqueueActions((args) => forceStop(args)) },
        RESTART: { actions: enqueueActions((args) => restartChildren(args)) },
        RESTART_WINDOW_EXPIRED: {
          actions: enqueueActions(({ context, enqueue }) => {
            enqueue.assign({ recentRestarts: Math.max(0, context.recentRestarts - 1) });
          }),
        },
        'xstate.done.actor.*': { actions: enqueueActions((args) => onChildEnd(args)) },
        'xstate.error.actor.*': { actions: enqueueActions((args) => onChildEnd(args)) },
        SHUTDOWN: 'shuttingDown',
      },
    },
    shuttingDown: {
      description:
        'Every child is asked to stop, in reverse start order; after shutdownTimeout the rest are killed.',
      entry: enqueueActions((args) => beginShutdown(args)),
      always: { guard: 'noChildrenLeft', target: 'stopped' },
      after: {
        shutdownTimeout: {
          target: 'stopped',
          actions: enqueueActions((args) => killRemaining(args, 'shutdown timeout')),
        },
      },
      on: {
        'xstate.done.actor.*': {
          actions: enqueueActions((args) => onChildEndDuringShutdown(args)),
        },
        'xstate.error.actor.*': {
          actions: enqueueActions((args) => onChildEndDuringShutdown(args)),
        },
        SPAWN: { actions: enqueueActions((args) => rejectSpawn(args, 'shutting_down')) },
        KILL: { actions: enqueueActions((args) => stopChild(args, 'kill')) },
      },
    },
    stopped: {
      type: 'final',
      entry: enqueueActions(({ context, enqueue }) => {
        enqueue.emit({ type: 'supervisor.stopped', supervisorId: context.id });
      }),
    },
    escalated: {
      type: 'final',
      description:
        'Restart intensity was exceeded: every child is stopped and the failure goes up.',
      entry: enqueueActions((args) => escalate(args)),
    },
  },
  output: ({ context }): SupervisorOutput =>
    context.error ? { status: 'failed', error: context.error } : { status: 'stopped' },
});

export type SpawnerMachine = typeof spawnerMachine;

// --------------------------------------------------------------- action bodies
// Each takes enqueueActions' arguments; the types below are the subset used.

type Enqueue = {
  assign: (partial: Partial<SupervisorContext>) => void;
  emit: (event: SupervisorEmitted) => void;
  raise: (event: SupervisorEvent, options?: { delay?: number; id?: string }) => void;
  cancel: (id: string) => void;
  sendTo: (target: string | AnyActorRef, event: { type: string; [key: string]: unknown }) => void;
  spawnChild: (
    src: 'subAgent' | 'supervisor' | 'restoreAgent',
    options: { id: string; systemId?: string; input: unknown },
  ) => void;
  stopChild: (id: string) => void;
};

type Args = {
  context: SupervisorContext;
  event: SupervisorEvent | ChildEndEvent;
  enqueue: Enqueue;
  self: AnyActorRef;
};

function asArgs(args: unknown): Args {
  return args as Args;
}

function requestSpawn(raw: unknown): void {
  const { context, event, enqueue } = asArgs(raw);
  if (event.type !== 'SPAWN' || !('spec' in event)) return;
  const parsed = childSpecSchema.safeParse(event.spec);
  if (!parsed.success) {
    const specId = readId(event.spec);
    const message = describeIssues(parsed.error.issues, '(spec)');
    emitRejected(enqueue, context, specId, 'invalid_spawn', message);
    return;
  }
  const spec = parsed.data;
  if (context.children[spec.id] || context.queue.some((queued) => queued.id === spec.id)) {
    emitRejected(
      enqueue,
      context,
      spec.id,
      'duplicate_id',
      `a child named "${spec.id}" already exists`,
    );
    return;
  }
  if (Object.keys(context.children).length >= context.config.maxConcurrent) {
    if (context.config.overflow === 'reject' || context.queue.length >= context.config.maxQueue) {
      emitRejected(
        enqueue,
        context,
        spec.id,
        'spawn_limit_reached',
        `maxConcurrent ${context.config.maxConcurrent} reached` +
          (context.config.overflow === 'queue'
            ? ` and the queue is full (${context.config.maxQueue})`
            : ''),
      );
      return;
    }
    enqueue.assign({ queue: [...context.queue, spec] });
    enqueue.emit({
      type: 'supervisor.spawn_queued',
      supervisorId: context.id,
      childId: spec.id,
      position: context.queue.length + 1,
    });
    return;
  }
  const seq = context.seq + 1;
  const entry: ChildEntry = {
    id: spec.id,
    spec,
    restart: restartOf(spec),
    seq,
    status: 'starting',
    restarts: 0,
  };
  const children = launch(
    enqueue,
    { ...context, children: { ...context.children, [spec.id]: entry } },
    entry,
  );
  enqueue.assign({ seq, children });
}

function rejectSpawn(raw: unknown, code: SupervisorErrorCode): void {
  const { context, event, enqueue } = asArgs(raw);
  if (event.type !== 'SPAWN' || !('spec' in event)) return;
  emitRejected(
    enqueue,
    context,
    readId(event.spec),
    code,
    `supervisor ${context.id} is shutting down`,
  );
}

/**
 * Starts a child whose entry is in `context.children`; returns the registry with
 * its new status. System agents stay `starting` until their snapshot is loaded.
 */
function launch(
  enqueue: Enqueue,
  context: SupervisorContext,
  entry: ChildEntry,
): Record<string, ChildEntry> {
  const systemId = childSystemId(context.id, entry.id);
  if (entry.spec.type === 'supervisor') {
    enqueue.spawnChild('supervisor', {
      id: entry.id,
      systemId,
      input: {
        id: systemId,
        depth: context.depth + 1,
        config: entry.spec.config,
        children: entry.spec.children,
      },
    });
    return markLive(enqueue, context, entry);
  }
  if (entry.spec.kind === 'system') {
    enqueue.spawnChild('restoreAgent', {
      id: `${RESTORE_PREFIX}${entry.id}`,
      input: { agentId: entry.id, systemId },
    });
    return { ...context.children, [entry.id]: { ...entry, status: 'starting' } };
  }
  return spawnAgent(enqueue, context, entry, entry.spec, null);
}

function spawnAgent(
  enqueue: Enqueue,
  context: SupervisorContext,
  entry: ChildEntry,
  spec: AgentSpec,
  restored: RestoredAgent['state'],
): Record<string, ChildEntry> {
  const systemId = childSystemId(context.id, spec.id);
  const input: SubAgentInit = {
    id: spec.id,
    path: systemId,
    name: spec.name ?? spec.id,
    kind: spec.kind,
    persona: spec.persona,
    ...(spec.maxTurns !== undefined ? { maxTurns: spec.maxTurns } : {}),
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
    ...(spec.history !== undefined ? { history: spec.history } : {}),
    ...(restored ?? {}),
  };
  enqueue.spawnChild('subAgent', {
    id: spec.id,
    systemId,
    input,
  });
  // Ephemeral agents are one task: a restart retries it. Long-lived agents restart idle.
  if (spec.task && (entry.restarts === 0 || spec.kind === 'ephemeral')) {
    enqueue.sendTo(spec.id, { type: 'START', task: spec.task });
  }
  return markLive(enqueue, context, entry);
}

function markLive(
  enqueue: Enqueue,
  context: SupervisorContext,
  entry: ChildEntry,
): Record<string, ChildEntry> {
  enqueue.emit({
    type: 'supervisor.child_started',
    supervisorId: context.id,
    childId: entry.id,
    role: entry.spec.type,
    restart: entry.restart,
    attempt: entry.restarts,
  });
  return { ...context.children, [entry.id]: { ...entry, status: 'live' } };
}

function onChildEnd(raw: unknown): void {
  const args = asArgs(raw);
  const { context, event, enqueue } = args;
  const childId = childIdOf(event.type);
  if (childId.startsWith(RESTORE_PREFIX)) {
    onRestored(args, childId.slice(RESTORE_PREFIX.length));
    return;
  }
  const entry = context.children[childId];
  enqueue.stopChild(childId); // reap: finished children stay in snapshot.children otherwise
  if (!entry) return;
  if (entry.status === 'stopping') enqueue.cancel(`force:${childId}`);
  const { exit, reason } = classifyExit(entry, event);
  enqueue.emit({
    type: 'supervisor.child_exited',
    supervisorId: context.id,
    childId,
    exit,
    reason,
  });

  if (!shouldRestart(entry, exit)) {
    const children = without(context.children, [childId]);
    enqueue.assign({ children });
    drainQueue(enqueue, { ...context, children });
    return;
  }
  if (context.recentRestarts + 1 > context.config.maxRestarts) {
    enqueue.assign({
      error: {
        code: 'restart_intensity_exceeded',
        supervisorId: context.id,
        childId,
        restarts: context.recentRestarts,
        periodMs: context.config.periodMs,
        reason,
      },
    });
    return;
  }
  const group = restartGroup(context, entry);
  let children = { ...context.children };
  for (const member of group) {
    if (member.id !== entry.id) enqueue.stopChild(member.id);
    enqueue.stopChild(`${RESTORE_PREFIX}${member.id}`);
    if (member.id !== entry.id && member.restart === 'temporary') {
      children = without(children, [member.id]);
      enqueue.emit({
        type: 'supervisor.child_killed',
        supervisorId: context.id,
        childId: member.id,
        reason: `${context.config.strategy} restart`,
      });
      continue;
    }
    const spec = carryState(args, member);
    children[member.id] = { ...member, spec, status: 'restarting', restarts: member.restarts + 1 };
  }
  const recentRestarts = context.recentRestarts + 1;
  const delayMs = Math.min(
    context.config.backoff.maxMs,
    Math.round(
      context.config.backoff.initialMs * context.config.backoff.factor ** (recentRestarts - 1),
    ),
  );
  const ids = group.map((member) => member.id).filter((id) => children[id]);
  enqueue.assign({ children, recentRestarts });
  enqueue.raise({ type: 'RESTART_WINDOW_EXPIRED' }, { delay: context.config.periodMs });
  for (const id of ids) {
    enqueue.emit({
      type: 'supervisor.child_restarting',
      supervisorId: context.id,
      childId: id,
      delayMs,
      attempt: children[id]?.restarts ?? 0,
    });
  }
  enqueue.raise({ type: 'RESTART', ids }, { delay: delayMs, id: `restart:${entry.id}` });
}

function onRestored(args: Args, agentId: string): void {
  const { context, event, enqueue } = args;
  enqueue.stopChild(`${RESTORE_PREFIX}${agentId}`);
  const entry = context.children[agentId];
  if (entry?.spec.type !== 'agent' || entry.status !== 'starting') return;
  let state: RestoredAgent['state'] = null;
  if (event.type.startsWith(ERROR_PREFIX)) {
    enqueue.emit({
      type: 'supervisor.restore_failed',
      supervisorId: context.id,
      childId: agentId,
      message: describe((event as ChildEndEvent).error),
    });
  } else {
    state = ((event as ChildEndEvent).output as RestoredAgent | undefined)?.state ?? null;
  }
  enqueue.assign({ children: spawnAgent(enqueue, context, entry, entry.spec, state) });
}

function restartChildren(raw: unknown): void {
  const { context, event, enqueue } = asArgs(raw);
  if (event.type !== 'RESTART' || !('ids' in event)) return;
  let children = context.children;
  for (const id of event.ids) {
    const entry = children[id];
    if (entry?.status !== 'restarting') continue;
    children = launch(enqueue, { ...context, children }, entry);
  }
  enqueue.assign({ children });
}

function stopChild(raw: unknown, mode: 'graceful' | 'kill'): void {
  const { context, event, enqueue } = asArgs(raw);
  if ((event.type !== 'STOP' && event.type !== 'KILL') || !('id' in event)) return;
  const reason = ('reason' in event && event.reason) || (mode === 'kill' ? 'killed' : 'stopped');
  const entry = context.children[event.id];
  if (!entry) {
    const queued = context.queue.find((spec) => spec.id === event.id);
    if (queued) {
      enqueue.assign({ queue: context.queue.filter((spec) => spec.id !== event.id) });
      enqueue.emit({
        type: 'supervisor.child_killed',
        supervisorId: context.id,
        childId: event.id,
        reason: `${reason} (was queued)`,
      });
      return;
    }
    emitRejected(enqueue, context, event.id, 'unknown_child', `no child named "${event.id}"`);
    return;
  }
  if (mode === 'kill' || entry.status === 'starting' || entry.status === 'restarting') {
    removeNow(enqueue, context, entry, reason);
    return;
  }
  enqueue.assign({
    children: { ...context.children, [entry.id]: { ...entry, status: 'stopping' } },
  });
  askToStop(enqueue, entry, reason);
  enqueue.raise(
    { type: 'FORCE_STOP', id: entry.id },
    { delay: context.config.shutdownTimeoutMs, id: `force:${entry.id}` },
  );
}

function forceStop(raw: unknown): void {
  const { context, event, enqueue } = asArgs(raw);
  if (event.type !== 'FORCE_STOP' || !('id' in event)) return;
  const entry = context.children[event.id];
  if (entry?.status !== 'stopping') return;
  removeNow(enqueue, context, entry, `did not stop within ${context.config.shutdownTimeoutMs} ms`);
}

function removeNow(
  enqueue: Enqueue,
  context: SupervisorContext,
  entry: ChildEntry,
  reason: string,
): void {
  discard(enqueue, context, entry, reason);
  const children = without(context.children, [entry.id]);
  enqueue.assign({ children });
  drainQueue(enqueue, { ...context, children });
}

function askToStop(enqueue: Enqueue, entry: ChildEntry, reason: string): void {
  if (entry.spec.type === 'supervisor') enqueue.sendTo(entry.id, { type: 'SHUTDOWN', reason });
  else enqueue.sendTo(entry.id, { type: 'CANCEL', reason });
}

function beginShutdown(raw: unknown): void {
  const { context, event, enqueue } = asArgs(raw);
  const reason = (event.type === 'SHUTDOWN' && 'reason' in event && event.reason) || 'shutdown';
  for (const spec of context.queue) {
    emitRejected(
      enqueue,
      context,
      spec.id,
      'shutting_down',
      'supervisor shut down before the child could start',
    );
  }
  const children: Record<string, ChildEntry> = {};
  for (const entry of byStartOrder(context).reverse()) {
    if (entry.status === 'live' || entry.status === 'stopping') {
      children[entry.id] = { ...entry, status: 'stopping' };
      askToStop(enqueue, entry, reason);
    } else {
      // Restoring or waiting out a backoff: nothing runs that could be asked to stop.
      discard(enqueue, context, entry, `${reason} (was ${entry.status})`);
    }
  }
  enqueue.assign({ queue: [], children });
}

function onChildEndDuringShutdown(raw: unknown): void {
  const { context, event, enqueue } = asArgs(raw);
  const childId = childIdOf(event.type);
  enqueue.stopChild(childId);
  const entry = context.children[childId];
  if (!entry) return;
  enqueue.cancel(`force:${childId}`);
  const { exit, reason } = classifyExit(entry, event);
  enqueue.emit({
    type: 'supervisor.child_exited',
    supervisorId: context.id,
    childId,
    exit,
    reason,
  });
  enqueue.assign({ children: without(context.children, [childId]) });
}

function killRemaining(raw: unknown, reason: string): void {
  const { context, enqueue } = asArgs(raw);
  for (const entry of byStartOrder(context).reverse()) discard(enqueue, context, entry, reason);
  enqueue.assign({ children: {} });
}

/** Stops a child and everything pending for it, and says so; the registry is the caller's. */
function discard(
  enqueue: Enqueue,
  context: SupervisorContext,
  entry: ChildEntry,
  reason: string,
): void {
  enqueue.stopChild(entry.id);
  enqueue.stopChild(`${RESTORE_PREFIX}${entry.id}`);
  enqueue.cancel(`restart:${entry.id}`);
  enqueue.cancel(`force:${entry.id}`);
  enqueue.emit({
    type: 'supervisor.child_killed',
    supervisorId: context.id,
    childId: entry.id,
    reason,
  });
}

function escalate(raw: unknown): void {
  const { context, enqueue } = asArgs(raw);
  const reason = context.error
    ? `supervisor escalated: ${context.error.reason}`
    : 'supervisor escalated';
  for (const entry of byStartOrder(context).reverse()) discard(enqueue, context, entry, reason);
  for (const spec of context.queue) {
    emitRejected(
      enqueue,
      context,
      spec.id,
      'shutting_down',
      'supervisor escalated before the child could start',
    );
  }
  enqueue.assign({ children: {}, queue: [] });
  if (context.error)
    enqueue.emit({ type: 'supervisor.escalated', supervisorId: context.id, error: context.error });
}

function drainQueue(enqueue: Enqueue, context: SupervisorContext): void {
  let { queue, seq, children } = context;
  while (queue.length > 0 && Object.keys(children).length < context.config.maxConcurrent) {
    const [spec, ...rest] = queue;
    if (!spec) break;
    seq += 1;
    queue = rest;
    const entry: ChildEntry = {
      id: spec.id,
      spec,
      restart: restartOf(spec),
      seq,
      status: 'starting',
      restarts: 0,
    };
    children = launch(enqueue, { ...context, children: { ...children, [spec.id]: entry } }, entry);
  }
  enqueue.assign({ queue, seq, children });
}

// ------------------------------------------------------------------- helpers

function restartOf(spec: ChildSpec): RestartType {
  if (spec.type === 'supervisor') return spec.restart;
  return spec.restart ?? restartTypeForKind(spec.kind);
}

function classifyExit(
  entry: ChildEntry,
  event: ChildEndEvent,
): { exit: ChildExit; reason: string } {
  if (event.type.startsWith(ERROR_PREFIX)) {
    return {
      exit: entry.status === 'stopping' ? 'requested' : 'abnormal',
      reason: `crashed: ${describe(event.error)}`,
    };
  }
  const output = event.output as
    | { status?: string; error?: { code?: string; message?: string } }
    | undefined;
  if (output?.status === 'failed') {
    const reason = `${output.error?.code ?? 'failed'}: ${output.error?.message ?? ''}`.trim();
    if (entry.status === 'stopping') return { exit: 'requested', reason };
    // A cancel that the supervisor did not ask for is OTP's `shutdown`: a normal exit.
    if (output.error?.code === 'cancelled') return { exit: 'normal', reason };
    return { exit: 'abnormal', reason };
  }
  return {
    exit: entry.status === 'stopping' ? 'requested' : 'normal',
    reason: output?.status ?? 'done',
  };
}

function shouldRestart(entry: ChildEntry, exit: ChildExit): boolean {
  if (exit === 'requested') return false;
  if (entry.restart === 'permanent') return true;
  if (entry.restart === 'transient') return exit === 'abnormal';
  return false;
}

/** The children a strategy restarts together, in start order. */
function restartGroup(context: SupervisorContext, failed: ChildEntry): ChildEntry[] {
  const live = byStartOrder(context).filter((entry) => entry.status !== 'stopping');
  switch (context.config.strategy) {
    case 'one_for_one':
      return [failed];
    case 'one_for_all':
      return live;
    case 'rest_for_one':
      return live.filter((entry) => entry.seq >= failed.seq);
  }
}

/** A restarted persistent agent keeps the history its last incarnation had. */
function carryState(args: Args, entry: ChildEntry): ChildSpec {
  if (entry.spec.type !== 'agent' || entry.spec.kind !== 'persistent') return entry.spec;
  const child = (args.self.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> })
    .children?.[entry.id];
  const parsed = subAgentContextSchema.shape.history.safeParse(
    (child?.getSnapshot() as { context?: { history?: unknown } } | undefined)?.context?.history,
  );
  const history: HistoryEntry[] | undefined = parsed.success ? parsed.data : entry.spec.history;
  return history ? { ...entry.spec, history } : entry.spec;
}

function byStartOrder(context: SupervisorContext): ChildEntry[] {
  return Object.values(context.children).sort((a, b) => a.seq - b.seq);
}

function without(children: Record<string, ChildEntry>, ids: string[]): Record<string, ChildEntry> {
  // Rebuilt rather than spread-and-delete: `delete` turns the object into a
  // slow dictionary that every later copy of the registry pays for.
  const next: Record<string, ChildEntry> = {};
  for (const id in children) {
    const entry = children[id];
    if (entry && !ids.includes(id)) next[id] = entry;
  }
  return next;
}

function childIdOf(eventType: string): string {
  if (eventType.startsWith(DONE_PREFIX)) return eventType.slice(DONE_PREFIX.length);
  if (eventType.startsWith(ERROR_PREFIX)) return eventType.slice(ERROR_PREFIX.length);
  return eventType;
}

function readId(spec: unknown): string | null {
  if (spec && typeof spec === 'object' && 'id' in spec && typeof spec.id === 'string')
    return spec.id;
  return null;
}

function emitRejected(
  enqueue: Enqueue,
  context: SupervisorContext,
  childId: string | null,
  code: SupervisorErrorCode,
  message: string,
): void {
  enqueue.emit({
    type: 'supervisor.spawn_rejected',
    supervisorId: context.id,
    childId,
    code,
    message,
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export type { SupervisorSpec };
