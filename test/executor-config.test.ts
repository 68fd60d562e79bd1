/**
 * The Executor follows each run's routed AgentConfig: the store judges tool
 * calls as the run's persona and under the stricter of its own mode and the
 * config's policy, the model call carries the persona's temperature, each tool
 * call gets toolTimeoutMs, and ORIENT's world facts are a fresh snapshot every
 * run. Real temp copies of the demo workspace, the shipped rules, a real
 * VirtualStore, the real openai SDK against the local scripted server.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { z } from 'zod';
import { type Kernel, pattern, stringValue } from '../src/kernel/index.js';
import type { ChatModel, OpenAiServer } from '../src/llm/index.js';
import { type ConfigFactory, type ConfigFile, configFileSchema } from '../src/prompt/index.js';
import {
  type ApprovalRequest,
  type CallMode,
  createVirtualStore,
  type StoreMode,
  tightenMode,
} from '../src/store/index.js';
import { afterTest } from './support/cleanup.js';
import {
  demoWorkspace,
  type ExecutorHarnessOptions,
  sdkModel,
  serve,
  startExecutor,
} from './support/loop-harness.js';
import { eventually, isRunning, writeSleeper } from './support/processes.js';
import { call, callError, sentRequest } from './support/wire.js';

/** The real SDK adapter, for a model name of its own. */
const localModel = (server: OpenAiServer): ChatModel => sdkModel(server, { model: 'local-model' });

/** A config layer above the shipped one, as a user's `.nerdloop/config.yaml` would be. */
const layer = (file: z.input<typeof configFileSchema>): ConfigFile => configFileSchema.parse(file);

/** The factory's configs, with `tools` also offered (as a user's routing rule could). */
const offering = (factory: ConfigFactory, ...tools: string[]): ConfigFactory => ({
  configFor: (intentId) => {
    const config = factory.configFor(intentId);
    return { ...config, tools: [...new Set([...config.tools, ...tools])].sort() };
  },
});

/** An Executor whose configs also offer `offer` (beyond what the routing rules offer). */
const harness = ({
  offer = [],
  ...options
}: ExecutorHarnessOptions & { readonly offer?: readonly string[] }) =>
  startExecutor({ ...options, wrapConfig: (factory) => offering(factory, ...offer) });

const exists = (path: string): Promise<boolean> =>
  readFile(path).then(
    () => true,
    () => false,
  );

const NOTE = { path: 'NOTES.md', content: '# notes\n' };

describe('the routed persona judges each tool call', () => {
  it("denies a review run's write on a store made for a coder, then lets a fix run write", async () => {
    const server = await serve([
      { toolCalls: [call('write_file', NOTE, 'call_review_write')] },
      { text: 'I may not write.' },
      { toolCalls: [call('write_file', NOTE, 'call_fix_write')] },
      { text: 'Written.' },
    ]);
    // The reviewer's sandbox opened up and write_file offered to it: only the
    // persona can refuse the write.
    const { executor, root } = await harness({
      model: localModel(server),
      persona: 'coder',
      layers: [layer({ personas: { reviewer: { sandbox: 'workspace-write' } } })],
      offer: ['write_file'],
    });

    const review = await executor.process('review this project');

    expect(review).toMatchObject({ status: 'done', persona: 'reviewer' });
    const denied = callError(server, 1, 'call_review_write');
    expect(denied.code).toBe('store_denied');
    expect(denied.message).toContain('/persona_not_allowed');
    expect(await exists(join(root, NOTE.path))).toBe(false);

    const fix = await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(fix).toMatchObject({ status: 'done', persona: 'coder', response: 'Written.' });
    expect(await readFile(join(root, NOTE.path), 'utf8')).toBe(NOTE.content);
  });

  it('lets a fix run write on a store made for a reviewer', async () => {
    const server = await serve([
      { toolCalls: [call('write_file', NOTE, 'call_write')] },
      { text: 'Written.' },
    ]);
    const { executor, root } = await harness({ model: localModel(server), persona: 'reviewer' });

    const result = await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(result).toMatchObject({ status: 'done', persona: 'coder' });
    expect(await readFile(join(root, NOTE.path), 'utf8')).toBe(NOTE.content);
  });
});

