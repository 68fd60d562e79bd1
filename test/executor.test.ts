/**
 * The Executor end to end: real temp copies of the demo workspace, the shipped
 * rules, atoms and config, a real VirtualStore, and either the real openai SDK
 * against the local scripted server or the offline model. No assertion
 * depends on how long anything took.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { type ChatModel, createOfflineModel, OFFLINE_DISCLAIMER } from '../src/llm/index.js';
import { createConfigFactory, loadConfigLayers } from '../src/prompt/index.js';
import { loadShippedRules } from '../src/rules/index.js';
import {
  type ExecutionResult,
  type ExecutorEvent,
  executionResultSchema,
  mapLimited,
} from '../src/session/executor/index.js';
import { demoWorkspace, sdkModel, serve, startExecutor } from './support/loop-harness.js';
import { eventually, isRunning, writeSleeper } from './support/processes.js';
import { call, errorCode, sentMessages, sentRequest, toolMessages } from './support/wire.js';

/** The `path` a read_file result names. */
const readPath = (content: string | null | undefined): string =>
  z.object({ path: z.string() }).parse(JSON.parse(content ?? 'null')).path;

const stagesStarted = (events: readonly ExecutorEvent[]) =>
  new Set(events.flatMap((event) => (event.type === 'stage.started' ? [event.stage] : [])));

const OLD_LINE = 'if (quantity > tier.minQuantity) return tier.rate;';
const NEW_LINE = 'if (quantity >= tier.minQuantity) return tier.rate;';

