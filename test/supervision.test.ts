/**
 * Supervision, modelled on the cases of Erlang/OTP's supervisor test suite:
 * restart types × exit kinds, strategies, restart intensity and escalation,
 * shutdown with a timeout, nested supervisors, and no orphaned children.
 */
import { describe, expect, it } from 'vitest';
import type { RestartType } from '../machines/contracts.js';
import type { TaskFunction } from '../src/session/index.js';
import { flush } from './support/agents.js';
import { startRuntime } from './support/runtime.js';

const ok: TaskFunction = async ({ task }) => ({ result: `done ${task.id}` });
const failing: TaskFunction = async () => {
  throw new Error('crash');
};
/** Tasks whose prompt is "fail" throw; the rest succeed. */
const byPrompt: TaskFunction = async ({ task }) => {
  if (task.prompt === 'fail') throw new Error(`${task.id} failed`);
  return { result: task.id };
};
const hang: TaskFunction = () => new Promise(() => {});
/** Runs until aborted, then settles. */
const untilAborted: TaskFunction = (_input, { signal }) =>
  new Promise((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(new Error('aborted'))),
  );

describe('restart types × exits', () => {
  const cases: Array<[RestartType, 'normal' | 'abnormal', boolean]> = [
    ['temporary', 'normal', false],
    ['temporary', 'abnormal', false],
    ['transient', 'normal', false],
    ['transient', 'abnormal', true],
    ['permanent', 'normal', true],
    ['permanent', 'abnormal', true],
  ];
  it.each(cases)('%s child, %s exit → restarted: %s', async (restart, exit, restarted) => {
    const { runtime, of } = startRuntime({
      runTask: exit === 'normal' ? ok : failing,
      supervisor: { maxRestarts: 1 },
    });
    runtime.spawn({
      type: 'agent',
      id: 'w',
      kind: 'ephemeral',
      restart,
      task: { id: 't', prompt: 'go' },
    });
    await flush();
    expect(of('agent.exited', 'root/w')[0]).toMatchObject({ exit });
    expect(of('agent.restarting', 'root/w')).toHaveLength(restarted ? 1 : 0);
    expect(runtime.actor.getSnapshot().context.children.w !== undefined).toBe(restarted);
    await runtime.shutdown();
  });

  it('ephemeral agents are temporary by default, persistent transient, system permanent', async () => {
    const { runtime } = startRuntime({ runTask: hang });
    runtime.spawn({ type: 'agent', id: 'e', kind: 'ephemeral' });
    runtime.spawn({ type: 'agent', id: 'p', kind: 'persistent' });
    runtime.spawn({ type: 'agent', id: 's', kind: 'system' });
    await flush();
    const children = runtime.actor.getSnapshot().context.children;
    expect([children.e?.restart, children.p?.restart, children.s?.restart]).toEqual([
      'temporary',
      'transient',
      'permanent',
    ]);
    await runtime.shutdown();
  });

  it('a cancel the supervisor did not ask for is a normal exit (OTP shutdown)', async () => {
    const { runtime, of } = startRuntime({ runTask: untilAborted });
    runtime.spawn({ type: 'agent', id: 'p', kind: 'persistent', task: { id: 't', prompt: 'x' } });
    await flush();
    runtime.agent('root/p')?.send({ type: 'CANCEL', reason: 'user' });
    await flush();
    expect(of('agent.exited', 'root/p')[0]).toMatchObject({ exit: 'normal' });
    expect(of('agent.restarting')).toHaveLength(0);
  });
});