describe("the config's policy tightens the store's mode", () => {
  it('refuses a coder write when the config makes coders read-only', async () => {
    const server = await serve([
      { toolCalls: [call('write_file', NOTE, 'call_write')] },
      { text: 'Read-only, then.' },
    ]);
    const { executor, root } = await harness({
      model: localModel(server),
      layers: [layer({ personas: { coder: { sandbox: 'read-only' } } })],
    });

    const result = await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(result).toMatchObject({
      status: 'done',
      persona: 'coder',
      response: 'Read-only, then.',
    });
    const denied = callError(server, 1, 'call_write');
    expect(denied.code).toBe('store_denied');
    expect(denied.message).toContain('/sandbox_read_only');
    expect(await exists(join(root, NOTE.path))).toBe(false);
  });

  it("asks a human before a write when the config's approval is always", async () => {
    const server = await serve([
      { toolCalls: [call('write_file', NOTE, 'call_write')] },
      { text: 'Written after asking.' },
    ]);
    const asked: ApprovalRequest[] = [];
    const { executor, root } = await harness({
      model: localModel(server),
      layers: [layer({ personas: { coder: { approval: 'always' } } })],
      store: {
        onApprovalRequest: (request) => {
          asked.push(request);
          return { approved: true };
        },
      },
    });

    await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(asked.map((request) => [request.tool, request.reasons])).toEqual([
      ['write_file', ['/approval_always']],
    ]);
    expect(await readFile(join(root, NOTE.path), 'utf8')).toBe(NOTE.content);
  });

  it('cannot loosen a read-only store with a full-access config', async () => {
    const server = await serve([
      { toolCalls: [call('write_file', NOTE, 'call_write')] },
      { text: 'Denied.' },
    ]);
    const { executor, root } = await harness({
      model: localModel(server),
      store: { mode: { sandbox: 'read-only' } },
      layers: [layer({ personas: { coder: { sandbox: 'full-access' } } })],
    });

    await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(callError(server, 1, 'call_write').message).toContain('/sandbox_read_only');
    expect(await exists(join(root, NOTE.path))).toBe(false);
  });

  it('takes the stricter value on each axis', () => {
    const mode = (sandbox: StoreMode['sandbox'], approval: StoreMode['approval']): StoreMode => ({
      sandbox,
      approval,
    });
    const cases: Array<[StoreMode, CallMode | undefined, StoreMode]> = [
      [mode('full-access', 'never'), undefined, mode('full-access', 'never')],
      [mode('full-access', 'never'), {}, mode('full-access', 'never')],
      [mode('full-access', 'never'), { sandbox: 'read-only' }, mode('read-only', 'never')],
      [mode('read-only', 'never'), { sandbox: 'full-access' }, mode('read-only', 'never')],
      [
        mode('workspace-write', 'always'),
        { sandbox: 'full-access', approval: 'never' },
        mode('workspace-write', 'always'),
      ],
      [
        mode('workspace-write', 'never'),
        { approval: 'on-request' },
        mode('workspace-write', 'on-request'),
      ],
      [
        mode('workspace-write', 'on-request'),
        { approval: 'always' },
        mode('workspace-write', 'always'),
      ],
    ];
    for (const [store, limit, expected] of cases)
      expect(tightenMode(store, limit)).toEqual(expected);
  });

  it('denies a call whose persona is not a name, with /policy_error', async () => {
    const root = await demoWorkspace();
    const store = await createVirtualStore({ root, persona: 'coder' });
    afterTest(() => store.close());

    const outcome = await store.call('read_file', { path: 'README.md' }, { persona: 'Coder' });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_denied' } });
    expect(outcome.ok ? '' : outcome.error.message).toContain('/policy_error');
  });
});