describe('Executor through the real openai SDK', () => {
  it('fixes a bug: read, edit, test, answer', async () => {
    const server = await serve([
      { toolCalls: [call('read_file', { path: 'src/pricing.js' }, 'call_read')] },
      {
        toolCalls: [
          call(
            'edit_file',
            { path: 'src/pricing.js', oldText: OLD_LINE, newText: NEW_LINE },
            'call_edit',
          ),
        ],
      },
      { toolCalls: [call('run_command', { command: 'npm test' }, 'call_test')] },
      { text: 'Fixed: tiers now start at their minimum quantity.' },
    ]);
    const { executor, events, root } = await startExecutor({ model: sdkModel(server) });

    const result = await executor.process('fix the volume discount boundary in src/pricing.js');

    expect(executionResultSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      status: 'done',
      persona: 'coder',
      response: 'Fixed: tiers now start at their minimum quantity.',
      toolCalls: 3,
      turns: 4,
      stoppedBy: null,
      error: null,
    });
    expect(result.intent).toMatchObject({ verb: '/fix', target: 'src/pricing.js' });
    const source = await readFile(join(root, 'src/pricing.js'), 'utf8');
    expect(source).toContain(NEW_LINE);
    expect(source).not.toContain(OLD_LINE);

    // The last request carries every tool result, in call order, answering its call.
    const tools = toolMessages(sentMessages(server, 3));
    expect(tools.map((message) => message.tool_call_id)).toEqual([
      'call_read',
      'call_edit',
      'call_test',
    ]);
    expect(tools[0]?.content).toContain(OLD_LINE);
    expect(JSON.parse(tools[1]?.content ?? '{}')).toMatchObject({ replacements: 1 });
    expect(JSON.parse(tools[2]?.content ?? '{}')).toHaveProperty('exitCode');
    // The offered tools reached the wire.
    expect(
      sentRequest(server, 0)
        .tools?.map((tool) => tool.function.name)
        .sort(),
    ).toEqual(['edit_file', 'list_files', 'read_file', 'run_command', 'search', 'write_file']);

    expect(stagesStarted(events)).toEqual(
      new Set(['observe', 'orient', 'jit', 'callModel', 'executeTools', 'respond']),
    );
    expect(events.filter((event) => event.type === 'tool.permitted')).toHaveLength(3);
    expect(events.some((event) => event.type === 'llm.usage')).toBe(true);
    expect(events.filter((event) => event.type === 'tool.batch')).toHaveLength(3);
  });

  it('runs one batch of calls and answers them in call order', async () => {
    const paths = ['src/pricing.js', 'src/cart.js', 'src/format.js', 'src/index.js', 'README.md'];
    const server = await serve([
      { toolCalls: paths.map((path, index) => call('read_file', { path }, `call_${index}`)) },
      { text: 'Read them all.' },
    ]);
    const { executor, events } = await startExecutor({ model: sdkModel(server) });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'done', toolCalls: 5, turns: 2 });
    const tools = toolMessages(sentMessages(server, 1));
    expect(tools.map((message) => message.tool_call_id)).toEqual(paths.map((_, i) => `call_${i}`));
    expect(tools.map((message) => readPath(message.content))).toEqual(paths);
    expect(events.filter((event) => event.type === 'tool.batch')).toEqual([
      { type: 'tool.batch', tools: paths.map(() => 'read_file'), failed: 0 },
    ]);
  });

  it('answers a denied command with the store error, and goes on', async () => {
    const server = await serve([
      { toolCalls: [call('run_command', { command: 'rm -rf /' }, 'call_rm')] },
      { text: 'I will not do that.' },
    ]);
    const { executor, events } = await startExecutor({ model: sdkModel(server) });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'done', response: 'I will not do that.', toolCalls: 1 });
    const [answer] = toolMessages(sentMessages(server, 1));
    expect(answer?.tool_call_id).toBe('call_rm');
    expect(errorCode(answer?.content)).toBe('store_denied');
    expect(events.some((event) => event.type === 'tool.denied')).toBe(true);
  });

  it('answers malformed arguments without calling the store', async () => {
    const server = await serve([
      { toolCalls: [{ id: 'call_bad', name: 'read_file', arguments: '{"path": ' }] },
      { text: 'Sorry.' },
    ]);
    const { executor, events } = await startExecutor({ model: sdkModel(server) });

    const result = await executor.process('run the tests');

    expect(result.status).toBe('done');
    const [answer] = toolMessages(sentMessages(server, 1));
    expect(errorCode(answer?.content)).toBe('loop_invalid_arguments');
    expect(events.some((event) => event.type === 'tool.requested')).toBe(false);
  });

  it('refuses a tool the routing did not offer, without calling the store', async () => {
    const server = await serve([
      { toolCalls: [call('write_file', { path: 'x.txt', content: 'x' }, 'call_write')] },
      { text: 'Understood.' },
    ]);
    const { executor, events, root } = await startExecutor({
      model: sdkModel(server),
      persona: 'reviewer',
    });

    const result = await executor.process('review this project');

    expect(result).toMatchObject({ status: 'done', persona: 'reviewer' });
    const [answer] = toolMessages(sentMessages(server, 1));
    expect(errorCode(answer?.content)).toBe('loop_tool_not_offered');
    expect(events.some((event) => event.type === 'tool.requested')).toBe(false);
    await expect(readFile(join(root, 'x.txt'), 'utf8')).rejects.toThrow();
  });

  it('keeps the conversation across tasks', async () => {
    const server = await serve([{ text: 'First answer.' }, { text: 'Second answer.' }]);
    const { executor } = await startExecutor({ model: sdkModel(server) });

    await executor.process('run the tests');
    const second = await executor.process('review this project');

    expect(second.status).toBe('done');
    const contents = sentMessages(server, 1).map((message) => `${message.role}:${message.content}`);
    expect(contents.slice(1)).toEqual([
      'user:run the tests',
      'assistant:First answer.',
      'user:review this project',
    ]);
    expect(sentMessages(server, 1)[0]?.role).toBe('system');
    expect(executor.history).toHaveLength(4);
  });

  it('forwards no event once process has returned', async () => {
    const server = await serve([{ text: 'Done.' }]);
    const { executor, store, events } = await startExecutor({ model: sdkModel(server) });

    await executor.process('run the tests');
    const seen = events.length;
    await store.call('read_file', { path: 'README.md' });

    expect(events).toHaveLength(seen);
  });
});

describe('Executor with the offline model', () => {
  it('reviews the demo workspace', async () => {
    const { executor } = await startExecutor({ model: createOfflineModel(), persona: 'reviewer' });

    const result = await executor.process('review this project');

    expect(result.status).toBe('done');
    expect(result.persona).toBe('reviewer');
    const response = result.response ?? '';
    expect(response.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
    expect(response).toContain('src/cart.js');
    expect(response).toContain('formatReceipt');
  });
});

describe('limits', () => {
  it('stops at max turns', async () => {
    const files = ['src/pricing.js', 'src/cart.js', 'src/format.js', 'src/index.js'];
    const server = await serve((_request, index) => ({
      toolCalls: [call('read_file', { path: files[index % files.length] })],
    }));
    const { executor } = await startExecutor({ model: sdkModel(server), limits: { maxTurns: 2 } });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'max_turns', turns: 2 });
    expect(result.response).toBeNull();
    // A stopped run leaves no unanswered tool call in the conversation it keeps.
    const last = executor.history.at(-1);
    expect(last?.role).toBe('tool');
  });

  it('stops a loop that repeats itself', async () => {
    const server = await serve(() => ({
      toolCalls: [call('read_file', { path: 'src/pricing.js' })],
    }));
    const { executor } = await startExecutor({ model: sdkModel(server) });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'stuck', toolCalls: 3 });
  });
});

