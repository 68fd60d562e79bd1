/**
 * The Executor's limits end to end, beyond what executor.test.ts covers
 * (max_turns, the same call repeated, timeout, cancellation's hang-up and
 * kill): max_tool_calls, token_budget, the ping-pong stuck check, the
 * `stuckRepeats` threshold, `pollingTools`, what is left running after a
 * cancellation, and the stage a failure names. Real temp copies of the demo
 * workspace, the shipped rules, atoms and config, a real VirtualStore, and the
 * real openai SDK against the local scripted server. No assertion depends on
 * how long anything took.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActorRefLike, InspectionEvent } from 'xstate';
import { z } from 'zod';
import { sequentialIds } from '../src/core/index.js';
import type { ChatMessage, ScriptedReply } from '../src/llm/index.js';
import { createTransducer, type Transducer } from '../src/perception/index.js';
import type { ExecutorEvent } from '../src/session/executor/index.js';
import { demoWorkspace, sdkModel, serve, startExecutor } from './support/loop-harness.js';
import { eventually, isRunning, writeSleeper } from './support/processes.js';
import { call } from './support/wire.js';

/** Files of the demo workspace, all distinct, so no two reads are the same call. */
const FILES = [
  'src/pricing.js',
  'src/cart.js',
  'src/format.js',
  'src/index.js',
  'src/inventory.js',
  'README.md',
  'package.json',
  'tsconfig.json',
  'test/cart.test.js',
  'test/format.test.js',
  'test/pricing.test.js',
];

/** Turn `turn` (0-based) reads the next `perTurn` files of FILES; never the same call twice. */
const distinctReads = (turn: number, perTurn: number): ScriptedReply => ({
  toolCalls: Array.from({ length: perTurn }, (_, slot) => {
    const index = turn * perTurn + slot;
    const path = FILES[index % FILES.length];
    return call('read_file', { path }, `call_t${turn}_${slot}`);
  }),
});

const ofType = <Type extends ExecutorEvent['type']>(
  events: readonly ExecutorEvent[],
  type: Type,
): Array<Extract<ExecutorEvent, { type: Type }>> =>
  events.filter((event): event is Extract<ExecutorEvent, { type: Type }> => event.type === type);

const finishedCallIds = (events: readonly ExecutorEvent[]): string[] =>
  ofType(events, 'tool.finished').map((event) => event.callId);

const stageStarts = (events: readonly ExecutorEvent[], stage: string): number =>
  ofType(events, 'stage.started').filter((event) => event.stage === stage).length;

/** Tool call ids the kept conversation asks for and never answers. */
function unansweredCalls(history: readonly ChatMessage[]): string[] {
  const answered = new Set(
    history.flatMap((message) => (message.role === 'tool' ? [message.toolCallId] : [])),
  );
  return history.flatMap((message) =>
    message.role === 'assistant'
      ? (message.toolCalls ?? []).map((toolCall) => toolCall.id).filter((id) => !answered.has(id))
      : [],
  );
}

/** Tool answers in the kept conversation whose call it does not hold. */
function orphanAnswers(history: readonly ChatMessage[]): string[] {
  const asked = new Set(
    history.flatMap((message) =>
      message.role === 'assistant' ? (message.toolCalls ?? []).map((toolCall) => toolCall.id) : [],
    ),
  );
  return history.flatMap((message) =>
    message.role === 'tool' && !asked.has(message.toolCallId) ? [message.toolCallId] : [],
  );
}

const toolAnswerIds = (history: readonly ChatMessage[]): string[] =>
  history.flatMap((message) => (message.role === 'tool' ? [message.toolCallId] : []));

// ---------------------------------------------------------------- max_tool_calls