describe("the config's temperature", () => {
  it("is sent with each model call: the reviewer's, then the coder's", async () => {
    const server = await serve([{ text: 'Looks fine.' }, { text: 'Fixed.' }]);
    const { executor } = await harness({ model: localModel(server) });

    await executor.process('review this project');
    await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(sentRequest(server, 0).temperature).toBe(0.1);
    expect(sentRequest(server, 1).temperature).toBe(0.2);
    // The config's model name (gpt-4o-mini) does not override the ChatModel's.
    expect(sentRequest(server, 0).model).toBe('local-model');
  });
});

describe("the config's toolTimeoutMs", () => {
  it('stops a command that outlives it, kills its process, and the model goes on', async () => {
    const root = await demoWorkspace();
    const sleeper = await writeSleeper(root);
    const server = await serve([
      { toolCalls: [call('run_command', { command: sleeper.command }, 'call_sleep')] },
      { text: 'The command hung; I stopped waiting.' },
    ]);
    const clock = new SimulatedClock();
    const { executor } = await harness({
      model: localModel(server),
      root,
      clock,
      layers: [layer({ defaults: { toolTimeoutMs: 5_000 } })],
    });

    const running = executor.process('run the tests');
    const pid = await sleeper.started();
    expect(isRunning(pid)).toBe(true);
    clock.increment(4_999);
    expect(server.requests).toHaveLength(1);
    clock.increment(1);
    const result = await running;

    expect(result).toMatchObject({
      status: 'done',
      response: 'The command hung; I stopped waiting.',
      toolCalls: 1,
      turns: 2,
    });
    const timeout = callError(server, 1, 'call_sleep');
    expect(timeout.code).toBe('loop_tool_timeout');
    expect(timeout.message).toContain('run_command');
    expect(timeout.message).toContain('5000 ms');
    await eventually(() => !isRunning(pid), `process ${pid} to end`);
  });
});

describe('world facts', () => {
  const fileExists = (kernel: Kernel, path: string) =>
    kernel.holds(pattern('file_exists', [stringValue(path)]));
  const testCommands = (kernel: Kernel, intentId: string) =>
    kernel
      .query(pattern('intent_test_command', [stringValue(intentId), 'C']))
      .flatMap((answer) => (answer.bindings.C?.type === 'string' ? [answer.bindings.C.value] : []));
  const systemPrompt = (server: OpenAiServer, index: number) =>
    sentRequest(server, index).messages[0]?.content ?? '';

  it("do not outlive the files: a file deleted between runs leaves the kernel's world", async () => {
    const root = await demoWorkspace();
    await writeFile(join(root, 'vitest.config.js'), 'export default {};\n');
    const server = await serve([{ text: 'Ran them.' }, { text: 'Ran them again.' }]);
    const { executor, kernel } = await harness({ model: localModel(server), root });

    const first = await executor.process('test the project');

    expect(fileExists(kernel, 'vitest.config.js')).toBe(true);
    expect(fileExists(kernel, 'test/pricing.test.js')).toBe(true);
    expect(systemPrompt(server, 0)).toContain('Test command: npx vitest run');
    // The run's intent was retracted when it ended, and what it derived went with it.
    expect(testCommands(kernel, first.intent?.id ?? '')).toEqual([]);

    await rm(join(root, 'vitest.config.js'));
    await rm(join(root, 'test/pricing.test.js'));
    const second = await executor.process('test the project');
    expect(second.status).toBe('done');

    expect(fileExists(kernel, 'vitest.config.js')).toBe(false);
    expect(fileExists(kernel, 'test/pricing.test.js')).toBe(false);
    expect(fileExists(kernel, 'test/cart.test.js')).toBe(true);
    // Without the vitest marker, the package.json test script is the command.
    expect(systemPrompt(server, 1)).toContain('Test command: npm test');
    expect(systemPrompt(server, 1)).not.toContain('npx vitest run');
  });
});