describe('cancellation', () => {
  it('aborts a model call: the HTTP request is hung up', async () => {
    const server = await serve([{ fault: 'stall' }]);
    const { executor } = await startExecutor({ model: sdkModel(server) });
    const controller = new AbortController();

    const running = executor.process('run the tests', { signal: controller.signal });
    await eventually(() => server.requests.length === 1, 'the model request');
    controller.abort('user pressed ctrl-c');
    const result = await running;

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'cancelled' });
    await server.waitForHangUps(1);
    expect(server.hangUps).toHaveLength(1);
  });

  it('aborts a running command: its process is killed', async () => {
    const root = await demoWorkspace();
    const sleeper = await writeSleeper(root);
    const server = await serve([
      { toolCalls: [call('run_command', { command: sleeper.command })] },
      { text: 'never reached' },
    ]);
    const { executor } = await startExecutor({ model: sdkModel(server), root });
    const controller = new AbortController();

    const running = executor.process('run the tests', { signal: controller.signal });
    const pid = await sleeper.started();
    expect(isRunning(pid)).toBe(true);
    controller.abort();
    const result: ExecutionResult = await running;

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'cancelled' });
    await eventually(() => !isRunning(pid), `process ${pid} to end`);
    expect(server.requests).toHaveLength(1);
  });
});

describe('timeout', () => {
  it('aborts the model call when the run times out', async () => {
    const server = await serve([{ fault: 'stall' }]);
    const clock = new SimulatedClock();
    const { executor } = await startExecutor({
      model: sdkModel(server),
      clock,
      limits: { timeoutMs: 1_000 },
    });

    const running = executor.process('run the tests');
    await eventually(() => server.requests.length === 1, 'the model request');
    clock.increment(1_000);
    const result = await running;

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'timeout' });
    await server.waitForHangUps(1);
  });
});

describe('mapLimited', () => {
  it('keeps at most `limit` in flight and returns results in item order', async () => {
    const releases: Array<() => void> = [];
    let inFlight = 0;
    let most = 0;
    const running = mapLimited([0, 1, 2, 3, 4, 5], 4, async (item) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight -= 1;
      return item * 10;
    });
    // Release the newest first, so completion order is not item order.
    while (releases.length > 0 || inFlight > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.pop()?.();
    }

    expect(await running).toEqual([0, 10, 20, 30, 40, 50]);
    expect(most).toBe(4);
  });
});

describe('stage failures', () => {
  it('names orient when no persona can be routed', async () => {
    // A factory over another kernel: it never sees this run's intent.
    const elsewhere = createConfigFactory(await loadShippedRules(), await loadConfigLayers());
    const { executor } = await startExecutor({
      model: createOfflineModel(),
      wrapConfig: () => elsewhere,
    });

    const result = await executor.process('run the tests');

    expect(result.status).toBe('failed');
    expect(result.error?.stage).toBe('orient');
    expect(result.error?.message).toContain('no persona was derived');
    expect(result.intent).not.toBeNull();
    expect(result.persona).toBeNull();
  });

  it('names callModel when the model returns a completion the schema rejects', async () => {
    const offline = createOfflineModel();
    const broken: ChatModel = {
      id: 'broken',
      complete: async (request) => ({
        ...(await offline.complete(request)),
        usage: { promptTokens: -1, completionTokens: 0 },
      }),
      stream: (request) => offline.stream(request),
    };
    const { executor, events } = await startExecutor({ model: broken });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'failed', error: { stage: 'callModel' } });
    expect(result.error?.message).toContain('callModel returned an invalid output');
    expect(
      events.some(
        (event) => event.type === 'stage.finished' && event.stage === 'callModel' && !event.ok,
      ),
    ).toBe(true);
  });
});
