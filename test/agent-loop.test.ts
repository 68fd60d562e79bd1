/**
 * SubAgents that run the universal loop: supervised agents doing real work
 * through the Executor, on a copy of the demo workspace, with the offline
 * model and with a scripted model that fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeEvent } from '../src/events/index.js';
import { LlmUnavailable } from '../src/llm/errors.js';
import { createOfflineModel, createScriptedModel } from '../src/llm/index.js';
import { createTransducer } from '../src/perception/index.js';
import {
  configFileSchema,
  loadAtoms,
  loadConfigLayers,
  SHIPPED_ATOMS_DIR,
} from '../src/prompt/index.js';
import {
  createIntentSpawner,
  createLoopTaskFunction,
  createRuntime,
  type LoopTaskOptions,
  type Runtime,
  spawnForIntent,
} from '../src/session/index.js';
import { afterTest } from './support/cleanup.js';
import { demoWorkspace } from './support/loop-harness.js';

let workspace: string;

beforeEach(async () => {
  workspace = await demoWorkspace();
});

/** A supervised runtime whose tasks run the loop on the workspace, shut down when the test finishes. */
function loopRuntime(options: Omit<LoopTaskOptions, 'workspace'>): Runtime {
  const runtime = createRuntime({ runTask: createLoopTaskFunction({ workspace, ...options }) });
  afterTest(() => runtime.shutdown());
  return runtime;
}

async function parts() {
  const { atoms } = await loadAtoms([SHIPPED_ATOMS_DIR]);
  return { atoms, configLayers: await loadConfigLayers() };
}

