/**
 * The Runtime with snapshots: system agents persist after each completed task,
 * resume from their last snapshot (on a new runtime and after a restart), and
 * corrupt or foreign snapshots are reported and moved aside, never dropped.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ofType } from '../src/events/index.js';
import { createRuntime, type Runtime, type TaskFunction } from '../src/session/index.js';
import { FileSnapshotStore, MemorySnapshotStore } from '../src/snapshots/index.js';
import { flush } from './support/agents.js';
import { startRuntime } from './support/runtime.js';

const echo: TaskFunction = async ({ task, history }) => {
  if (task.prompt === 'fail') throw new Error('task blew up');
  return { result: `${task.prompt} (seen ${history.length})`, tokens: 2 };
};

let dir: string;
let runtimes: Runtime[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nerdloop-runtime-'));
});
afterEach(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.shutdown()));
  runtimes = [];
  await rm(dir, { recursive: true, force: true });
});

function fileRuntime() {
  const runtime = createRuntime({ runTask: echo, snapshots: new FileSnapshotStore({ dir }) });
  runtimes.push(runtime);
  return runtime;
}

describe('system agent snapshots', () => {
  it('persists after each completed task and resumes on a new runtime', async () => {
    const first = fileRuntime();
    const saved = firstValueFrom(first.events$.pipe(ofType('snapshot.saved')));
    const outcome = await first.run({
      type: 'agent',
      id: 'keeper',
      kind: 'system',
      task: { id: 't1', prompt: 'index the repo' },
    });
    expect(outcome).toMatchObject({ status: 'completed', result: 'index the repo (seen 0)' });
    expect((await saved).agentId).toBe('root/keeper');
    await first.shutdown();
    expect(await readdir(dir)).toEqual([`${encodeURIComponent('root/keeper')}.json`]);

    const second = fileRuntime();
    const restored = firstValueFrom(second.events$.pipe(ofType('snapshot.restored')));
    const spawned = firstValueFrom(second.events$.pipe(ofType('agent.spawned')));
    second.spawn({ type: 'agent', id: 'keeper', kind: 'system' });
    expect(await restored).toMatchObject({ agentId: 'root/keeper', tasksCompleted: 1 });
    // A system agent exists once its snapshot is loaded, which is asynchronous.
    await spawned;
    const next = second.waitForTask('root/keeper', 't2');
    second.startTask('root/keeper', { id: 't2', prompt: 'again' });
    expect(await next).toMatchObject({ status: 'completed', result: 'again (seen 2)' });
    expect(second.agent('root/keeper')?.getSnapshot().context.metrics.tokens).toBe(4);
  });

  it('reports a corrupt snapshot, moves it aside and starts the agent fresh', async () => {
    const file = join(dir, `${encodeURIComponent('root/keeper')}.json`);
    await writeFile(file, '{"format": "nerdloop.snapshot", "version": 1, "agentId": ');
    const runtime = fileRuntime();
    const corrupt = firstValueFrom(runtime.events$.pipe(ofType('snapshot.corrupt')));
    const outcome = await runtime.run({
      type: 'agent',
      id: 'keeper',
      kind: 'system',
      task: { id: 't', prompt: 'go' },
    });
    const event = await corrupt;
    expect(event.message).toMatch(/invalid JSON|Unexpected end/i);
    expect(event.movedTo).toMatch(/\.corrupt-\d+\.json$/);
    expect(await readFile(event.movedTo ?? '', 'utf8')).toContain('"agentId": ');
    expect(outcome).toMatchObject({ status: 'completed', result: 'go (seen 0)' });
  });

  it('treats a well-formed envelope holding a foreign snapshot as corrupt', async () => {
    const store = new MemorySnapshotStore();
    await store.save('root/keeper', { status: 'active', context: { history: 'not a list' } });
    const runtime = createRuntime({ runTask: echo, snapshots: store });
    runtimes.push(runtime);
    const corrupt = firstValueFrom(runtime.events$.pipe(ofType('snapshot.corrupt')));
    runtime.spawn({ type: 'agent', id: 'keeper', kind: 'system' });
    expect((await corrupt).message).toContain('context.history');
    expect([...store.quarantined.keys()]).toHaveLength(1);
    expect(await store.load('root/keeper')).toEqual({ status: 'missing' });
  });

  it('a restarted system agent resumes from its last snapshot', async () => {
    const snapshots = new MemorySnapshotStore();
    const { runtime, of, advance } = startRuntime({ runTask: echo, snapshots });
    runtime.spawn({
      type: 'agent',
      id: 'keeper',
      kind: 'system',
      task: { id: 't1', prompt: 'learn this' },
    });
    await flush();
    expect(of('snapshot.saved', 'root/keeper')).toHaveLength(1);
    runtime.startTask('root/keeper', { id: 't2', prompt: 'fail' });
    await flush();
    expect(of('agent.restarting', 'root/keeper')).toHaveLength(1);
    await advance(60);
    expect(of('snapshot.restored', 'root/keeper').at(-1)).toMatchObject({ tasksCompleted: 1 });
    const restarted = runtime.agent('root/keeper');
    expect(restarted?.getSnapshot().value).toBe('idle');
    expect(
      restarted?.getSnapshot().context.history.map((m: { content: string }) => m.content),
    ).toEqual(['learn this', 'learn this (seen 0)']);
    await runtime.shutdown();
  });
});

describe('Runtime API', () => {
  it('waitForTask reports a failure with its code and message', async () => {
    const { runtime } = startRuntime({ runTask: echo });
    const outcome = await runtime.run({
      type: 'agent',
      id: 'x',
      task: { id: 't', prompt: 'fail' },
    });
    expect(outcome).toEqual({
      status: 'failed',
      agentId: 'root/x',
      taskId: 't',
      code: 'task_error',
      message: 'Error: task blew up',
    });
  });

  it('refuses work after it stopped, and names unknown agents', async () => {
    const { runtime } = startRuntime({ runTask: echo });
    expect(() => runtime.startTask('root/ghost', { id: 't', prompt: 'x' })).toThrow(
      expect.objectContaining({ code: 'unknown_agent' }),
    );
    expect(() => runtime.stop('root')).toThrow(/not a child path/);
    await runtime.shutdown();
    expect(runtime.stopped).toBe(true);
    expect(() => runtime.spawn({ type: 'agent', id: 'late' })).toThrow(
      expect.objectContaining({ code: 'runtime_stopped' }),
    );
    expect(await runtime.shutdown()).toEqual({ status: 'stopped' });
  });

  it('a pending waitForTask resolves as failed when the runtime stops first', async () => {
    const { runtime } = startRuntime({
      runTask: () => new Promise(() => {}),
      supervisor: { shutdownTimeoutMs: 0 },
    });
    runtime.spawn({ type: 'agent', id: 'slow', kind: 'persistent' });
    const pending = runtime.waitForTask('root/slow', 'never-started');
    await runtime.shutdown();
    expect(await pending).toMatchObject({ status: 'failed', code: 'agent_exited' });
  });
});

describe('Runtime API, spawning', () => {
  it('run refuses a duplicate id at once, without disturbing the running task', async () => {
    const { runtime } = startRuntime({ runTask: echo });
    const first = runtime.waitForTask('root/a', 't1');
    runtime.spawn({ type: 'agent', id: 'a', kind: 'persistent' });
    await expect(
      runtime.run({ type: 'agent', id: 'a', task: { id: 't2', prompt: 'x' } }),
    ).rejects.toMatchObject({
      code: 'spawn_rejected',
    });
    runtime.spawn({ type: 'agent', id: 'a' });
    runtime.startTask('root/a', { id: 't1', prompt: 'hello' });
    expect(await first).toMatchObject({ status: 'completed', result: 'hello (seen 0)' });
    await runtime.shutdown();
  });

  it('refuses to spawn under an agent', async () => {
    const { runtime } = startRuntime({ runTask: echo });
    runtime.spawn({ type: 'agent', id: 'a', kind: 'persistent' });
    expect(() => runtime.spawn({ type: 'agent', id: 'b' }, { under: 'root/a' })).toThrow(
      /is an agent, not a supervisor/,
    );
    await runtime.shutdown();
  });
});