describe('max_tool_calls', () => {
  // The guard (machines/loop.machine.ts, toolCallLimitReached) refuses a batch
  // when `toolCallCount + batch.length > maxToolCalls`: a batch is refused
  // whole, never run in part, so the cap can be reached exactly but not passed.
  it.each([
    { maxToolCalls: 6, perTurn: 3, ran: 6, turns: 3, why: 'cap 6, 3 a turn: reached exactly' },
    {
      maxToolCalls: 5,
      perTurn: 3,
      ran: 3,
      turns: 2,
      why: 'cap 5, 3 a turn: the crossing batch is refused whole',
    },
    {
      maxToolCalls: 4,
      perTurn: 2,
      ran: 4,
      turns: 3,
      why: 'cap 4, 2 a turn: two batches fit, the third does not',
    },
    { maxToolCalls: 0, perTurn: 1, ran: 0, turns: 1, why: 'cap 0: no tool call runs at all' },
  ])(
    'stops with only whole batches within the cap ($why)',
    async ({ maxToolCalls, perTurn, ran, turns }) => {
      const server = await serve((_request, turn) => distinctReads(turn, perTurn));
      const { executor, events } = await startExecutor({
        model: sdkModel(server),
        limits: { maxToolCalls },
      });

      const result = await executor.process('run the tests');

      expect(result).toMatchObject({
        status: 'stopped',
        stoppedBy: 'max_tool_calls',
        response: null,
        error: null,
        toolCalls: ran,
        turns,
      });
      expect(server.requests).toHaveLength(turns);
      // Exactly the batches before the refused one ran, each call once, in order.
      const expected = Array.from({ length: turns - 1 }, (_, turn) =>
        Array.from({ length: perTurn }, (_, slot) => `call_t${turn}_${slot}`),
      ).flat();
      expect(expected).toHaveLength(ran);
      // A batch's calls run concurrently, so they may finish in any order.
      expect(finishedCallIds(events).sort()).toEqual([...expected].sort());
      expect(ofType(events, 'tool.requested')).toHaveLength(ran);
      expect(ofType(events, 'tool.batch')).toHaveLength(turns - 1);
      // The refused batch never reached EXECUTE.
      expect(stageStarts(events, 'executeTools')).toBe(turns - 1);
      expect(stageStarts(events, 'callModel')).toBe(turns);

      // The kept conversation has no unanswered call: the refused batch's
      // assistant message is dropped, the answered ones stay with their answers.
      expect(unansweredCalls(executor.history)).toEqual([]);
      expect(orphanAnswers(executor.history)).toEqual([]);
      expect(toolAnswerIds(executor.history)).toEqual(expected);
      expect(executor.history[0]).toEqual({ role: 'user', content: 'run the tests' });
    },
  );

  it('lets the model answer after the cap is reached exactly', async () => {
    const server = await serve([distinctReads(0, 2), { text: 'All read.' }]);
    const { executor } = await startExecutor({
      model: sdkModel(server),
      limits: { maxToolCalls: 2 },
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'done', response: 'All read.', toolCalls: 2, turns: 2 });
  });
});

// ------------------------------------------------------------------ token_budget

