/**
 * A whole loop run recorded to a cassette and replayed: the Executor over real
 * temp copies of the demo workspace, the shipped rules, a real VirtualStore
 * running real commands, and the real openai SDK against the local server
 * while recording. Replay gets no server that answers: a call that reached the
 * wrapped model would fail the run and show up in the server's request log.
 * Clock and ids are injected (a SimulatedClock that never moves, sequential
 * ids), so two runs over the same files are the same run, byte for byte.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { canonicalJsonText, sequentialIds } from '../src/core/index.js';
import {
  type ChatModel,
  type CompletionRequest,
  createOfflineModel,
  createScriptedModel,
  OFFLINE_DISCLAIMER,
  type OpenAiServerScript,
  startOpenAiServer,
} from '../src/llm/index.js';
import { readCassette, requestKey, withCassette } from '../src/llm/replay/index.js';
import {
  type ExecutionResult,
  type ExecutorEvent,
  executionResultSchema,
} from '../src/session/executor/index.js';
import { afterTest, type Defer, suiteCleanups } from './support/cleanup.js';
import { demoWorkspace, openExecutor, sdkModel, serve, tempDir } from './support/loop-harness.js';
import { call } from './support/wire.js';

/** Notes every request the Executor makes of `model`, whoever answers it. */
function spied(model: ChatModel): { model: ChatModel; requests: CompletionRequest[] } {
  const requests: CompletionRequest[] = [];
  return {
    requests,
    model: {
      id: model.id,
      complete(request) {
        requests.push(request);
        return model.complete(request);
      },
      stream(request) {
        requests.push(request);
        return model.stream(request);
      },
    },
  };
}

type Run = {
  readonly result: ExecutionResult;
  readonly history: string;
  readonly events: readonly ExecutorEvent[];
  readonly requests: readonly CompletionRequest[];
};

/**
 * One task through a fresh Executor and store with every source of variation
 * injected: the loop's and the store's clock, the run, transducer and store ids.
 */
async function runTask(options: {
  model: ChatModel;
  root: string;
  task: string;
  persona?: string;
}): Promise<Run> {
  const clock = new SimulatedClock();
  const spy = spied(options.model);
  const { executor, events, close } = await openExecutor({
    model: spy.model,
    root: options.root,
    persona: options.persona ?? 'coder',
    store: { clock, ids: sequentialIds() },
    clock,
  });
  try {
    const result = await executor.process(options.task);
    return {
      result,
      history: canonicalJsonText(executor.history),
      events,
      requests: spy.requests,
    };
  } finally {
    close();
  }
}