describe('restart strategies', () => {
  const spawnThree = (
    runtime: ReturnType<typeof startRuntime>['runtime'],
    restart: RestartType = 'permanent',
  ) => {
    for (const id of ['a', 'b', 'c']) {
      runtime.spawn({
        type: 'agent',
        id,
        kind: 'persistent',
        restart,
        task: { id: `${id}1`, prompt: id === 'b' ? 'fail' : 'ok' },
      });
    }
  };

  it('one_for_one restarts only the failed child', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: byPrompt,
      supervisor: { strategy: 'one_for_one' },
    });
    spawnThree(runtime);
    await flush();
    await advance(60);
    expect(of('agent.restarting').map((e) => e.agentId)).toEqual(['root/b']);
    expect(of('agent.spawned').map((e) => `${e.agentId}#${e.attempt}`)).toEqual([
      'root/a#0',
      'root/b#0',
      'root/c#0',
      'root/b#1',
    ]);
  });

  it('one_for_all restarts every child, in start order, and drops temporary siblings', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: byPrompt,
      supervisor: { strategy: 'one_for_all' },
    });
    spawnThree(runtime);
    runtime.spawn({ type: 'agent', id: 'tmp', kind: 'ephemeral' });
    await flush();
    await advance(60);
    expect(of('agent.restarting').map((e) => e.agentId)).toEqual(['root/a', 'root/b', 'root/c']);
    expect(of('agent.killed').map((e) => e.agentId)).toEqual(['root/tmp']);
    expect(
      of('agent.spawned')
        .filter((e) => e.attempt === 1)
        .map((e) => e.agentId),
    ).toEqual(['root/a', 'root/b', 'root/c']);
    expect(Object.keys(runtime.actor.getSnapshot().context.children).sort()).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('rest_for_one restarts the failed child and those started after it', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: byPrompt,
      supervisor: { strategy: 'rest_for_one' },
    });
    spawnThree(runtime);
    await flush();
    await advance(60);
    expect(of('agent.restarting').map((e) => e.agentId)).toEqual(['root/b', 'root/c']);
    expect(
      of('agent.spawned')
        .filter((e) => e.attempt === 1)
        .map((e) => e.agentId),
    ).toEqual(['root/b', 'root/c']);
  });
});

describe('restart intensity', () => {
  it('backs off exponentially between restarts', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: failing,
      supervisor: {
        maxRestarts: 3,
        periodMs: 60_000,
        backoff: { initialMs: 100, factor: 2, maxMs: 10_000 },
      },
    });
    runtime.spawn({
      type: 'agent',
      id: 'w',
      kind: 'ephemeral',
      restart: 'permanent',
      task: { id: 't', prompt: 'x' },
    });
    await flush();
    await advance(100 + 200 + 400 + 10);
    expect(of('agent.restarting').map((e) => e.delayMs)).toEqual([100, 200, 400]);
    const spawnTimes = of('agent.spawned').map((e) => e.at);
    const gaps = spawnTimes.slice(1).map((at, i) => at - (spawnTimes[i] ?? at));
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
  });

  it('escalates past maxRestarts within periodMs: children stopped, typed error upward', async () => {
    let aborted = 0;
    const runTask: TaskFunction = ({ task }, { signal }) => {
      if (task.prompt === 'fail') return Promise.reject(new Error('boom'));
      signal.addEventListener('abort', () => aborted++);
      return new Promise(() => {});
    };
    const { runtime, of, advance } = startRuntime({
      runTask,
      supervisor: {
        maxRestarts: 2,
        periodMs: 5_000,
        backoff: { initialMs: 10, factor: 1, maxMs: 10 },
      },
    });
    runtime.spawn({
      type: 'agent',
      id: 'bystander',
      kind: 'ephemeral',
      task: { id: 'b', prompt: 'wait' },
    });
    runtime.spawn({
      type: 'agent',
      id: 'w',
      kind: 'ephemeral',
      restart: 'permanent',
      task: { id: 't', prompt: 'fail' },
    });
    await flush();
    const bystander = runtime.agent('root/bystander');
    await advance(50);
    const [escalation] = of('supervisor.escalated');
    expect(escalation).toMatchObject({
      agentId: 'root',
      error: { code: 'restart_intensity_exceeded', childId: 'w', restarts: 2, periodMs: 5_000 },
    });
    expect(runtime.stopped).toBe(true);
    expect(runtime.actor.getSnapshot().output).toMatchObject({
      status: 'failed',
      error: { code: 'restart_intensity_exceeded' },
    });
    // No orphan: the live bystander was stopped with its parent and its task aborted.
    expect(bystander?.getSnapshot().status).toBe('stopped');
    expect(aborted).toBe(1);
  });

  it('restarts spread beyond the window do not escalate', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: failing,
      supervisor: {
        maxRestarts: 1,
        periodMs: 100,
        backoff: { initialMs: 150, factor: 1, maxMs: 150 },
      },
    });
    runtime.spawn({
      type: 'agent',
      id: 'w',
      kind: 'ephemeral',
      restart: 'permanent',
      task: { id: 't', prompt: 'x' },
    });
    await flush();
    await advance(160 * 4);
    expect(of('agent.restarting').length).toBeGreaterThanOrEqual(4);
    expect(of('supervisor.escalated')).toHaveLength(0);
    await runtime.shutdown();
  });
});

