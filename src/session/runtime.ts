/**
 * Runtime: a root supervisor actor, its event stream and a small imperative
 * API for embedding apps. Everything observable happens on `events$`.
 */
import { filter, firstValueFrom, map, type Observable, Subject, take } from 'rxjs';
import { type Actor, createActor } from 'xstate';
import {
  agentSpecSchema,
  type ChildSpec,
  type ChildSpecInit,
  childSpecSchema,
  type SupervisorConfigInit,
  type SupervisorOutput,
  subAgentContextSchema,
  type Task,
  taskSchema,
} from '../../machines/contracts.js';
import { childSystemId, type RestoredAgent } from '../../machines/spawner.machine.js';
import {
  type Clock,
  describeIssues,
  describeUnknownError,
  issueLines,
  NerdloopError,
  systemClock,
} from '../core/index.js';
import {
  createInspectionTranslator,
  type InspectionObserver,
  inspectWith,
  originOf,
  type RuntimeEvent,
} from '../events/index.js';
import type { SnapshotStore } from '../snapshots/index.js';
import { type CallTerms, tightenMode } from '../store/index.js';
import { createSupervisorLogic, type SupervisorLogic } from './logic.js';
import type { DelegationRequest, Inheritance, TaskOutcome } from './outcome.js';
import type { TaskFunction, TaskServices } from './task-runner.js';

export type { TaskOutcome } from './outcome.js';

export type RuntimeOptions = {
  runTask: TaskFunction;
  clock?: Clock;
  /** Id of the root supervisor; agent paths start with it. */
  rootId?: string;
  supervisor?: SupervisorConfigInit;
  /** Where system agents keep their snapshots; without one they start fresh. */
  snapshots?: SnapshotStore;
  /** Extra inspection observers, e.g. `@statelyai/inspect`'s `inspector.inspect`. */
  inspect?: ReadonlyArray<InspectionObserver>;
};

export class SpawnRejectedError extends NerdloopError {
  readonly code = 'spawn_rejected';
}
export class UnknownAgentError extends NerdloopError {
  readonly code = 'unknown_agent';
}
export class RuntimeStoppedError extends NerdloopError {
  readonly code = 'runtime_stopped';
}
export class InvalidTaskError extends NerdloopError {
  readonly code = 'invalid_task';
}
export class InvalidRuntimeOptionsError extends NerdloopError {
  readonly code = 'invalid_runtime_options';
}

const restorableStateSchema = subAgentContextSchema.pick({
  history: true,
  turns: true,
  metrics: true,
});