describe('SubAgents running the loop', () => {
  it('spawnForIntent routes the intent and a supervised agent does the work', async () => {
    const { atoms, configLayers } = await parts();
    const runtime = loopRuntime({ model: createOfflineModel(), atoms, configLayers });
    const events: RuntimeEvent[] = [];
    runtime.events$.subscribe((event) => events.push(event));
    const intent = createTransducer().transduceSync('review this project');
    const outcome = await spawnForIntent(
      runtime,
      intent,
      { id: 't1', prompt: 'review this project' },
      {
        id: 'reviewer-1',
        configLayers,
      },
    );
    expect(outcome).toMatchObject({ status: 'completed', agentId: 'root/reviewer-1' });
    expect(outcome.status === 'completed' ? String(outcome.result) : '').toContain('formatReceipt');
    expect(events.find((event) => event.type === 'agent.spawned')).toMatchObject({
      agentId: 'root/reviewer-1',
    });
  });

  it('one spawner routes each intent to its persona and honours the agent kind', async () => {
    const { atoms, configLayers } = await parts();
    const runtime = loopRuntime({ model: createOfflineModel(), atoms, configLayers });
    const spawner = await createIntentSpawner(runtime, { configLayers });
    const transducer = createTransducer();
    const review = transducer.transduceSync('review this project');
    const test = transducer.transduceSync('test src/pricing.js');
    const spawned: RuntimeEvent[] = [];
    runtime.events$.subscribe((event) => {
      if (event.type === 'agent.spawned') spawned.push(event);
    });

    const [reviewed, tested] = await Promise.all([
      spawner.spawnForIntent(review, { id: 'r', prompt: 'review this project' }, { id: 'rev' }),
      spawner.spawnForIntent(
        test,
        { id: 't', prompt: 'test src/pricing.js' },
        { id: 'tst', kind: 'persistent' },
      ),
    ]);

    expect(reviewed).toMatchObject({ status: 'completed', agentId: 'root/rev' });
    expect(tested).toMatchObject({ status: 'completed', agentId: 'root/tst' });
    // The offline model answers by persona: the routing reached each agent.
    expect(String(reviewed.status === 'completed' ? reviewed.result : '')).toContain('Review');
    expect(String(tested.status === 'completed' ? tested.result : '')).toMatch(/test/i);
    // An ephemeral agent leaves after its task; a persistent one stays, idle.
    await vi.waitFor(() => expect(runtime.agent('root/rev')).toBeUndefined());
    expect(runtime.agent('root/tst')?.getSnapshot()).toMatchObject({ value: 'idle' });
  });

  it('a child whose loop fails is reported as a failed task to its supervisor', async () => {
    const { atoms, configLayers } = await parts();
    const model = createScriptedModel([{ error: new LlmUnavailable('the endpoint is down') }]);
    const runtime = loopRuntime({ model, atoms, configLayers });
    const intent = createTransducer().transduceSync('fix the tier bug in src/pricing.js');
    const outcome = await spawnForIntent(
      runtime,
      intent,
      { id: 't2', prompt: 'fix the tier bug in src/pricing.js' },
      {
        id: 'coder-1',
        configLayers,
      },
    );
    expect(outcome).toMatchObject({ status: 'failed', code: 'task_error' });
    expect(outcome.status === 'failed' ? outcome.message : '').toMatch(
      /callModel: .*endpoint is down/,
    );
  });

  it('a long-lived agent’s history is fitted to its persona’s budget before each task, with no summary thrown away', async () => {
    const { atoms, configLayers } = await parts();
    const long = `${'a long review finding. '.repeat(400)}`;
    const model = createScriptedModel([
      { text: long },
      { text: 'the first review found long findings' },
      { text: 'second review done' },
    ]);
    const runtime = loopRuntime({
      model,
      atoms,
      configLayers: [
        ...configLayers,
        configFileSchema.parse({ personas: { reviewer: { historyBudget: 600 } } }),
      ],
    });
    await runtime.run({
      type: 'agent',
      id: 'rev',
      persona: 'reviewer',
      kind: 'persistent',
      task: { id: 'r1', prompt: 'review this project' },
    });
    const next = runtime.waitForTask('root/rev', 'r2');
    runtime.startTask('root/rev', { id: 'r2', prompt: 'review it again' });

    expect(await next).toMatchObject({ status: 'completed', result: 'second review done' });
    // Task 1, the summary that fits the reviewer's 600-token budget, task 2: no
    // summary after task 1 (it would have been thrown away with its Executor).
    expect(model.requests).toHaveLength(3);
    expect(model.requests[1]?.tools ?? []).toEqual([]);
    const secondTask = JSON.stringify(model.requests[2]?.messages ?? []);
    expect(secondTask).toContain(
      'Summary of earlier conversation: the first review found long findings',
    );
    expect(secondTask).not.toContain(long);
  });

  it('a user rule that breaks a declared bound is a kernel.warning under the agent in warn mode, a failed task in enforce', async () => {
    const { atoms, configLayers } = await parts();
    const dir = await mkdtemp(join(tmpdir(), 'nerdloop-bounds-'));
    afterTest(() => rm(dir, { recursive: true, force: true }));
    const rules = join(dir, 'local.mg');
    // file_exists is declared over strings.
    await writeFile(rules, 'file_exists(42).\n');
    const warned = loopRuntime({
      model: createOfflineModel(),
      atoms,
      configLayers,
      rules: [rules],
      bounds: 'warn',
    });
    const events: RuntimeEvent[] = [];
    warned.events$.subscribe((event) => events.push(event));

    const outcome = await warned.run({
      type: 'agent',
      id: 'rev',
      persona: 'reviewer',
      task: { id: 'r', prompt: 'review this project' },
    });

    expect(outcome.status).toBe('completed');
    expect(events.find((event) => event.type === 'kernel.warning')).toMatchObject({
      agentId: 'root/rev',
      code: 'bound_violation',
      predicate: 'file_exists',
      source: expect.stringContaining('local.mg:1:'),
    });
    const enforced = loopRuntime({
      model: createOfflineModel(),
      atoms,
      configLayers,
      rules: [rules],
    });
    const failed = await enforced.run({
      type: 'agent',
      id: 'rev',
      persona: 'reviewer',
      task: { id: 'r', prompt: 'review this project' },
    });
    expect(failed).toMatchObject({ status: 'failed', code: 'task_error' });
    expect(failed.status === 'failed' ? failed.message : '').toContain('file_exists');
  });
});