describe('token_budget', () => {
  // The guard (tokenBudgetSpent) counts the completion that just came in:
  // `usage so far + this completion >= tokenBudget` with tool calls stops the
  // run. So the run overshoots by at most the call that crossed the budget,
  // and reaching the budget exactly counts as spent.
  const usage = { promptTokens: 300, completionTokens: 100 };

  it('stops right after the model call that crossed the budget', async () => {
    const server = await serve((_request, turn) => ({ ...distinctReads(turn, 1), usage }));
    const { executor, events } = await startExecutor({
      model: sdkModel(server),
      limits: { tokenBudget: 1_000 },
    });

    const result = await executor.process('run the tests');

    // 400, 800 (under), 1 200 (crossed): the third call's tools never run.
    expect(result).toMatchObject({
      status: 'stopped',
      stoppedBy: 'token_budget',
      response: null,
      turns: 3,
      toolCalls: 2,
      usage: { promptTokens: 900, completionTokens: 300 },
    });
    expect(server.requests).toHaveLength(3);
    expect(ofType(events, 'llm.usage')).toEqual([
      { type: 'llm.usage', ...usage },
      { type: 'llm.usage', ...usage },
      { type: 'llm.usage', ...usage },
    ]);
    expect(finishedCallIds(events)).toEqual(['call_t0_0', 'call_t1_0']);
    expect(unansweredCalls(executor.history)).toEqual([]);
    expect(orphanAnswers(executor.history)).toEqual([]);
  });

  it('counts reaching the budget exactly as spent', async () => {
    const half = { promptTokens: 400, completionTokens: 100 };
    const server = await serve((_request, turn) => ({ ...distinctReads(turn, 1), usage: half }));
    const { executor } = await startExecutor({
      model: sdkModel(server),
      limits: { tokenBudget: 1_000 },
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'stopped',
      stoppedBy: 'token_budget',
      turns: 2,
      toolCalls: 1,
      usage: { promptTokens: 800, completionTokens: 200 },
    });
    expect(server.requests).toHaveLength(2);
  });

  it('keeps a final answer that crosses the budget', async () => {
    const server = await serve([
      { ...distinctReads(0, 1), usage },
      { text: 'Here is the answer.', usage: { promptTokens: 900, completionTokens: 100 } },
    ]);
    const { executor } = await startExecutor({
      model: sdkModel(server),
      limits: { tokenBudget: 1_000 },
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'done',
      stoppedBy: null,
      response: 'Here is the answer.',
      turns: 2,
      toolCalls: 1,
      usage: { promptTokens: 1_200, completionTokens: 200 },
    });
  });
});

// ------------------------------------------------------------------------- stuck

/** One read per turn, alternating between two files: A, B, A, B, … */
const pingPong = (_request: unknown, turn: number): ScriptedReply => ({
  toolCalls: [
    call('read_file', { path: turn % 2 === 0 ? 'src/pricing.js' : 'src/cart.js' }, `call_${turn}`),
  ],
});

/** The same read every turn. */
const sameRead = (_request: unknown, turn: number): ScriptedReply => ({
  toolCalls: [call('read_file', { path: 'src/pricing.js' }, `call_${turn}`)],
});

describe('stuck', () => {
  // stuckReason (machines/loop.machine.ts): the same call (tool, canonical
  // arguments, result) `stuckRepeats` times in a row, or two such calls
  // alternating over `2 × stuckRepeats` calls. It is checked after each batch
  // has run, so the call that completes the pattern runs, and its result is
  // kept, but is never sent back to the model.
  it('stops a ping-pong between two calls after 2 × stuckRepeats calls (default 3)', async () => {
    const server = await serve(pingPong);
    const { executor, events } = await startExecutor({ model: sdkModel(server) });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'stopped',
      stoppedBy: 'stuck',
      toolCalls: 6,
      turns: 6,
    });
    expect(server.requests).toHaveLength(6);
    expect(finishedCallIds(events)).toEqual(Array.from({ length: 6 }, (_, turn) => `call_${turn}`));
    expect(unansweredCalls(executor.history)).toEqual([]);
    expect(toolAnswerIds(executor.history)).toHaveLength(6);
  });

  it('honours stuckRepeats for a ping-pong: 2 stops it after 4 calls', async () => {
    const server = await serve(pingPong);
    const { executor } = await startExecutor({
      model: sdkModel(server),
      limits: { stuckRepeats: 2 },
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'stuck', toolCalls: 4, turns: 4 });
    expect(server.requests).toHaveLength(4);
  });

  it('honours stuckRepeats for a repeated call: 5 lets 4 identical calls go back to the model', async () => {
    const server = await serve(sameRead);
    const { executor, events } = await startExecutor({
      model: sdkModel(server),
      limits: { stuckRepeats: 5 },
    });

    const result = await executor.process('run the tests');

    // Calls 1–4 are answered to the model (requests 2–5); the 5th identical call stops the run.
    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'stuck', toolCalls: 5, turns: 5 });
    expect(server.requests).toHaveLength(5);
    expect(ofType(events, 'tool.finished')).toHaveLength(5);
  });

  it('does not count the same call with a different result as a repeat', async () => {
    const root = await demoWorkspace();
    const steps = 5;
    // The file changes before each reply, so every read returns something new.
    const server = await serve(async (_request, turn) => {
      await writeFile(join(root, 'progress.txt'), `step ${turn}\n`);
      return turn < steps
        ? { toolCalls: [call('read_file', { path: 'progress.txt' }, `call_${turn}`)] }
        : { text: 'It finished.' };
    });
    const { executor } = await startExecutor({ model: sdkModel(server), root });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'done',
      response: 'It finished.',
      toolCalls: steps,
      turns: steps + 1,
    });
  });

  it('never stops a repeated call of a polling tool as stuck: another limit ends it', async () => {
    const server = await serve(sameRead);
    const { executor, events } = await startExecutor({
      model: sdkModel(server),
      limits: { pollingTools: ['read_file'], maxTurns: 8 },
    });

    const result = await executor.process('run the tests');

    // Seven identical calls ran (well past stuckRepeats 3); the 8th turn hit max_turns.
    expect(result).toMatchObject({
      status: 'stopped',
      stoppedBy: 'max_turns',
      toolCalls: 7,
      turns: 8,
    });
    expect(ofType(events, 'tool.finished')).toHaveLength(7);
  });

  it('lets a polling tool repeat until the model answers', async () => {
    const server = await serve((request, turn) =>
      turn < 4 ? sameRead(request, turn) : { text: 'The job is done.' },
    );
    const { executor } = await startExecutor({
      model: sdkModel(server),
      limits: { pollingTools: ['read_file'] },
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'done',
      response: 'The job is done.',
      toolCalls: 4,
      turns: 5,
    });
  });

  it('exempts only the listed polling tools', async () => {
    const server = await serve(sameRead);
    const { executor } = await startExecutor({
      model: sdkModel(server),
      limits: { pollingTools: ['list_files'] },
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'stuck', toolCalls: 3, turns: 3 });
  });
});