export class Runtime {
  readonly events$: Observable<RuntimeEvent>;
  readonly rootId: string;
  readonly #events = new Subject<RuntimeEvent>();
  readonly #clock: Clock;
  readonly #snapshots: SnapshotStore | undefined;
  readonly #actor: Actor<SupervisorLogic>;
  /** Delegated agent path → who delegated to it and what it inherits, while the agent exists (restarts included). */
  readonly #delegated = new Map<string, { by: string; inherited: Inheritance }>();
  /** Delegations made so far per agent path: names each sub-agent uniquely. */
  readonly #delegations = new Map<string, number>();
  /** Snapshot writes still in flight: shutdown waits for them. */
  readonly #saving = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: RuntimeOptions) {
    this.rootId = options.rootId ?? 'root';
    if (!agentSpecSchema.shape.id.safeParse(this.rootId).success) {
      // Paths are `/`-joined ids, so a root id with a slash would make every path ambiguous.
      throw new InvalidRuntimeOptionsError(
        `rootId "${this.rootId}" must be letters, digits, _ . : - (no "/")`,
      );
    }
    this.#clock = options.clock ?? systemClock;
    this.#snapshots = options.snapshots;
    this.events$ = this.#events.asObservable();
    const publish = (event: RuntimeEvent) => this.#events.next(this.#relink(event));
    const translate = createInspectionTranslator({
      now: () => this.#clock.now(),
      rootPath: this.rootId,
      publish,
      onStateChange: ({ path, from, to, actorRef }) => {
        if (to === 'idle' && from?.startsWith('running')) this.#afterTask(path, actorRef);
      },
    });
    const extra = inspectWith(options.inspect ?? []);
    const logic = createSupervisorLogic({
      runTask: options.runTask,
      clock: this.#clock,
      restore: (input) => this.#restore(input),
      servicesFor: (input) => this.#servicesFor(input.agentPath),
    });
    this.#actor = createActor(logic, {
      input: { id: this.rootId, depth: 0, config: options.supervisor ?? {} },
      clock: this.#clock,
      inspect: (event) => {
        translate(event);
        extra(event);
      },
    });
    // A root actor without an error observer would throw from a timer and
    // take the process down; ours reports and ends the stream instead.
    this.#actor.subscribe({
      error: (error) => {
        publish({
          type: 'runtime.error',
          ...originOf(this.rootId, this.#clock.now()),
          code: 'root_crashed',
          message: describeUnknownError(error),
        });
        this.#finish();
      },
      // XState tells observers about completion before it reports the final
      // snapshot to inspection; finishing a microtask later keeps that event.
      complete: () => queueMicrotask(() => this.#finish()),
    });
    this.#actor.start();
  }

  /** The root supervisor actor, for inspection and advanced use. */
  get actor(): Actor<SupervisorLogic> {
    return this.#actor;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Spawns a child under the root or under a nested supervisor (`under`).
   * Returns the child's path. Invalid specs throw; capacity and duplicate
   * problems arrive as `spawn.rejected` events (see `run` for a promise).
   */
  spawn(spec: ChildSpecInit, options: { under?: string } = {}): string {
    this.#assertRunning();
    const parsed = parseSpec(spec);
    const parent = options.under ?? this.rootId;
    this.#supervisorRef(parent).send({ type: 'SPAWN', spec: parsed });
    return childSystemId(parent, parsed.id);
  }

  /** Gives an idle agent its next task. */
  startTask(agentPath: string, task: Task): void {
    this.#assertRunning();
    const parsed = taskSchema.safeParse(task);
    if (!parsed.success)
      throw new InvalidTaskError(`invalid task: ${describeIssues(parsed.error.issues)}`);
    this.#agentRef(agentPath).send({ type: 'START', task: parsed.data });
  }

  /**
   * Resolves with how the next attempt of `taskId` on `agentPath` ended; call it
   * before starting the task. Resolves `failed` if the agent exits without
   * finishing it or the runtime stops first.
   */
  waitForTask(agentPath: string, taskId: string): Promise<TaskOutcome> {
    return this.#outcome(agentPath, taskId, false);
  }

  /**
   * Spawns an agent for one task and resolves with how it ended, including a
   * refusal to spawn it (the spawner's queue full, for example).
   */
  async run(
    spec: ChildSpecInit & { type: 'agent'; task: Task },
    options: { under?: string } = {},
  ): Promise<TaskOutcome> {
    this.#assertRunning();
    const parent = options.under ?? this.rootId;
    // Everything that can throw happens before the outcome subscribes, so a
    // refused call leaves no subscription behind.
    const parsed = parseSpec(spec);
    const supervisor = this.#supervisorRef(parent);
    const path = childSystemId(parent, parsed.id);
    // Duplicates are refused here, synchronously, so that a rejection event for
    // this path can only be about this call's spawn.
    if (this.#hasChild(parent, parsed.id)) {
      throw new SpawnRejectedError(`a child named "${parsed.id}" already exists under ${parent}`);
    }
    const outcome = this.#outcome(path, spec.task.id, true);
    supervisor.send({ type: 'SPAWN', spec: parsed });
    return outcome;
  }

  #outcome(agentPath: string, taskId: string, spawning: boolean): Promise<TaskOutcome> {
    return firstValueFrom(
      this.#events.pipe(
        filter(
          (event) =>
            event.agentId === agentPath &&
            (((event.type === 'task.completed' || event.type === 'task.failed') &&
              event.taskId === taskId) ||
              (spawning && event.type === 'spawn.rejected') ||
              event.type === 'agent.killed' ||
              (event.type === 'agent.exited' && event.exit !== 'normal')),
        ),
        take(1),
        map((event): TaskOutcome => this.#outcomeOf(event, agentPath, taskId)),
      ),
      {
        defaultValue: {
          status: 'failed',
          agentId: agentPath,
          taskId,
          code: 'runtime_stopped',
          message: 'the runtime stopped before the task ended',
        },
      },
    );
  }

  #servicesFor(agentPath: string): TaskServices {
    return {
      publish: (activity) => {
        const at = activity.at ?? this.#clock.now();
        this.#publishIfOpen({ ...activity, ...originOf(agentPath, at) });
      },
      delegate: (request, { signal }) => this.#delegate(agentPath, request, signal),
      delegationDepth: this.#delegationDepth(agentPath),
      ...(this.#delegated.has(agentPath)
        ? { inherited: this.#delegated.get(agentPath)?.inherited }
        : {}),
    };
  }

  /**
   * A sub-agent is supervised by its delegator's supervisor (restarts,
   * capacity and shutdown apply to it as to any agent there) and is named
   * `<delegator id>.<n>`; its events name the delegator as their parent.
   */
  async #delegate(
    parentPath: string,
    request: DelegationRequest,
    signal: AbortSignal,
  ): Promise<TaskOutcome> {
    const [supervisor, parentId] = splitPath(parentPath);
    const count = (this.#delegations.get(parentPath) ?? 0) + 1;
    this.#delegations.set(parentPath, count);
    const id = `${parentId}.${count}`;
    const path = childSystemId(supervisor, id);
    if (signal.aborted)
      return {
        status: 'failed',
        agentId: path,
        taskId: request.task.id,
        code: 'cancelled',
        message: `not started: ${describeUnknownError(signal.reason)}`,
      };
    this.#delegated.set(path, {
      by: parentPath,
      inherited: inherit(this.#delegated.get(parentPath)?.inherited, request.judgedAs),
    });
    const stopChild = () => {
      // A listener that throws would be an uncaught exception: the sub-agent
      // (or its whole supervisor) may already be gone, and then it is stopped.
      try {
        if (!this.#stopped)
          this.stop(path, `${parentPath} cancelled: ${describeUnknownError(signal.reason)}`);
      } catch (error) {
        if (!(error instanceof UnknownAgentError)) throw error;
      }
    };
    signal.addEventListener('abort', stopChild, { once: true });
    try {
      return await this.run(
        {
          type: 'agent',
          id,
          persona: request.persona,
          kind: request.kind ?? 'ephemeral',
          task: request.task,
        },
        { under: supervisor },
      );
    } finally {
      signal.removeEventListener('abort', stopChild);
      // A refused spawn leaves no agent; a persistent one lives on.
      this.#forgetIfGone(path);
    }
  }

  /**
   * Drops a delegation record once its agent is gone for good: a moment after
   * its exit (its last state change is reported after it and must still name
   * the delegator), and not while its supervisor still holds it (a restart).
   */
  #forgetIfGone(path: string): void {
    queueMicrotask(() => {
      if (!this.#delegated.has(path)) return;
      const [supervisor, id] = splitPath(path);
      let held = false;
      try {
        held = !this.#stopped && this.#hasChild(supervisor, id);
      } catch (error) {
        // The supervisor itself is gone, and the agent with it.
        if (!(error instanceof UnknownAgentError)) throw error;
      }
      if (!held) this.#delegated.delete(path);
    });
  }

  #delegationDepth(path: string): number {
    let depth = 0;
    for (let at = this.#delegated.get(path)?.by; at !== undefined; at = this.#delegated.get(at)?.by)
      depth += 1;
    return depth;
  }

  /** A delegated agent's events name its delegator as parent, one level below it. */
  #relink(event: RuntimeEvent): RuntimeEvent {
    const delegator = this.#delegated.get(event.agentId)?.by;
    if (delegator === undefined) return event;
    if (event.type === 'agent.exited' || event.type === 'agent.killed')
      this.#forgetIfGone(event.agentId);
    return { ...event, parentId: delegator, depth: this.#depthOf(delegator) + 1 };
  }

  #depthOf(path: string): number {
    const delegator = this.#delegated.get(path)?.by;
    return delegator === undefined ? path.split('/').length - 1 : this.#depthOf(delegator) + 1;
  }

  #hasChild(parent: string, id: string): boolean {
    const context = (
      this.#supervisorRef(parent).getSnapshot() as {
        context?: { children?: object; queue?: Array<{ id: string }> };
      }
    ).context;
    return (
      Boolean(context?.children && id in context.children) ||
      Boolean(context?.queue?.some((spec) => spec.id === id))
    );
  }

  /** Asks one child to stop (CANCEL, then a kill after the shutdown timeout). */
  stop(path: string, reason?: string): void {
    this.#assertRunning();
    const [parent, id] = splitPath(path);
    this.#supervisorRef(parent).send({ type: 'STOP', id, ...(reason ? { reason } : {}) });
  }

  /** Stops one child at once, without waiting for its task to settle. */
  kill(path: string, reason?: string): void {
    this.#assertRunning();
    const [parent, id] = splitPath(path);
    this.#supervisorRef(parent).send({ type: 'KILL', id, ...(reason ? { reason } : {}) });
  }

  /** Live actor of an agent or supervisor, by path. */
  agent(path: string) {
    return path === this.rootId ? this.#actor : this.#actor.system.get(path);
  }

  /**
   * Graceful shutdown: children are cancelled in reverse start order, given the
   * supervisor's shutdown timeout, then killed. Resolves when the stream ends.
   */
  async shutdown(reason = 'shutdown'): Promise<SupervisorOutput> {
    if (!this.#stopped) {
      const ended = new Promise<void>((resolve) => this.#events.subscribe({ complete: resolve }));
      this.#actor.send({ type: 'SHUTDOWN', reason });
      await ended;
    }
    // A system agent's last snapshot may still be on its way to disk: a
    // resolved shutdown means nothing is lost and nothing is still writing.
    await Promise.allSettled([...this.#saving]);
    return this.#actor.getSnapshot().output ?? { status: 'stopped' };
  }

  #finish(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#actor.stop();
    this.#events.complete();
  }

  #assertRunning(): void {
    if (this.#stopped) throw new RuntimeStoppedError('the runtime has stopped');
  }

  #supervisorRef(path: string) {
    const ref = this.agent(path);
    if (!ref) throw new UnknownAgentError(`no supervisor at "${path}"`);
    if (ref !== this.#actor && ref.src !== 'supervisor') {
      throw new UnknownAgentError(`"${path}" is an agent, not a supervisor`);
    }
    return ref;
  }

  #agentRef(path: string) {
    const ref = this.agent(path);
    if (!ref) throw new UnknownAgentError(`no agent at "${path}"`);
    return ref;
  }

  #outcomeOf(event: RuntimeEvent, agentId: string, taskId: string): TaskOutcome {
    switch (event.type) {
      case 'task.completed':
        return {
          status: 'completed',
          agentId,
          taskId,
          result: event.result,
          tokens: event.tokens,
          turns: event.turns,
        };
      case 'task.failed':
        return {
          status: 'failed',
          agentId,
          taskId: event.taskId,
          code: event.error.code,
          message: event.error.message,
        };
      case 'spawn.rejected':
        return { status: 'failed', agentId, taskId, code: event.code, message: event.message };
      case 'agent.exited':
        return { status: 'failed', agentId, taskId, code: 'agent_exited', message: event.reason };
      case 'agent.killed':
        return { status: 'failed', agentId, taskId, code: 'agent_killed', message: event.reason };
      default:
        return { status: 'failed', agentId, taskId, code: 'unexpected', message: event.type };
    }
  }

  /** System agents persist a snapshot after every completed task. */
  #afterTask(
    path: string,
    actorRef: { getSnapshot: () => unknown; getPersistedSnapshot?: () => unknown },
  ): void {
    const context = (actorRef.getSnapshot() as { context?: { kind?: string } }).context;
    if (context?.kind !== 'system' || !this.#snapshots || !actorRef.getPersistedSnapshot) return;
    const snapshot = actorRef.getPersistedSnapshot();
    const bytes = Buffer.byteLength(JSON.stringify(snapshot));
    const saving: Promise<void> = this.#snapshots.save(path, snapshot).then(
      () =>
        this.#publishIfOpen({
          type: 'snapshot.saved',
          ...originOf(path, this.#clock.now()),
          bytes,
        }),
      (error: unknown) =>
        this.#publishIfOpen({
          type: 'snapshot.failed',
          ...originOf(path, this.#clock.now()),
          message: describeUnknownError(error),
        }),
    );
    this.#saving.add(saving);
    void saving.finally(() => this.#saving.delete(saving));
  }

  async #restore({
    agentId,
    systemId,
  }: {
    agentId: string;
    systemId: string;
  }): Promise<RestoredAgent> {
    if (!this.#snapshots) return { agentId, state: null };
    const loaded = await this.#snapshots.load(systemId, { validate: describeInvalidAgentSnapshot });
    const origin = () => originOf(systemId, this.#clock.now());
    if (loaded.status === 'missing') return { agentId, state: null };
    if (loaded.status === 'corrupt') {
      this.#publishIfOpen({
        type: 'snapshot.corrupt',
        ...origin(),
        message: loaded.error.message,
        movedTo: loaded.movedTo,
      });
      return { agentId, state: null };
    }
    const { history, turns, metrics } = restorableStateSchema.parse(contextOf(loaded.snapshot));
    this.#publishIfOpen({
      type: 'snapshot.restored',
      ...origin(),
      tasksCompleted: metrics.tasksCompleted,
    });
    return {
      agentId,
      state: { history, turns, tokens: metrics.tokens, tasksCompleted: metrics.tasksCompleted },
    };
  }

  #publishIfOpen(event: RuntimeEvent): void {
    if (!this.#stopped) this.#events.next(this.#relink(event));
  }
}

