/**
 * The loop machine run for real: every stage is a scripted promise actor given
 * with `.provide()`, time is XState's SimulatedClock.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import {
  type CallModelInput,
  type ChatMessage,
  type Completion,
  type ExecuteToolsInput,
  type JitOutput,
  type LoopEmitted,
  type LoopInit,
  type LoopStage,
  type LoopToolResult,
  loopContextSchema,
  loopOutputSchema,
  type ToolCall,
} from '../machines/loop.contracts.js';
import {
  loopClockActions,
  loopMachine,
  stuckReason,
  toolResultContent,
} from '../machines/loop.machine.js';
import { type ToolOutcome, toolOutcomeContent } from '../src/store/index.js';

// Compile-time: the store's outcome is a loop tool result, so the Executor can pass it through.
const fromStore = (outcome: ToolOutcome): LoopToolResult => outcome;

const TASK = 'fix the bug in a.ts';

const call = (id: string, name: string, args: unknown = {}): ToolCall => ({
  id,
  name,
  rawArguments: JSON.stringify(args),
  arguments: args,
});

const usage = (promptTokens = 10, completionTokens = 5) => ({ promptTokens, completionTokens });

const answer = (text: string, tokens = usage()): Completion => ({
  text,
  toolCalls: [],
  finishReason: 'stop',
  usage: tokens,
  model: 'scripted',
});

const toolCalls = (calls: ToolCall[], tokens = usage()): Completion => ({
  text: '',
  toolCalls: calls,
  finishReason: 'tool_calls',
  usage: tokens,
  model: 'scripted',
});

type ModelStep = Completion | ((input: CallModelInput, signal: AbortSignal) => Promise<Completion>);
type ToolRunner = (
  input: ExecuteToolsInput,
  signal: AbortSignal,
) => Promise<LoopToolResult[]> | LoopToolResult[];

type Script = {
  /** One entry per model call; a call past the end fails the stage. */
  model: ModelStep[];
  tools?: ToolRunner;
  jit?: JitOutput;
  fail?: LoopStage;
};

/** Every call answered in call order; the result is the tool's name and arguments. */
const echoTools: ToolRunner = ({ calls }) =>
  calls.map((c) => ({ callId: c.id, tool: c.name, ok: true, result: { echo: c.arguments } }));

const never = <T>(signal: AbortSignal, aborted: AbortSignal[]): Promise<T> =>
  new Promise<T>(() => {
    signal.addEventListener('abort', () => aborted.push(signal));
  });

function startLoop(init: LoopInit, script: Script) {
  const clock = new SimulatedClock();
  const modelInputs: CallModelInput[] = [];
  const toolInputs: ExecuteToolsInput[] = [];
  const steps = [...script.model];
  const failIf = (stage: LoopStage) => {
    if (script.fail === stage) throw new Error(`${stage} broke`);
  };
  const logic = loopMachine.provide({
    actors: {
      observe: fromPromise(async ({ input }) => {
        failIf('observe');
        return { id: 'intent-1', text: input.task };
      }),
      orient: fromPromise(async ({ input }) => {
        failIf('orient');
        return { persona: 'coder', intent: input.intent };
      }),
      jit: fromPromise(async () => {
        failIf('jit');
        return script.jit ?? { systemPrompt: 'You are a careful coder.', tools: ['read_file'] };
      }),
      callModel: fromPromise(async ({ input, signal }) => {
        failIf('callModel');
        modelInputs.push(input);
        const step = steps.shift();
        if (!step) throw new Error(`no scripted completion for turn ${input.turn}`);
        return typeof step === 'function' ? step(input, signal) : step;
      }),
      executeTools: fromPromise(async ({ input, signal }) => {
        failIf('executeTools');
        toolInputs.push(input);
        return (script.tools ?? echoTools)(input, signal);
      }),
      respond: fromPromise(async ({ input }) => {
        failIf('respond');
        return `response: ${input.text}`;
      }),
    },
    actions: loopClockActions(() => clock.now()),
  });
  const actor = createActor(logic, { input: init, clock });
  const emitted: LoopEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.subscribe({ error: () => {} });
  actor.start();
  const finished = async () => {
    const snapshot = await waitFor(actor, (s) => s.status !== 'active');
    // The context and output stay inside their own contracts on every path.
    loopContextSchema.parse(snapshot.context);
    return loopOutputSchema.parse(snapshot.output);
  };
  return { actor, clock, emitted, modelInputs, toolInputs, finished };
}