// ------------------------------------------------------------- no leftovers

const snapshotStatusSchema = z.object({ status: z.string() });
const actorIdSchema = z.object({ id: z.string() });

/** Every actor of each run, as the Executor's `inspect` option reports them. */
function actorCollector() {
  const actors = new Map<string, ActorRefLike>();
  const roots = new Set<string>();
  const observer = (event: InspectionEvent) => {
    actors.set(event.actorRef.sessionId, event.actorRef);
    if (event.actorRef.sessionId === event.rootId) roots.add(event.rootId);
  };
  return {
    observer,
    /** Status by actor id (`run-1`, `observe`, `callModel`, …). */
    statuses(): Array<{ id: string; root: boolean; status: string }> {
      return [...actors.entries()].map(([sessionId, ref]) => ({
        id: actorIdSchema.parse(ref).id,
        root: roots.has(sessionId),
        status: snapshotStatusSchema.parse(ref.getSnapshot()).status,
      }));
    },
  };
}

describe('nothing is left running after a cancellation', () => {
  it('mid-LLM: every actor stopped, the HTTP request hung up', async () => {
    const server = await serve([{ fault: 'stall' }]);
    const actors = actorCollector();
    const { executor } = await startExecutor({
      model: sdkModel(server),
      inspect: [actors.observer],
    });
    const controller = new AbortController();

    const running = executor.process('run the tests', { signal: controller.signal });
    await eventually(() => server.requests.length === 1, 'the model request');
    controller.abort('user pressed ctrl-c');
    const result = await running;

    expect(result).toMatchObject({ status: 'stopped', stoppedBy: 'cancelled', turns: 0 });
    const statuses = actors.statuses();
    // The run's root actor and the stage actors it invoked up to the model call.
    expect(statuses.filter((actor) => actor.root).map((actor) => actor.id)).toEqual(['run-1']);
    expect(statuses.map((actor) => actor.id).sort()).toEqual(
      ['callModel', 'jit', 'observe', 'orient', 'run-1'].sort(),
    );
    expect(statuses.filter((actor) => actor.status === 'active')).toEqual([]);
    expect(statuses.find((actor) => actor.id === 'callModel')?.status).toBe('stopped');
    await eventually(() => server.hangUps.length > 0, 'the server to see the hang-up');
    expect(server.hangUps).toEqual([expect.objectContaining({ requestIndex: 0 })]);
    expect(server.requests).toHaveLength(1);
  });

  it('mid-tool: every actor stopped, the command process gone', async () => {
    const root = await demoWorkspace();
    const sleeper = await writeSleeper(root);
    const server = await serve([
      { toolCalls: [call('run_command', { command: sleeper.command }, 'call_sleep')] },
      { text: 'never reached' },
    ]);
    const actors = actorCollector();
    const { executor } = await startExecutor({
      model: sdkModel(server),
      root,
      inspect: [actors.observer],
    });
    const controller = new AbortController();

    const running = executor.process('run the tests', { signal: controller.signal });
    // If an assertion below fails, the sleeper is killed when the test finishes.
    const pid = await sleeper.started();
    expect(isRunning(pid)).toBe(true);
    controller.abort();
    const result = await running;

    expect(result).toMatchObject({
      status: 'stopped',
      stoppedBy: 'cancelled',
      turns: 1,
      toolCalls: 1,
    });
    const statuses = actors.statuses();
    expect(statuses.map((actor) => actor.id).sort()).toEqual(
      ['callModel', 'executeTools', 'jit', 'observe', 'orient', 'run-1'].sort(),
    );
    expect(statuses.filter((actor) => actor.status === 'active')).toEqual([]);
    expect(statuses.find((actor) => actor.id === 'executeTools')?.status).toBe('stopped');
    await eventually(() => !isRunning(pid), `process ${pid} to end`);
    // The model was never asked again, and its one answer was complete.
    expect(server.requests).toHaveLength(1);
    expect(server.hangUps).toEqual([]);
    // The cancelled call was never answered, so the kept conversation drops it.
    expect(unansweredCalls(executor.history)).toEqual([]);
    expect(executor.history).toEqual([{ role: 'user', content: 'run the tests' }]);
  });
});