export function createRuntime(options: RuntimeOptions): Runtime {
  return new Runtime(options);
}

const contextOf = (snapshot: unknown): unknown =>
  snapshot && typeof snapshot === 'object' && 'context' in snapshot ? snapshot.context : undefined;

/** Why a persisted snapshot cannot be a SubAgent's, or null when it can. */
function describeInvalidAgentSnapshot(snapshot: unknown): string | null {
  const parsed = restorableStateSchema.safeParse(contextOf(snapshot));
  if (parsed.success) return null;
  return issueLines(parsed.error.issues, '')
    .map((line) => `context.${line}`)
    .join('; ');
}

function parseSpec(spec: ChildSpecInit): ChildSpec {
  const parsed = childSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new SpawnRejectedError(`invalid spawn spec: ${describeIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

function splitPath(path: string): [string, string] {
  const cut = path.lastIndexOf('/');
  if (cut <= 0)
    throw new UnknownAgentError(`"${path}" is not a child path (expected parent/child)`);
  return [path.slice(0, cut), path.slice(cut + 1)];
}

/** What a sub-agent inherits: its delegator's inheritance narrowed by the delegating call's terms. */
function inherit(above: Inheritance | undefined, judgedAs: CallTerms | undefined): Inheritance {
  const personas = [...(above?.personas ?? []), ...(judgedAs ? [judgedAs.persona] : [])];
  const mode = judgedAs === undefined ? above?.mode : tightenMode(judgedAs.mode, above?.mode);
  return mode === undefined ? { personas } : { mode, personas };
}
