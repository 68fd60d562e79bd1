/**
 * Spawn benchmarks. Each figure is printed beside a baseline measured in the
 * same run on the same machine:
 *   - spawn→complete of ephemeral SubAgents vs bare createActor of a 4-state machine
 *   - retained heap per idle SubAgent (10,000 and 100,000) vs a bare idle root actor
 *   - event throughput to 1 and 10 subscribers vs a bare RxJS Subject
 */
import { Subject } from 'rxjs';
import { createActor, createMachine, enqueueActions, fromCallback, setup } from 'xstate';
import { createRuntime, type Runtime } from '../src/session/index.js';
import { type BenchRow, gc, heapUsed, measure, timeIt } from './support.js';

const fourStates = createMachine({
  initial: 'a',
  states: {
    a: { on: { NEXT: 'b' } },
    b: { on: { NEXT: 'c' } },
    c: { on: { NEXT: 'd' } },
    d: { type: 'final' },
  },
});

function bareActorCycles(n: number): number {
  return timeIt(n, () => {
    for (let i = 0; i < n; i++) {
      const actor = createActor(fourStates);
      actor.start();
      actor.send({ type: 'NEXT' });
      actor.send({ type: 'NEXT' });
      actor.send({ type: 'NEXT' });
      actor.stop();
    }
  });
}

/**
 * The actor topology a supervised SubAgent needs, with nothing else: a parent
 * spawns a child, the child invokes a callback actor that reports done a
 * microtask later, the child ends, the parent reaps it. What XState itself
 * costs for one spawn→complete cycle; nerdloop cannot go faster than this.
 */
const floorChild = setup({
  actors: {
    work: fromCallback(({ sendBack }) => {
      Promise.resolve().then(() => sendBack({ type: 'DONE' }));
    }),
  },
}).createMachine({
  initial: 'idle',
  states: {
    idle: { on: { START: 'running' } },
    running: { invoke: { src: 'work' }, on: { DONE: 'completed' } },
    completed: { type: 'final' },
  },
});

const floorParent = setup({
  types: {
    context: {} as { done: number },
    events: {} as { type: 'SPAWN'; id: string } | { type: `xstate.done.actor.${string}` },
  },
  actors: { child: floorChild },
}).createMachine({
  context: { done: 0 },
  on: {
    SPAWN: {
      actions: enqueueActions(({ enqueue, event }) => {
        if (event.type !== 'SPAWN') return;
        enqueue.spawnChild('child', { id: event.id });
        enqueue.sendTo(event.id, { type: 'START' });
      }),
    },
    'xstate.done.actor.*': {
      actions: enqueueActions(({ enqueue, event, context }) => {
        enqueue.stopChild(event.type.slice('xstate.done.actor.'.length));
        enqueue.assign({ done: context.done + 1 });
      }),
    },
  },
});

async function xstateFloorCycles(n: number, batch: number): Promise<number> {
  const actor = createActor(floorParent, { inspect: () => {} }).start();
  let wake: () => void = () => {};
  actor.subscribe((snapshot) => {
    if (snapshot.context.done % batch === 0) wake();
  });
  const started = performance.now();
  for (let done = 0; done < n; done += batch) {
    const settled = new Promise<void>((resolve) => {
      wake = resolve;
    });
    for (let i = done; i < done + batch; i++) actor.send({ type: 'SPAWN', id: `a${i}` });
    await settled;
  }
  const seconds = (performance.now() - started) / 1000;
  actor.stop();
  return n / seconds;
}

/**
 * Runs `n` ephemeral agents with no-op tasks, `batch` alive at a time, while
 * `subscribers` extra observers count every event. Returns the seconds taken
 * and the events each subscriber received.
 */
async function runEphemeralBatches(
  n: number,
  batch: number,
  subscribers = 0,
): Promise<{ seconds: number; delivered: number }> {
  const runtime = createRuntime({
    runTask: () => ({ result: null }),
    supervisor: { maxConcurrent: batch, maxQueue: n },
  });
  let delivered = 0;
  for (let s = 0; s < subscribers; s++) runtime.events$.subscribe(() => delivered++);
  let completed = 0;
  let wake: () => void = () => {};
  runtime.events$.subscribe((event) => {
    if (event.type === 'task.completed' && ++completed % batch === 0) wake();
  });
  const started = performance.now();
  for (let done = 0; done < n; done += batch) {
    const settled = new Promise<void>((resolve) => {
      wake = resolve;
    });
    for (let i = done; i < done + batch; i++) {
      runtime.spawn({ type: 'agent', id: `a${i}`, task: { id: 't', prompt: '' } });
    }
    await settled;
  }
  const seconds = (performance.now() - started) / 1000;
  await runtime.shutdown();
  return { seconds, delivered: subscribers > 0 ? delivered / subscribers : 0 };
}

