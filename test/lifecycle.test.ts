/**
 * Every task ends with a reason, whatever stops its agent: kills, shutdown
 * timeouts, escalation, the kill of a parent supervisor. And what a restart
 * brings back: the static children of a nested supervisor, the history of
 * every persistent agent in a restarted group.
 */
import { describe, expect, it } from 'vitest';
import type { TaskFunction } from '../src/session/index.js';
import {
  createRuntime,
  InvalidRuntimeOptionsError,
  InvalidTaskError,
  RuntimeStoppedError,
} from '../src/session/index.js';
import { MemorySnapshotStore } from '../src/snapshots/index.js';
import { flush } from './support/agents.js';
import { startRuntime } from './support/runtime.js';

const hang: TaskFunction = () => new Promise(() => {});
const ignoresAbort: TaskFunction = () => new Promise(() => {});
/** Runs until aborted, then settles. */
const untilAborted: TaskFunction = (_input, { signal }) =>
  new Promise((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(new Error('aborted'))),
  );
const ok: TaskFunction = async ({ task }) => ({ result: task.id });
const byPrompt: TaskFunction = async ({ task }) => {
  if (task.prompt === 'fail') throw new Error(`${task.id} failed`);
  return { result: task.id };
};

describe('every task ends with a reason', () => {
  it('a killed agent fails its task in flight, and waitForTask says so', async () => {
    const { runtime, of } = startRuntime({ runTask: hang });
    const outcome = runtime.run({ type: 'agent', id: 'a', task: { id: 't1', prompt: 'x' } });
    await flush();
    runtime.kill('root/a', 'operator');
    await expect(outcome).resolves.toMatchObject({
      status: 'failed',
      taskId: 't1',
      code: 'cancelled',
      message: 'killed: operator',
    });
    const failed = of('task.failed', 'root/a');
    expect(failed).toHaveLength(1);
    const types = of('task.failed', 'root/a').concat();
    expect(types[0]?.error).toEqual({ code: 'cancelled', message: 'killed: operator' });
    await runtime.shutdown();
  });

  it('waitForTask resolves when the agent is killed before its task starts', async () => {
    const { runtime } = startRuntime({ runTask: untilAborted, supervisor: { maxConcurrent: 1 } });
    runtime.spawn({ type: 'agent', id: 'busy', task: { id: 'b', prompt: 'x' } });
    runtime.spawn({ type: 'agent', id: 'idle', kind: 'persistent' });
    await flush();
    const outcome = runtime.waitForTask('root/idle', 'later');
    runtime.kill('root/idle', 'not needed');
    await expect(outcome).resolves.toMatchObject({ status: 'failed', code: 'agent_killed' });
    await runtime.shutdown();
  });

  it('killing a nested supervisor reports each descendant killed and each task failed', async () => {
    const { runtime, of, events } = startRuntime({ runTask: hang });
    runtime.spawn({ type: 'supervisor', id: 'team' });
    await flush();
    runtime.spawn({ type: 'supervisor', id: 'sub' }, { under: 'root/team' });
    await flush();
    runtime.spawn(
      { type: 'agent', id: 'x', task: { id: 'tx', prompt: '' } },
      { under: 'root/team' },
    );
    runtime.spawn(
      { type: 'agent', id: 'y', task: { id: 'ty', prompt: '' } },
      { under: 'root/team/sub' },
    );
    await flush();
    runtime.kill('root/team', 'reorg');
    await flush();
    expect(of('task.failed').map((e) => [e.agentId, e.taskId])).toEqual(
      expect.arrayContaining([
        ['root/team/x', 'tx'],
        ['root/team/sub/y', 'ty'],
      ]),
    );
    const killed = of('agent.killed').map((e) => e.agentId);
    expect(killed).toEqual(['root/team', 'root/team/sub/y', 'root/team/sub', 'root/team/x']);
    // Each task failure comes before the kill that caused it.
    const at = (type: string, id: string) =>
      events.findIndex((e) => e.type === type && e.agentId === id);
    expect(at('task.failed', 'root/team/sub/y')).toBeLessThan(at('agent.killed', 'root/team'));
    await runtime.shutdown();
  });

  it('a shutdown timeout fails the task of a child that ignores cancel', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: ignoresAbort,
      supervisor: { shutdownTimeoutMs: 100 },
    });
    // An agent whose task ignores the abort signal still leaves `running` on
    // CANCEL; a nested supervisor that never answers is the stubborn child.
    runtime.spawn({ type: 'agent', id: 'w', task: { id: 't', prompt: '' } });
    await flush();
    const done = runtime.shutdown('deploy');
    await advance(150);
    await done;
    expect(of('task.failed', 'root/w')).toHaveLength(1);
    expect(of('task.failed', 'root/w')[0]?.error.message).toBe('killed: shutdown timeout');
  });

  it('escalation reports every child it stops, restarting ones included', async () => {
    const { runtime, of, advance } = startRuntime({
      runTask: byPrompt,
      supervisor: { maxRestarts: 1, backoff: { initialMs: 1000 } },
    });
    runtime.spawn({ type: 'agent', id: 'idle', kind: 'persistent' });
    runtime.spawn({
      type: 'agent',
      id: 'f',
      restart: 'permanent',
      task: { id: 't', prompt: 'fail' },
    });
    await flush();
    // f failed once and waits out its backoff; its second failure escalates.
    expect(of('agent.restarting', 'root/f')).toHaveLength(1);
    await advance(1000);
    await flush();
    expect(of('supervisor.escalated')).toHaveLength(1);
    expect(of('agent.killed').map((e) => e.agentId)).toContain('root/idle');
    expect(runtime.stopped).toBe(true);
  });

  it('a supervisor restarting a child during shutdown reports it killed', async () => {
    const { runtime, of } = startRuntime({
      runTask: byPrompt,
      supervisor: { backoff: { initialMs: 1000 } },
    });
    runtime.spawn({
      type: 'agent',
      id: 'f',
      restart: 'permanent',
      task: { id: 't', prompt: 'fail' },
    });
    await flush();
    expect(of('agent.restarting', 'root/f')).toHaveLength(1);
    await runtime.shutdown('bye');
    expect(of('agent.killed', 'root/f')[0]?.reason).toBe('bye (was restarting)');
  });
});