/** Every file under `root`, by relative path, with its content. */
async function filesOf(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files[relative(root, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(root);
  return files;
}

const historySchema = z.array(
  z.looseObject({ role: z.string(), content: z.string().nullable().optional() }),
);

/** The contents of the tool messages of a conversation (canonical JSON text). */
const toolAnswers = (history: string): string[] =>
  historySchema
    .parse(JSON.parse(history))
    .flatMap((message) => (message.role === 'tool' ? [message.content ?? ''] : []));

/** The result as the schema parses it, in canonical JSON: what "byte-identical" compares. */
const resultText = (result: ExecutionResult): string =>
  canonicalJsonText(executionResultSchema.parse(result));

const TASK = 'fix the volume discount boundary in src/pricing.js';
const OLD_LINE = 'if (quantity > tier.minQuantity) return tier.rate;';
const NEW_LINE = 'if (quantity >= tier.minQuantity) return tier.rate;';
// The dot reporter prints no timings when every test passes; node --test's
// default TAP output ends with `duration_ms`, which would differ on replay
// and make the next request a cassette miss.
const TEST_COMMAND = 'node --test --test-reporter=dot';
const ANSWER = 'Fixed: tiers now start at their minimum quantity.';

const FIX_SCRIPT: OpenAiServerScript = [
  { toolCalls: [call('read_file', { path: 'src/pricing.js' })] },
  {
    toolCalls: [
      call('edit_file', { path: 'src/pricing.js', oldText: OLD_LINE, newText: NEW_LINE }),
    ],
  },
  { toolCalls: [call('run_command', { command: TEST_COMMAND })] },
  { text: ANSWER },
];

/** A live server that fails every call: replay must never reach it. */
const refusingServer = () => serve(() => ({ fault: 'server_error' }));

/**
 * Records the fix task through the real SDK into `path`; the server is closed
 * afterwards, the workspace by `defer`.
 */
async function recordFix(path: string, defer: Defer = afterTest): Promise<Run & { root: string }> {
  const server = await startOpenAiServer({ script: FIX_SCRIPT });
  try {
    const root = await demoWorkspace(defer);
    const run = await runTask({
      model: withCassette(sdkModel(server), { mode: 'record', path }),
      root,
      task: TASK,
    });
    expect(server.requests).toHaveLength(4);
    expect(server.remainingSteps).toBe(0);
    return { ...run, root };
  } finally {
    await server.close();
  }
}

describe('a loop run recorded through the real SDK, then replayed', () => {
  it('replays to a byte-identical result, conversation, event stream and workspace', async () => {
    const path = join(await tempDir('nerdloop-cassette-'), 'fix.cassette.json');
    const recorded = await recordFix(path);

    // The recording is a real run that really fixed the bug.
    expect(recorded.result).toMatchObject({
      status: 'done',
      persona: 'coder',
      response: ANSWER,
      toolCalls: 3,
      turns: 4,
      error: null,
    });
    const entries = await readCassette(path);
    expect(entries?.map((entry) => entry.key)).toEqual(recorded.requests.map(requestKey));
    // The tests passed, and the injected clock made the command's duration 0.
    const testRun = toolAnswers(recorded.history).find((content) => content.includes('"exitCode"'));
    expect(JSON.parse(testRun ?? 'null')).toMatchObject({ exitCode: 0, durationMs: 0 });

    const server = await refusingServer();
    const root = await demoWorkspace();
    const before = await filesOf(root);
    const replayed = await runTask({
      model: withCassette(sdkModel(server), { mode: 'replay', path }),
      root,
      task: TASK,
    });

    expect(server.requests).toHaveLength(0);
    expect(resultText(replayed.result)).toBe(resultText(recorded.result));
    expect(replayed.history).toBe(recorded.history);
    expect(canonicalJsonText(replayed.events)).toBe(canonicalJsonText(recorded.events));
    // Every request of the replay is the recorded one, key for key and in order.
    expect(replayed.requests.map(requestKey)).toEqual(recorded.requests.map(requestKey));
    // The replayed tool calls ran for real: the replay workspace was edited the same way.
    const after = await filesOf(root);
    expect(after).toEqual(await filesOf(recorded.root));
    expect(after['src/pricing.js']).not.toBe(before['src/pricing.js']);
    expect(after['src/pricing.js']).toContain(NEW_LINE);
    expect(after['src/pricing.js']).not.toContain(OLD_LINE);
  });
});

describe('a request the cassette does not hold', () => {
  let path = '';
  beforeAll(async () => {
    const { defer, release } = suiteCleanups();
    path = join(await tempDir('nerdloop-cassette-miss-', defer), 'fix.cassette.json');
    await recordFix(path, defer);
    return release;
  });

  it('fails the run at callModel mid-run, naming the request, its key and the cassette', async () => {
    const root = await demoWorkspace();
    // Same file names, so the first request (system prompt and task) is the
    // recorded one; read_file then returns other content, so the second is not.
    const source = await readFile(join(root, 'src/pricing.js'), 'utf8');
    await writeFile(join(root, 'src/pricing.js'), `// changed since recording\n${source}`);
    const server = await refusingServer();

    const run = await runTask({
      model: withCassette(sdkModel(server), { mode: 'replay', path }),
      root,
      task: TASK,
    });

    expect(server.requests).toHaveLength(0);
    expect(run.result).toMatchObject({
      status: 'failed',
      response: null,
      error: { stage: 'callModel' },
    });
    const keys = run.requests.map(requestKey);
    expect(keys).toHaveLength(2);
    const [replayedKey, key] = keys;
    const recordedKeys = (await readCassette(path))?.map((entry) => entry.key) ?? [];
    expect(recordedKeys[0]).toBe(replayedKey);
    expect(recordedKeys).not.toContain(key);
    expect(run.result.error?.message).toBe(
      `cassette miss for request ${JSON.stringify(TASK)} at turn 2, after 1 tool result (last: read_file) (key ${key}) in ${path}: ` +
        "nothing is recorded for it; record it with mode 'record' or 'auto'",
    );
    // The first answer (read the file) was replayed and run; the edit never came.
    expect(run.result.toolCalls).toBe(1);
    expect(await readFile(join(root, 'src/pricing.js'), 'utf8')).toContain(OLD_LINE);
  });

  it('fails at the first call when the task differs', async () => {
    const server = await refusingServer();
    const task = 'fix the rounding of receipt totals in src/format.js';

    const run = await runTask({
      model: withCassette(sdkModel(server), { mode: 'replay', path }),
      root: await demoWorkspace(),
      task,
    });

    expect(server.requests).toHaveLength(0);
    expect(run.result).toMatchObject({ status: 'failed', turns: 0, toolCalls: 0 });
    expect(run.result.error?.stage).toBe('callModel');
    const [first] = run.requests;
    if (first === undefined) throw new Error('no request was made');
    expect(run.result.error?.message).toContain(
      `cassette miss for request ${JSON.stringify(task)} (key ${requestKey(first)}) in ${path}`,
    );
  });
});

describe('the offline model, recorded then replayed', () => {
  it('replays a review to the same result and conversation without asking the model', async () => {
    const path = join(await tempDir('nerdloop-cassette-'), 'review.cassette.json');
    const task = 'review this project';

    const recorded = await runTask({
      model: withCassette(createOfflineModel(), { mode: 'record', path }),
      root: await demoWorkspace(),
      task,
      persona: 'reviewer',
    });
    const unreachable = createScriptedModel([], { id: 'unreachable' });
    const replayed = await runTask({
      model: withCassette(unreachable, { mode: 'replay', path }),
      root: await demoWorkspace(),
      task,
      persona: 'reviewer',
    });

    expect(recorded.result.status).toBe('done');
    expect(recorded.result.response?.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
    expect(recorded.result.toolCalls).toBeGreaterThan(0);
    expect(await readCassette(path)).toHaveLength(recorded.result.turns);
    expect(unreachable.requests).toHaveLength(0);
    expect(resultText(replayed.result)).toBe(resultText(recorded.result));
    expect(replayed.history).toBe(recorded.history);
  });
});