async function spawnCompleteCycles(n: number, batch: number): Promise<number> {
  const { seconds } = await runEphemeralBatches(n, batch);
  return n / seconds;
}

/** Idle persistent agents spread over nested supervisors of `fanout` children each. */
async function idleAgentBytes(
  n: number,
  fanout: number,
): Promise<{ perAgent: number; alive: number; seconds: number }> {
  await gc();
  const before = heapUsed();
  const started = performance.now();
  const runtime: Runtime = createRuntime({
    runTask: () => ({ result: null }),
    supervisor: { maxConcurrent: fanout + 1 },
  });
  const teams = Math.ceil(n / fanout);
  for (let t = 0; t < teams; t++) {
    runtime.spawn({ type: 'supervisor', id: `team${t}`, config: { maxConcurrent: fanout } });
    const under = `root/team${t}`;
    for (let i = t * fanout; i < Math.min(n, (t + 1) * fanout); i++) {
      runtime.spawn({ type: 'agent', id: `a${i}`, kind: 'persistent' }, { under });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await gc();
  const after = heapUsed();
  let alive = 0;
  for (let t = 0; t < teams; t++) {
    const team = runtime.agent(`root/team${t}`);
    alive += Object.keys(team?.getSnapshot().children ?? {}).length;
  }
  await runtime.shutdown();
  return { perAgent: (after - before) / n, alive, seconds };
}

async function bareIdleActorBytes(n: number): Promise<number> {
  const machine = createMachine({
    initial: 'idle',
    context: { history: [] as string[] },
    states: { idle: {} },
  });
  await gc();
  const before = heapUsed();
  const actors = Array.from({ length: n }, () => createActor(machine).start());
  await gc();
  const after = heapUsed();
  for (const actor of actors) actor.stop();
  return (after - before) / n;
}

/**
 * Events delivered to each subscriber per second while ephemeral agents run
 * no-op tasks ten at a time (a persistent agent would measure its growing
 * history instead, which every task copies).
 */
async function runtimeEventsPerSecond(subscribers: number, tasks: number): Promise<number> {
  const { seconds, delivered } = await runEphemeralBatches(tasks, 10, subscribers);
  return delivered / seconds;
}

function bareSubjectEventsPerSecond(subscribers: number, n: number): number {
  const subject = new Subject<{ type: string }>();
  let delivered = 0;
  for (let s = 0; s < subscribers; s++) subject.subscribe(() => delivered++);
  return (
    timeIt(n, () => {
      for (let i = 0; i < n; i++) subject.next({ type: 'x' });
    }) * (delivered > 0 ? 1 : 0)
  );
}

export async function spawnBench(options: {
  quick: boolean;
  report: (row: BenchRow) => void;
}): Promise<void> {
  const rows = { push: options.report };
  const cycles = options.quick ? 5_000 : 20_000;
  for (const concurrency of [10, 1_000]) {
    rows.push(
      await measure(
        `spawn→complete, ephemeral SubAgent (no-op task), ${concurrency.toLocaleString('en')} alive at once`,
        'cycles/s',
        () => spawnCompleteCycles(cycles, concurrency),
        {
          baselines: [
            { name: 'bare createActor → 3 events → stop', run: () => bareActorCycles(cycles) },
            {
              name: 'XState floor: same actor topology, bare machines, inspected',
              run: () => xstateFloorCycles(cycles, concurrency),
            },
          ],
          target: '≥ 20,000',
        },
      ),
    );
  }
  const bareBytes = await bareIdleActorBytes(10_000);
  for (const n of options.quick ? [10_000] : [10_000, 100_000]) {
    const result = await idleAgentBytes(n, 500);
    rows.push({
      name: `retained heap per idle SubAgent at ${n.toLocaleString('en')} (${result.alive.toLocaleString('en')} alive, built in ${result.seconds.toFixed(1)} s)`,
      unit: 'bytes',
      value: result.perAgent,
      baselines: [{ name: 'bare idle root actor', value: bareBytes }],
      target: '≤ 5,120',
    });
  }
  for (const subscribers of [1, 10]) {
    rows.push(
      await measure(
        `events delivered per subscriber, ${subscribers} subscriber${subscribers > 1 ? 's' : ''}`,
        'events/s',
        () => runtimeEventsPerSecond(subscribers, options.quick ? 2_000 : 10_000),
        {
          baselines: [
            {
              name: 'bare RxJS Subject.next',
              run: () => bareSubjectEventsPerSecond(subscribers, 200_000),
            },
          ],
        },
      ),
    );
  }
}