describe('what a restart brings back', () => {
  it('a restarted nested supervisor starts its static children again', async () => {
    const { runtime, of, advance } = startRuntime({ runTask: ok });
    // team2 escalates on f's first failure (maxRestarts 0); root, its
    // supervisor, restarts it, and its static children start again.
    runtime.spawn({
      type: 'supervisor',
      id: 'team2',
      config: { maxRestarts: 0 },
      children: [
        { type: 'agent', id: 'lead', kind: 'persistent' },
        { type: 'agent', id: 'f', restart: 'permanent', task: { id: 't', prompt: 'fail' } },
      ],
    });
    await advance(200);
    expect(of('supervisor.escalated', 'root/team2').length).toBeGreaterThan(0);
    expect(of('agent.restarting', 'root/team2').length).toBeGreaterThan(0);
    // After root restarted team2, its static children are back.
    expect(
      of('agent.spawned', 'root/team2/lead').filter((e) => e.attempt === 0).length,
    ).toBeGreaterThan(1);
    await runtime.shutdown();
  });

  it('one_for_all keeps the history of every persistent agent it restarts', async () => {
    const { runtime, advance } = startRuntime({
      runTask: byPrompt,
      supervisor: { strategy: 'one_for_all', backoff: { initialMs: 10 } },
    });
    runtime.spawn({ type: 'agent', id: 'a', kind: 'persistent' });
    runtime.spawn({ type: 'agent', id: 'b', kind: 'persistent' });
    await flush();
    runtime.startTask('root/a', { id: 'a1', prompt: 'remember me' });
    await flush();
    const historyOf = (path: string) =>
      (runtime.agent(path)?.getSnapshot() as { context?: { history?: unknown[] } } | undefined)
        ?.context?.history ?? [];
    const before = historyOf('root/a');
    expect(before.length).toBeGreaterThan(0);
    runtime.startTask('root/b', { id: 'b1', prompt: 'fail' });
    await flush();
    await advance(20);
    expect(historyOf('root/a')).toEqual(before);
    await runtime.shutdown();
  });
});

describe('runtime API errors', () => {
  it('refuses an invalid task with a typed error', async () => {
    const { runtime } = startRuntime({ runTask: ok });
    runtime.spawn({ type: 'agent', id: 'p', kind: 'persistent' });
    await flush();
    expect(() => runtime.startTask('root/p', { id: '', prompt: 'x' })).toThrow(InvalidTaskError);
    await runtime.shutdown();
  });

  it('stop and kill after shutdown throw RuntimeStoppedError', async () => {
    const { runtime } = startRuntime({ runTask: ok });
    await runtime.shutdown();
    expect(() => runtime.stop('root/a')).toThrow(RuntimeStoppedError);
    expect(() => runtime.kill('root/a')).toThrow(RuntimeStoppedError);
  });

  it('refuses a root id that would make paths ambiguous', () => {
    expect(() => createRuntime({ runTask: ok, rootId: 'a/b' })).toThrow(InvalidRuntimeOptionsError);
  });

  it('a refused run() leaves no subscription on the stream', async () => {
    const { runtime } = startRuntime({ runTask: ok });
    const subject = (runtime as unknown as { events$: { source: { observers: unknown[] } } })
      .events$.source;
    const before = subject.observers.length;
    await expect(
      runtime.run({ type: 'agent', id: 'bad id!', task: { id: 't', prompt: '' } }),
    ).rejects.toThrow();
    expect(subject.observers.length).toBe(before);
    await runtime.shutdown();
  });

  it('a task completing with no result reports null, which survives JSON', async () => {
    const { runtime, of } = startRuntime({ runTask: async () => ({ result: undefined }) });
    await runtime.run({ type: 'agent', id: 'a', task: { id: 't', prompt: '' } });
    const event = of('task.completed', 'root/a')[0];
    expect(event).toHaveProperty('result', null);
    await runtime.shutdown();
  });

  it('shutdown(reason) reaches the children it cancels', async () => {
    const { runtime, of } = startRuntime({ runTask: untilAborted });
    runtime.spawn({ type: 'agent', id: 'a', task: { id: 't', prompt: '' } });
    await flush();
    await runtime.shutdown('maintenance window');
    expect(of('task.failed', 'root/a')[0]?.error.message).toContain('maintenance window');
  });
});

describe('shutdown and snapshots', () => {
  it("shutdown resolves only after a system agent's last snapshot is written", async () => {
    let written = false;
    const slowStore = new MemorySnapshotStore();
    const save = slowStore.save.bind(slowStore);
    slowStore.save = async (id, snapshot) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await save(id, snapshot);
      written = true;
    };
    const runtime = createRuntime({ runTask: ok, snapshots: slowStore });
    await runtime.run({
      type: 'agent',
      id: 'keeper',
      kind: 'system',
      task: { id: 't', prompt: 'x' },
    });
    await runtime.shutdown();
    expect(written).toBe(true);
  });
});
