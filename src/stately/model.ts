/**
 * Model-based testing of machines with `@xstate/graph`: generate shortest,
 * simple and edge paths from a manifest entry's model, replay each against a
 * real actor (invoked/spawned logic replaced by inert actors, time simulated,
 * synthetic done/error/after events sent from outside), and measure which
 * states and transition definitions the real actors took.
 */
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from '@xstate/graph';
import {
  type AnyActorLogic,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  createActor,
  createEmptyActor,
  type EventObject,
  fromCallback,
  SimulatedClock,
  type StateValue,
} from 'xstate';
import type { MachineModel } from './manifest.js';

export type PathKind = 'shortest' | 'simple' | 'edge';

export type ModelStep = { event: EventObject; value: StateValue; status: string; output: unknown };

export type ModelPath = { kind: PathKind; input: unknown; steps: ModelStep[]; description: string };

export type ReplayResult = {
  /** Mismatches between the model's expectation and the real actor, per step. */
  mismatches: string[];
  transitions: Set<string>;
  states: Set<string>;
  emitted: EventObject[];
};

/** The machine with every actor it may invoke or spawn replaced by one that does nothing. */
export function inertMachine(machine: AnyStateMachine): AnyStateMachine {
  const actors: Record<string, AnyActorLogic> = {};
  for (const key of Object.keys(machine.implementations.actors))
    actors[key] = fromCallback(() => {});
  return machine.provide({ actors });
}

/**
 * The machine as the graph traversal should see it. @xstate/graph runs every
 * transition against one shared mock actor system, so a machine that spawns
 * children with a `systemId` fails the second time any path spawns the same
 * child ("system ID already exists"). Each transition here gets a fresh mock
 * parent and system; nothing else about the machine changes.
 */
export function traversalLogic(machine: AnyStateMachine): AnyStateMachine {
  const logic = Object.create(machine) as AnyStateMachine;
  logic.transition = (snapshot, event, scope) => {
    const parent = createEmptyActor();
    // The mock scope is only read for `self` and `system`; the cast keeps the rest of it.
    return machine.transition(snapshot, event, {
      ...scope,
      self: parent as typeof scope.self,
      system: parent.system,
    });
  };
  return logic;
}

/**
 * Events the traversal may send in a state: the manifest's samples, except that
 * `xstate.done.actor.X` / `xstate.error.actor.X` are only offered while child X
 * exists, as in a real system (an unhandled child error event errors a machine);
 * plus the `xstate.after.*` event of every delayed transition of an active state.
 */
export function eventsFor(machine: AnyStateMachine, model: MachineModel) {
  const delayed: Array<{ value: StateValue; type: string }> = [];
  const visit = (node: AnyStateNode) => {
    for (const transition of node.after)
      delayed.push({ value: stateValueAt(node.path), type: transition.eventType });
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return (snapshot: AnyMachineSnapshot): EventObject[] => [
    ...model.events.filter((event) => {
      const child = /^xstate\.(?:done|error)\.actor\.(.+)$/.exec(event.type)?.[1];
      return child === undefined || snapshot.children[child] !== undefined;
    }),
    ...delayed.filter(({ value }) => snapshot.matches(value)).map(({ type }) => ({ type })),
  ];
}

function stateValueAt(path: readonly string[]): StateValue {
  const [head, ...rest] = path;
  if (head === undefined) return {};
  return rest.length === 0 ? head : { [head]: stateValueAt(rest) };
}

export function serializerFor(model: MachineModel) {
  return (snapshot: AnyMachineSnapshot): string => {
    const picked: Record<string, unknown> = {};
    for (const path of model.contextKeys) picked[path] = project(snapshot.context, path.split('.'));
    return JSON.stringify({
      value: snapshot.value,
      status: snapshot.status,
      output: snapshot.output,
      context: picked,
    });
  };
}

/** Reads a dotted path from a value; `*` maps over an object's or array's entries. */
function project(value: unknown, path: string[]): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object')
    return path.length === 0 ? value : undefined;
  const [head, ...rest] = path;
  if (head === '*') {
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    return Object.fromEntries(entries.map(([key, item]) => [key, project(item, rest)]));
  }
  return project((value as Record<string, unknown>)[head ?? ''], rest);
}