describe('stopping', () => {
  it('SHUTDOWN cancels children in reverse start order and ends the event stream', async () => {
    const order: string[] = [];
    const runTask: TaskFunction = (input, context) => {
      context.signal.addEventListener('abort', () => order.push(input.agentId));
      return untilAborted(input, context);
    };
    const { runtime, of } = startRuntime({ runTask });
    for (const id of ['first', 'second', 'third'])
      runtime.spawn({ type: 'agent', id, task: { id: `${id}-t`, prompt: 'x' } });
    await flush();
    const output = await runtime.shutdown();
    expect(order).toEqual(['third', 'second', 'first']);
    expect(output).toEqual({ status: 'stopped' });
    expect(of('agent.exited').map((e) => e.exit)).toEqual(['requested', 'requested', 'requested']);
    expect(of('task.failed').map((e) => e.error.code)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(of('supervisor.stopped')).toHaveLength(1);
  });

  it('the shutdown timeout kills a child that ignores cancel', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: hang,
      supervisor: { shutdownTimeoutMs: 500 },
    });
    runtime.spawn({ type: 'agent', id: 'stubborn', task: { id: 't', prompt: 'x' } });
    await flush();
    const stubborn = runtime.agent('root/stubborn');
    const done = runtime.shutdown();
    await advance(499);
    expect(runtime.stopped).toBe(false);
    expect(stubborn?.getSnapshot().value).toEqual({ running: 'cancelling' });
    await advance(1);
    await done;
    expect(of('agent.killed', 'root/stubborn')[0]?.reason).toBe('shutdown timeout');
    expect(stubborn?.getSnapshot().status).toBe('stopped');
  });

  it('STOP is graceful with a deadline; KILL is immediate; neither restarts', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: hang,
      supervisor: { shutdownTimeoutMs: 100 },
    });
    runtime.spawn({ type: 'agent', id: 'a', kind: 'system', task: { id: 't', prompt: 'x' } });
    runtime.spawn({ type: 'agent', id: 'b', kind: 'system', task: { id: 't', prompt: 'x' } });
    await flush();
    runtime.stop('root/a');
    runtime.kill('root/b', 'operator');
    expect(of('agent.killed', 'root/b')[0]?.reason).toBe('operator');
    await advance(100);
    expect(of('agent.killed', 'root/a')[0]?.reason).toBe('did not stop within 100 ms');
    expect(of('agent.restarting')).toHaveLength(0);
    expect(runtime.actor.getSnapshot().context.children).toEqual({});
    expect(runtime.actor.getSnapshot().children).toEqual({});
  });
});

describe('spawning', () => {
  it('queues past maxConcurrent and starts queued children as others finish', async () => {
    const { runtime, of } = startRuntime({ runTask: ok, supervisor: { maxConcurrent: 2 } });
    const outcomes = ['a', 'b', 'c', 'd'].map((id) =>
      runtime.run({ type: 'agent', id, task: { id: `${id}-t`, prompt: id } }),
    );
    expect(of('spawn.queued').map((e) => [e.agentId, e.position])).toEqual([
      ['root/c', 1],
      ['root/d', 2],
    ]);
    const results = await Promise.all(outcomes);
    expect(results.map((r) => r.status === 'completed' && r.result)).toEqual([
      'done a-t',
      'done b-t',
      'done c-t',
      'done d-t',
    ]);
    expect(runtime.actor.getSnapshot().children).toEqual({});
  });

  it('rejects with spawn_limit_reached when overflow is reject', async () => {
    const { runtime } = startRuntime({
      runTask: hang,
      supervisor: { maxConcurrent: 1, overflow: 'reject' },
    });
    runtime.spawn({ type: 'agent', id: 'a' });
    const outcome = await runtime.run({ type: 'agent', id: 'b', task: { id: 't', prompt: 'x' } });
    expect(outcome).toMatchObject({ status: 'failed', code: 'spawn_limit_reached' });
  });

  it('rejects duplicate ids and invalid specs with clear errors', async () => {
    const { runtime, of } = startRuntime({ runTask: hang });
    runtime.spawn({ type: 'agent', id: 'a' });
    runtime.spawn({ type: 'agent', id: 'a' });
    expect(of('spawn.rejected')[0]).toMatchObject({ agentId: 'root/a', code: 'duplicate_id' });
    expect(() => runtime.spawn({ type: 'agent', id: '../etc' })).toThrow(/id: an id of letters/);
    runtime.actor.send({ type: 'SPAWN', spec: { type: 'agent', id: 'x', kind: 'immortal' } });
    expect(of('spawn.rejected')[1]).toMatchObject({
      code: 'invalid_spawn',
      message: expect.stringContaining('kind'),
    });
  });
});