// --------------------------------------------------------------- stage failures

describe('a stage failure names its stage', () => {
  it('observe: a transducer that rejects', async () => {
    const real = createTransducer({ ids: sequentialIds() });
    const broken: Transducer = {
      transduce: async () => {
        throw new Error('the transducer broke');
      },
      transduceSync: (text) => real.transduceSync(text),
    };
    const server = await serve([]);
    const { executor, events } = await startExecutor({
      model: sdkModel(server),
      transducer: broken,
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'failed',
      error: { stage: 'observe', message: expect.stringContaining('the transducer broke') },
      intent: null,
      persona: null,
      turns: 0,
      toolCalls: 0,
    });
    expect(server.requests).toHaveLength(0);
    expect(ofType(events, 'stage.finished')).toEqual([
      { type: 'stage.finished', stage: 'observe', ok: false, durationMs: expect.any(Number) },
    ]);
  });

  it('orient: the workspace is gone, so its world facts cannot be read', async () => {
    const server = await serve([]);
    const { executor, root } = await startExecutor({ model: sdkModel(server) });
    await rm(root, { recursive: true, force: true });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'failed',
      error: {
        stage: 'orient',
        message: expect.stringContaining('listing .: no such file or directory'),
      },
      persona: null,
      turns: 0,
    });
    expect(result.intent).not.toBeNull();
    expect(server.requests).toHaveLength(0);
  });

  it('jit: a config layer whose promptBudget no prompt fits', async () => {
    const server = await serve([]);
    const { executor } = await startExecutor({
      model: sdkModel(server),
      layers: [{ defaults: { promptBudget: 10 }, personas: {} }],
    });

    const result = await executor.process('run the tests');

    expect(result).toMatchObject({
      status: 'failed',
      error: { stage: 'jit', message: expect.stringContaining('prompt budget of 10 tokens') },
      turns: 0,
    });
    // ORIENT had routed it: the failure is JIT's own.
    expect(result.persona).not.toBeNull();
    expect(server.requests).toHaveLength(0);
  });
});