export function planPaths(machine: AnyStateMachine, model: MachineModel): ModelPath[] {
  const inert = traversalLogic(inertMachine(machine));
  const serializeState = serializerFor(model);
  const plans: ModelPath[] = [];
  for (const input of model.inputs) {
    const options = {
      input,
      events: eventsFor(machine, model),
      serializeState,
      limit: model.limit,
    };
    const shortest = getShortestPaths(inert, options);
    const byState = new Map<string, ModelStep[]>();
    for (const path of shortest) {
      const steps = path.steps.map(toStep);
      byState.set(serializeState(path.state as AnyMachineSnapshot), steps);
      plans.push({ kind: 'shortest', input, steps, description: describePath(steps) });
    }
    const adjacency = getAdjacencyMap(inert, options);
    for (const [source, { state, transitions }] of Object.entries(adjacency)) {
      const prefix = byState.get(source);
      if (!prefix || (state as AnyMachineSnapshot).status !== 'active') continue;
      for (const edge of Object.values(transitions) as Array<{
        event: EventObject;
        state: unknown;
      }>) {
        const steps = [...prefix, toStep(edge)];
        plans.push({ kind: 'edge', input, steps, description: describePath(steps) });
      }
    }
    if (Object.keys(adjacency).length <= model.limit) {
      let taken = 0;
      for (const path of getSimplePaths(inert, options)) {
        if (path.steps.length > model.maxSimplePathLength) continue;
        if (++taken > model.maxSimplePaths) break;
        const steps = path.steps.map(toStep);
        plans.push({ kind: 'simple', input, steps, description: describePath(steps) });
      }
    }
  }
  return plans;
}

/** Replays one path against a real actor and reports where it disagreed with the model. */
export function replayPath(machine: AnyStateMachine, path: ModelPath): ReplayResult {
  const transitions = new Set<string>();
  const states = new Set<string>();
  const emitted: EventObject[] = [];
  const mismatches: string[] = [];
  const actor = createActor(inertMachine(machine), {
    input: path.input,
    clock: new SimulatedClock(),
    inspect: (event) => {
      if (event.type === '@xstate.microstep' && event.actorRef === actor) {
        for (const transition of event._transitions) transitions.add(transitionKey(transition));
      }
    },
  });
  actor.on('*', (event) => emitted.push(event));
  actor.subscribe({ error: () => {} });
  actor.start();
  for (const id of stateIds(machine, actor.getSnapshot().value)) states.add(id);
  path.steps.forEach((step, index) => {
    actor.send(step.event);
    const snapshot = actor.getSnapshot();
    for (const id of stateIds(machine, snapshot.value)) states.add(id);
    const where = `step ${index + 1} (${step.event.type})`;
    if (JSON.stringify(snapshot.value) !== JSON.stringify(step.value)) {
      mismatches.push(
        `${where}: expected ${JSON.stringify(step.value)}, actor is in ${JSON.stringify(snapshot.value)}`,
      );
    }
    if (snapshot.status !== step.status) {
      mismatches.push(`${where}: expected status ${step.status}, actor is ${snapshot.status}`);
    }
    if (step.status === 'done' && JSON.stringify(snapshot.output) !== JSON.stringify(step.output)) {
      mismatches.push(
        `${where}: expected output ${JSON.stringify(step.output)}, got ${JSON.stringify(snapshot.output)}`,
      );
    }
  });
  actor.stop();
  return { mismatches, transitions, states, emitted };
}

/** Every transition definition of the machine, by stable key. */
export function allTransitionKeys(machine: AnyStateMachine): Set<string> {
  const keys = new Set<string>();
  const visit = (node: AnyStateNode) => {
    for (const list of node.transitions.values())
      for (const transition of list) keys.add(transitionKey(transition));
    for (const transition of node.always ?? []) keys.add(transitionKey(transition));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return keys;
}

/** Every state node of the machine, as dotted paths (`running.working`). */
export function allStateIds(machine: AnyStateMachine): Set<string> {
  const ids = new Set<string>();
  const visit = (node: AnyStateNode) => {
    if (node.path.length > 0) ids.add(node.path.join('.'));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return ids;
}

type TransitionLike = {
  source: { id: string };
  eventType: string;
  target?: ReadonlyArray<{ id: string }> | undefined;
  guard?: unknown;
};

export function transitionKey(transition: TransitionLike): string {
  const target = transition.target?.map((node) => node.id).join(',') ?? '(self)';
  const guard = transition.guard as { type?: unknown } | string | undefined;
  const guardName =
    typeof guard === 'string'
      ? guard
      : typeof guard?.type === 'string'
        ? guard.type
        : guard
          ? 'inline'
          : '';
  return `${transition.source.id} --${transition.eventType || 'always'}${guardName ? ` [${guardName}]` : ''}--> ${target}`;
}

function stateIds(_machine: AnyStateMachine, value: StateValue): string[] {
  const ids: string[] = [];
  const visit = (current: StateValue, prefix: string) => {
    if (typeof current === 'string') {
      ids.push(prefix ? `${prefix}.${current}` : current);
      return;
    }
    for (const [key, inner] of Object.entries(current)) {
      const path = prefix ? `${prefix}.${key}` : key;
      ids.push(path);
      if (inner !== undefined) visit(inner as StateValue, path);
    }
  };
  visit(value, '');
  return ids;
}

function toStep(step: { event: EventObject; state: unknown }): ModelStep {
  const snapshot = step.state as AnyMachineSnapshot;
  return {
    event: step.event,
    value: snapshot.value,
    status: snapshot.status,
    output: snapshot.output,
  };
}

function describePath(steps: ModelStep[]): string {
  return steps.map((step) => step.event.type).join(' → ') || '(initial)';
}