describe('supervision trees', () => {
  it('a nested supervisor that escalates is restarted by its parent; events carry paths and depth', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: failing,
      supervisor: { maxRestarts: 5 },
    });
    runtime.spawn({
      type: 'supervisor',
      id: 'team',
      config: { maxRestarts: 0, backoff: { initialMs: 0, factor: 1, maxMs: 0 } },
    });
    runtime.spawn(
      { type: 'agent', id: 'worker', restart: 'permanent', task: { id: 't', prompt: 'x' } },
      { under: 'root/team' },
    );
    await flush();
    await advance(60);
    expect(of('supervisor.escalated')[0]).toMatchObject({
      agentId: 'root/team',
      parentId: 'root',
      depth: 1,
    });
    expect(of('task.failed')[0]).toMatchObject({
      agentId: 'root/team/worker',
      parentId: 'root/team',
      depth: 2,
    });
    expect(of('agent.exited', 'root/team')[0]).toMatchObject({ exit: 'abnormal' });
    expect(of('agent.spawned', 'root/team').map((e) => e.attempt)).toEqual([0, 1]);
    expect(runtime.agent('root/team')?.getSnapshot().value).toBe('supervising');
    await runtime.shutdown();
  });

  it('a restarted persistent agent keeps its history', async () => {
    const { runtime, advance } = startRuntime({ runTask: byPrompt });
    runtime.spawn({
      type: 'agent',
      id: 'p',
      kind: 'persistent',
      task: { id: 't1', prompt: 'remember me' },
    });
    await flush();
    runtime.startTask('root/p', { id: 't2', prompt: 'fail' });
    await flush();
    await advance(60);
    const restarted = runtime.agent('root/p');
    expect(restarted?.getSnapshot().value).toBe('idle');
    expect(
      restarted?.getSnapshot().context.history.map((m: { content: string }) => m.content),
    ).toEqual(['remember me', 't1']);
    await runtime.shutdown();
  });
});

describe('at scale', () => {
  it('1,000 children failing at random are each restarted or reported; none is lost', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const attempts = new Map<string, number>();
    const runTask: TaskFunction = async ({ agentId }) => {
      attempts.set(agentId, (attempts.get(agentId) ?? 0) + 1);
      if (random() < 0.4) throw new Error(`random failure of ${agentId}`);
      return { result: agentId };
    };
    const { runtime, of, advance } = startRuntime({
      runTask,
      supervisor: {
        maxConcurrent: 1_000,
        maxRestarts: 100_000,
        periodMs: 1_000,
        backoff: { initialMs: 1, factor: 1, maxMs: 1 },
      },
    });
    for (let i = 0; i < 1_000; i++) {
      runtime.spawn({
        type: 'agent',
        id: `w${i}`,
        restart: 'transient',
        task: { id: `t${i}`, prompt: 'x' },
      });
    }
    for (
      let round = 0;
      round < 40 && Object.keys(runtime.actor.getSnapshot().context.children).length > 0;
      round++
    ) {
      await advance(2);
    }
    const failures = of('task.failed').length;
    expect(failures).toBeGreaterThan(200);
    expect(of('agent.restarting')).toHaveLength(failures);
    expect(of('task.completed')).toHaveLength(1_000);
    expect(new Set(of('task.completed').map((e) => e.agentId)).size).toBe(1_000);
    expect(runtime.actor.getSnapshot().context.children).toEqual({});
    expect(runtime.actor.getSnapshot().children).toEqual({});
    expect([...attempts.values()].reduce((a, b) => a + b, 0)).toBe(1_000 + failures);
  });
});