/** Lets settled promises deliver their done events. */
async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** `+stage` when a stage starts, `-stage` when it ends, marked when it did not succeed. */
const stageEvents = (emitted: LoopEmitted[]) =>
  emitted.flatMap((e) => {
    if (e.type === 'stage.started') return [`+${e.stage}`];
    if (e.type === 'stage.finished') return [`-${e.stage}${e.ok ? '' : ' (failed)'}`];
    return [];
  });

describe('loop machine', () => {
  it('answers a plain question: observe → orient → jit → callModel → respond → done', async () => {
    const { emitted, modelInputs, finished } = startLoop(
      { task: TASK },
      { model: [answer('Done.')] },
    );
    const output = await finished();
    expect(output).toEqual({
      status: 'done',
      response: 'response: Done.',
      turns: 1,
      toolCalls: 0,
      usage: usage(),
      messages: [
        { role: 'system', content: 'You are a careful coder.' },
        { role: 'user', content: TASK },
        { role: 'assistant', content: 'Done.' },
      ],
    });
    expect(modelInputs).toEqual([
      {
        messages: [
          { role: 'system', content: 'You are a careful coder.' },
          { role: 'user', content: TASK },
        ],
        tools: ['read_file'],
        turn: 1,
      },
    ]);
    expect(stageEvents(emitted)).toEqual([
      '+observe',
      '-observe',
      '+orient',
      '-orient',
      '+jit',
      '-jit',
      '+callModel',
      '-callModel',
      '+respond',
      '-respond',
    ]);
    expect(emitted.filter((e) => e.type === 'llm.usage')).toEqual([
      { type: 'llm.usage', promptTokens: 10, completionTokens: 5 },
    ]);
  });

  it('places a history before the task and passes the intent on to orient and respond', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
    ];
    const { actor, finished } = startLoop({ task: TASK, history }, { model: [answer('ok')] });
    const output = await finished();
    expect(output.messages.slice(0, 4)).toEqual([
      { role: 'system', content: 'You are a careful coder.' },
      ...history,
      { role: 'user', content: TASK },
    ]);
    expect(actor.getSnapshot().context.orientation).toEqual({
      persona: 'coder',
      intent: { id: 'intent-1', text: TASK },
    });
  });

  it('runs a tool round trip: assistant tool calls, then one tool message per call in call order', async () => {
    const calls = [
      call('c1', 'read_file', { path: 'a.ts' }),
      call('c2', 'list_files', { path: '.' }),
      { id: 'c3', name: 'read_file', rawArguments: '{oops', parseError: 'not JSON' },
      call('c4', 'search', { pattern: 'bug' }),
    ];
    const { emitted, modelInputs, toolInputs, finished } = startLoop(
      { task: TASK },
      {
        model: [toolCalls(calls), answer('Fixed it.')],
        // Out of order, one failed, one missing: the machine answers every call, in call order.
        tools: () => [
          { callId: 'c2', tool: 'list_files', ok: true, result: { entries: [] } },
          {
            callId: 'c3',
            tool: 'read_file',
            ok: false,
            error: { code: 'invalid_arguments', message: 'not JSON' },
          },
          { callId: 'c1', tool: 'read_file', ok: true, result: { content: 'const a = 1;' } },
        ],
      },
    );
    const output = await finished();
    expect(toolInputs).toEqual([{ calls }]);
    expect(output.status).toBe('done');
    expect(output.turns).toBe(2);
    expect(output.toolCalls).toBe(4);
    expect(output.usage).toEqual(usage(20, 10));
    expect(output.messages.slice(2)).toEqual([
      { role: 'assistant', content: null, toolCalls: calls },
      { role: 'tool', toolCallId: 'c1', content: '{"content":"const a = 1;"}' },
      { role: 'tool', toolCallId: 'c2', content: '{"entries":[]}' },
      {
        role: 'tool',
        toolCallId: 'c3',
        content: '{"error":{"code":"invalid_arguments","message":"not JSON"}}',
      },
      {
        role: 'tool',
        toolCallId: 'c4',
        content: JSON.stringify({
          error: {
            code: 'loop_missing_result',
            message: 'executeTools returned no result for call c4 (search)',
          },
        }),
      },
      { role: 'assistant', content: 'Fixed it.' },
    ]);
    // The second model call saw the tool results.
    expect(modelInputs[1]?.messages).toEqual(output.messages.slice(0, -1));
    expect(emitted.filter((e) => e.type === 'tool.batch')).toEqual([
      { type: 'tool.batch', tools: ['read_file', 'list_files', 'read_file', 'search'], failed: 2 },
    ]);
    expect(stageEvents(emitted).slice(6)).toEqual([
      '+callModel',
      '-callModel',
      '+executeTools',
      '-executeTools',
      '+callModel',
      '-callModel',
      '+respond',
      '-respond',
    ]);
  });

  it('writes tool messages exactly as the store does', () => {
    const outcomes: ToolOutcome[] = [
      { callId: 'a', tool: 'read_file', ok: true, result: { content: 'x', truncated: false } },
      { callId: 'b', tool: 'run_command', ok: true, result: 'plain' },
      {
        callId: 'c',
        tool: 'write_file',
        ok: false,
        error: { code: 'store_denied', message: 'no' },
      },
      { callId: 'd', tool: 'weird', ok: true, result: { big: 1n } },
    ];
    for (const outcome of outcomes)
      expect(toolResultContent(fromStore(outcome))).toBe(toolOutcomeContent(outcome));
  });

  it('stamps stage durations with the provided clock', async () => {
    const { clock, emitted, finished } = startLoop(
      { task: TASK },
      {
        model: [
          async () => {
            clock.increment(30);
            return answer('ok');
          },
        ],
      },
    );
    await finished();
    const durations = emitted.flatMap((e) =>
      e.type === 'stage.finished' ? [[e.stage, e.durationMs]] : [],
    );
    expect(durations).toEqual([
      ['observe', 0],
      ['orient', 0],
      ['jit', 0],
      ['callModel', 30],
      ['respond', 0],
    ]);
  });

  it('takes the limits the JIT stage returns over the input', async () => {
    const { finished } = startLoop(
      { task: TASK, limits: { maxTurns: 10 } },
      {
        jit: { systemPrompt: 'sys', limits: { maxTurns: 1 } },
        model: [toolCalls([call('c1', 'read_file', { path: 'a.ts' })])],
      },
    );
    const output = await finished();
    expect(output).toMatchObject({ status: 'stopped', stoppedBy: 'max_turns', turns: 1 });
  });

  describe('limits stop the run', () => {
    it('max_turns: tool calls after the last allowed model call', async () => {
      const { toolInputs, finished } = startLoop(
        { task: TASK, limits: { maxTurns: 2 } },
        {
          model: [
            toolCalls([call('c1', 'read_file', { path: 'a.ts' })]),
            toolCalls([call('c2', 'read_file', { path: 'b.ts' })]),
          ],
        },
      );
      const output = await finished();
      expect(output).toMatchObject({
        status: 'stopped',
        stoppedBy: 'max_turns',
        stage: 'callModel',
        turns: 2,
        toolCalls: 1,
        message: 'the model asked for tools after its last allowed call (2 of 2 turns)',
      });
      // The calls past the limit never ran.
      expect(toolInputs).toHaveLength(1);
    });

    it('max_turns does not discard an answer given on the last turn', async () => {
      const { finished } = startLoop(
        { task: TASK, limits: { maxTurns: 2 } },
        { model: [toolCalls([call('c1', 'read_file', { path: 'a.ts' })]), answer('done')] },
      );
      expect(await finished()).toMatchObject({ status: 'done', turns: 2 });
    });

    it('max_tool_calls: a batch that would pass the limit is not run', async () => {
      const batch = (n: number) => [
        call(`r${n}`, 'read_file', { path: `${n}.ts` }),
        call(`l${n}`, 'list_files', { path: `${n}` }),
      ];
      const { toolInputs, finished } = startLoop(
        { task: TASK, limits: { maxToolCalls: 3 } },
        { model: [toolCalls(batch(1)), toolCalls(batch(2))] },
      );
      const output = await finished();
      expect(output).toMatchObject({
        status: 'stopped',
        stoppedBy: 'max_tool_calls',
        toolCalls: 2,
        turns: 2,
        message: 'the model asked for 2 tool calls with 2 of 3 used',
      });
      expect(toolInputs).toHaveLength(1);
    });

    it('token_budget: usage totals from the completions', async () => {
      const step = (n: number) =>
        toolCalls([call(`c${n}`, 'read_file', { path: `${n}.ts` })], usage(30, 10));
      const { finished } = startLoop(
        { task: TASK, limits: { tokenBudget: 100 } },
        { model: [step(1), step(2), step(3)] },
      );
      const output = await finished();
      expect(output).toMatchObject({
        status: 'stopped',
        stoppedBy: 'token_budget',
        turns: 3,
        usage: usage(90, 30),
        message: '120 of 100 tokens used',
      });
    });

    it('timeout: the run timeout fires in whichever stage is running and aborts it', async () => {
      const aborted: AbortSignal[] = [];
      const { actor, clock, emitted, finished } = startLoop(
        { task: TASK, limits: { timeoutMs: 1_000 } },
        { model: [(_, signal) => never(signal, aborted)] },
      );
      await flush();
      expect(actor.getSnapshot().value).toEqual({ working: 'thinking' });
      clock.increment(999);
      expect(actor.getSnapshot().value).toEqual({ working: 'thinking' });
      clock.increment(1);
      const output = await finished();
      expect(output).toMatchObject({
        status: 'stopped',
        stoppedBy: 'timeout',
        stage: 'callModel',
        message: 'the run exceeded its 1000 ms timeout during callModel',
      });
      expect(aborted).toHaveLength(1);
      expect(emitted.at(-1)).toEqual({
        type: 'stage.finished',
        stage: 'callModel',
        ok: false,
        durationMs: 1_000,
      });
    });

    it('timeout also covers the stages before the model', async () => {
      const { actor, clock, finished } = startLoop(
        { task: TASK, limits: { timeoutMs: 50 } },
        { model: [] },
      );
      // Nothing has settled yet: the run is still observing.
      expect(actor.getSnapshot().value).toEqual({ working: 'observing' });
      clock.increment(50);
      expect(await finished()).toMatchObject({ stoppedBy: 'timeout', stage: 'observe' });
    });
  });

  describe('stuck', () => {
    const same = () => toolCalls([call('c', 'read_file', { path: 'a.ts' })]);

    it('stops on the same call with the same result three times in a row', async () => {
      const { toolInputs, finished } = startLoop(
        { task: TASK },
        { model: [same(), same(), same(), answer('unreachable')] },
      );
      const output = await finished();
      expect(output).toMatchObject({
        status: 'stopped',
        stoppedBy: 'stuck',
        turns: 3,
        toolCalls: 3,
        message:
          'read_file was called 3 times in a row with the same arguments and the same result',
      });
      expect(toolInputs).toHaveLength(3);
      // The third result is kept: the conversation ends with it.
      expect(output.messages.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'c' });
    });

    it('compares canonical arguments: key order does not make a call different', async () => {
      const a = {
        id: 'c',
        name: 'search',
        rawArguments: '',
        arguments: { pattern: 'x', path: '.' },
      };
      const b = {
        id: 'c',
        name: 'search',
        rawArguments: '',
        arguments: { path: '.', pattern: 'x' },
      };
      const { finished } = startLoop(
        { task: TASK },
        {
          model: [toolCalls([a]), toolCalls([b]), toolCalls([a]), answer('no')],
          tools: ({ calls }) =>
            calls.map((c) => ({ callId: c.id, tool: c.name, ok: true, result: { matches: [] } })),
        },
      );
      expect(await finished()).toMatchObject({ stoppedBy: 'stuck' });
    });

    it('is not stuck when the same call gets a different result', async () => {
      let n = 0;
      const { finished } = startLoop(
        { task: TASK },
        {
          model: [same(), same(), same(), same(), answer('converged')],
          tools: ({ calls }) =>
            calls.map((c) => ({ callId: c.id, tool: c.name, ok: true, result: { n: n++ } })),
        },
      );
      expect(await finished()).toMatchObject({ status: 'done', turns: 5 });
    });

    it('stops on a ping-pong A,B,A,B,A,B (2N calls)', async () => {
      const a = () => toolCalls([call('a', 'read_file', { path: 'a.ts' })]);
      const b = () => toolCalls([call('b', 'list_files', { path: '.' })]);
      const { toolInputs, finished } = startLoop(
        { task: TASK },
        { model: [a(), b(), a(), b(), a(), b(), answer('unreachable')] },
      );
      const output = await finished();
      expect(output).toMatchObject({
        stoppedBy: 'stuck',
        turns: 6,
        message:
          'read_file and list_files alternated 3 times each with the same arguments and the same results',
      });
      expect(toolInputs).toHaveLength(6);
    });

    it('counts calls inside a batch: one batch of the same call three times is stuck', async () => {
      const { finished } = startLoop(
        { task: TASK },
        {
          model: [
            toolCalls([
              call('x1', 'read_file', { path: 'a.ts' }),
              call('x2', 'read_file', { path: 'a.ts' }),
              call('x3', 'read_file', { path: 'a.ts' }),
            ]),
          ],
          tools: ({ calls }) =>
            calls.map((c) => ({ callId: c.id, tool: c.name, ok: true, result: 'same' })),
        },
      );
      expect(await finished()).toMatchObject({ stoppedBy: 'stuck', turns: 1 });
    });

    it('exempts polling tools', async () => {
      const poll = () => toolCalls([call('p', 'job_status', { job: 1 })]);
      const { finished } = startLoop(
        { task: TASK, limits: { pollingTools: ['job_status'] } },
        { model: [poll(), poll(), poll(), poll(), poll(), poll(), answer('job finished')] },
      );
      expect(await finished()).toMatchObject({ status: 'done', turns: 7, toolCalls: 6 });
    });

    it('takes its threshold from the input', async () => {
      const { finished } = startLoop(
        { task: TASK, limits: { stuckRepeats: 2 } },
        { model: [same(), same(), answer('unreachable')] },
      );
      expect(await finished()).toMatchObject({ stoppedBy: 'stuck', turns: 2 });
    });

    it('stuckReason needs a full window', () => {
      const r = (tool: string) => ({ tool, args: 'x', result: 'y' });
      const limits = { stuckRepeats: 3, pollingTools: [] };
      expect(stuckReason([r('a'), r('a')], limits)).toBeNull();
      expect(stuckReason([r('b'), r('a'), r('a'), r('a')], limits)).not.toBeNull();
      expect(stuckReason([r('a'), r('b'), r('a'), r('b'), r('a')], limits)).toBeNull();
      expect(stuckReason([r('a'), r('b'), r('a'), r('b'), r('a'), r('b')], limits)).not.toBeNull();
      expect(
        stuckReason([r('a'), r('b'), r('a'), r('b'), r('a'), r('b')], {
          ...limits,
          pollingTools: ['b'],
        }),
      ).toBeNull();
    });
  });

  describe('cancel', () => {
    it('in thinking: stopped, cancelled, the model call aborted', async () => {
      const aborted: AbortSignal[] = [];
      const { actor, emitted, finished } = startLoop(
        { task: TASK },
        { model: [(_, signal) => never(signal, aborted)] },
      );
      await flush();
      expect(actor.getSnapshot().value).toEqual({ working: 'thinking' });
      actor.send({ type: 'CANCEL', reason: 'user pressed ctrl-c' });
      const output = await finished();
      expect(output).toMatchObject({
        status: 'stopped',
        stoppedBy: 'cancelled',
        stage: 'callModel',
        message: 'cancelled during callModel: user pressed ctrl-c',
      });
      expect(aborted).toHaveLength(1);
      expect(stageEvents(emitted).at(-1)).toBe('-callModel (failed)');
    });

    it('in acting: stopped, cancelled, the tool batch aborted', async () => {
      const aborted: AbortSignal[] = [];
      const { actor, finished } = startLoop(
        { task: TASK },
        {
          model: [toolCalls([call('c1', 'run_command', { command: 'sleep 100' })])],
          tools: (_, signal) => never(signal, aborted),
        },
      );
      await flush();
      expect(actor.getSnapshot().value).toEqual({ working: 'acting' });
      actor.send({ type: 'CANCEL' });
      const output = await finished();
      expect(output).toMatchObject({
        stoppedBy: 'cancelled',
        stage: 'executeTools',
        message: 'cancelled during executeTools',
        toolCalls: 1,
      });
      expect(aborted).toHaveLength(1);
    });
  });

  describe('a stage that fails fails the run, naming the stage', () => {
    const stages: LoopStage[] = [
      'observe',
      'orient',
      'jit',
      'callModel',
      'executeTools',
      'respond',
    ];
    it.each(stages)('%s', async (stage) => {
      const { emitted, finished } = startLoop(
        { task: TASK },
        {
          model: [toolCalls([call('c1', 'read_file', { path: 'a.ts' })]), answer('ok')],
          fail: stage,
        },
      );
      const output = await finished();
      expect(output).toMatchObject({ status: 'failed', stage, message: `${stage} broke` });
      expect(stageEvents(emitted).at(-1)).toBe(`-${stage} (failed)`);
    });

    it('without implementations, the placeholders fail at the first stage', async () => {
      const actor = createActor(loopMachine, { input: { task: TASK } });
      actor.subscribe({ error: () => {} });
      actor.start();
      const snapshot = await waitFor(actor, (s) => s.status !== 'active');
      expect(snapshot.output).toMatchObject({
        status: 'failed',
        stage: 'observe',
        message: 'no observe implementation was provided',
      });
    });
  });
});
