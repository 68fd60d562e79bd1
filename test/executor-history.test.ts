/**
 * History compression: the default compressor's guarantees as properties over
 * random conversations and budgets, then end to end through the Executor with
 * the real openai SDK against the local server (a summary the model writes; a
 * summary call that fails) and with the offline model (truncation).
 */
import fc from 'fast-check';
import { throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { sequentialIds } from '../src/core/index.js';
import {
  type ChatMessage,
  type ChatModel,
  type Completion,
  createOfflineModel,
  LlmUnavailable,
  OFFLINE_MODEL_ID,
} from '../src/llm/index.js';
import { createTransducer, intentToFact } from '../src/perception/index.js';
import {
  type ConfigFactory,
  createConfigFactory,
  loadConfigFile,
  loadConfigLayers,
  SHIPPED_DEFAULTS_FILE,
} from '../src/prompt/index.js';
import { loadShippedRules } from '../src/rules/index.js';
import {
  type CountTokens,
  CUT_MARKER,
  countHistoryTokens,
  createHistoryCompressor,
  DEFAULT_HISTORY_BUDGET,
  InvalidExecutorOptionsError,
  keepWholeHistory,
  SUMMARY_NOTE_PREFIX,
} from '../src/session/executor/index.js';
import { sdkModel, serve, startExecutor } from './support/loop-harness.js';
import { eventually } from './support/processes.js';
import { sentMessages, type WireRequest, wireRequest } from './support/wire.js';

const DROPPED = /^\d+ earlier messages? (was|were) dropped to fit the history budget/;

// ---------------------------------------------------------------------------
// Properties

/** About four characters a token: cheap, so properties can run many cases. */
const quarterCount: CountTokens = (text) => Math.ceil(text.length / 4);

type Step = { readonly calls: readonly number[]; readonly text: number };
type Turn = { readonly user: number; readonly steps: readonly Step[]; readonly answer: number };

const length = fc.nat({ max: 3000 });
const turnArbitrary: fc.Arbitrary<Turn> = fc.record({
  user: fc.integer({ min: 1, max: 1500 }),
  steps: fc.array(
    fc.record({
      calls: fc.array(length, { minLength: 1, maxLength: 3 }),
      text: fc.nat({ max: 200 }),
    }),
    { maxLength: 4 },
  ),
  // 0: the turn ended without a final answer (a run stopped after a tool batch).
  answer: fc.nat({ max: 800 }),
});

/** `size` code points of `seed` repeated (never half a surrogate pair). */
const text = (size: number, seed: string) =>
  Array.from(seed.repeat(Math.ceil(size / seed.length)))
    .slice(0, size)
    .join('');

/** A conversation as the Executor carries it: turns of user, tool steps, answer. */
function conversation(
  turns: readonly Turn[],
  words: readonly string[] = ['lorem '],
): ChatMessage[] {
  const word = (index: number) => words[index % words.length] ?? 'x';
  return turns.flatMap((turn, t): ChatMessage[] => [
    { role: 'user', content: `task ${t}: ${text(turn.user, word(t))}` },
    ...turn.steps.flatMap((step, s): ChatMessage[] => {
      const ids = step.calls.map((_, c) => `call_${t}_${s}_${c}`);
      return [
        {
          role: 'assistant',
          content: step.text === 0 ? null : text(step.text, word(s)),
          toolCalls: ids.map((id, c) => ({
            id,
            name: 'read_file',
            rawArguments: `{"path":"src/f${c}.ts"}`,
            arguments: { path: `src/f${c}.ts` },
          })),
        },
        ...step.calls.map(
          (size, c): ChatMessage => ({
            role: 'tool',
            toolCallId: ids[c] ?? '',
            content: text(size, word(c + 1)),
          }),
        ),
      ];
    }),
    ...(turn.answer === 0
      ? []
      : [{ role: 'assistant', content: text(turn.answer, word(t + 1)) } satisfies ChatMessage]),
  ]);
}

/** Every tool message answers a call of an assistant message before it, and every call is answered. */
function isValidConversation(messages: readonly ChatMessage[]): boolean {
  const asked = new Set<string>();
  const answered = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant')
      for (const call of message.toolCalls ?? []) asked.add(call.id);
    if (message.role === 'tool') {
      if (!asked.has(message.toolCallId)) return false;
      answered.add(message.toolCallId);
    }
  }
  return [...asked].every((id) => answered.has(id));
}

type Summariser = 'offline' | 'fails' | 'empty' | { readonly words: number };

/** A model that only summarises; offline by id, or answering with `words` words, or failing. */
function summariser(kind: Summariser): ChatModel & { readonly calls: number } {
  let calls = 0;
  const answer = (text: string): Completion => ({
    text,
    toolCalls: [],
    finishReason: 'stop',
    usage: { promptTokens: 100, completionTokens: 10 },
    model: 'fake',
  });
  return {
    id: kind === 'offline' ? OFFLINE_MODEL_ID : 'fake',
    get calls() {
      return calls;
    },
    async complete(request) {
      calls++;
      expect(request.tools ?? []).toEqual([]);
      if (kind === 'offline') throw new Error('the offline model must not be asked to summarise');
      if (kind === 'fails') throw new LlmUnavailable('summariser down');
      if (kind === 'empty') return answer('  ');
      return answer(Array.from({ length: kind.words }, (_, i) => `word${i}`).join(' '));
    },
    stream: () => throwError(() => new Error('not streamed')),
  };
}

const summariserArbitrary: fc.Arbitrary<Summariser> = fc.oneof(
  fc.constant<Summariser>('offline'),
  fc.constant<Summariser>('fails'),
  fc.constant<Summariser>('empty'),
  fc.record({ words: fc.integer({ min: 1, max: 3000 }) }),
);

/** The last user message of the input, kept whole or cut with the marker. */
function keepsLatestUserMessage(
  input: readonly ChatMessage[],
  output: readonly ChatMessage[],
): boolean {
  const before = input.findLast((message) => message.role === 'user');
  const after = output.findLast((message) => message.role === 'user');
  if (!before || !after) return before === after;
  if (after.content === before.content) return true;
  return (
    after.content.endsWith(CUT_MARKER) &&
    before.content.startsWith(after.content.slice(0, -CUT_MARKER.length))
  );
}

describe('createHistoryCompressor (properties)', () => {
  it('fits the budget, stays a valid conversation, keeps the latest task, notes what went', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(turnArbitrary, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 64, max: 20_000 }),
        summariserArbitrary,
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        async (turns, budget, kind, keepRecentTurns) => {
          const history = conversation(turns);
          const model = summariser(kind);
          const compress = createHistoryCompressor({ countTokens: quarterCount, keepRecentTurns });
          const before = countHistoryTokens(history, quarterCount);

          const result = await compress(history, { budgetTokens: budget, model });

          if (before <= budget) {
            expect(result).toBe(history);
            expect(model.calls).toBe(0);
            return;
          }
          expect(countHistoryTokens(result, quarterCount)).toBeLessThanOrEqual(budget);
          expect(isValidConversation(result)).toBe(true);
          expect(keepsLatestUserMessage(history, result)).toBe(true);
          if (kind === 'offline') expect(model.calls).toBe(0);
          // A note leads when something was dropped; the rest is the input's messages in
          // order, except that the latest task may be cut to fit.
          const note = result.length > 1 && !history.includes(result[0] as ChatMessage);
          const kept = note ? result.slice(1) : result;
          expect(kept[0]?.role).toBe('user');
          const positions = kept.flatMap((message) => {
            const index = history.indexOf(message);
            return index < 0 ? [] : [index];
          });
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
          expect(kept.length - positions.length).toBeLessThanOrEqual(1);
          const keptTurns = kept.filter((message) => message.role === 'user').length;
          expect(keptTurns).toBeLessThanOrEqual(keepRecentTurns ?? Number.POSITIVE_INFINITY);
          if (note) {
            const content = result[0]?.content ?? '';
            if (typeof kind === 'object' && model.calls > 0)
              expect(content.startsWith(SUMMARY_NOTE_PREFIX)).toBe(true);
            else expect(content).toMatch(DROPPED);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds with the real tokenizer (o200k_base) and unicode content', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(turnArbitrary, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 64, max: 6_000 }),
        summariserArbitrary,
        async (turns, budget, kind) => {
          const history = conversation(turns, ['lorem ', 'ünïcödé ', '😀🎉 ', '{"a":[1,2]} ']);
          const result = await createHistoryCompressor()(history, {
            budgetTokens: budget,
            model: summariser(kind),
          });
          if (countHistoryTokens(history) <= budget) expect(result).toBe(history);
          else expect(countHistoryTokens(result)).toBeLessThanOrEqual(budget);
          expect(isValidConversation(result)).toBe(true);
          expect(keepsLatestUserMessage(history, result)).toBe(true);
          // A cut never leaves half a surrogate pair behind.
          for (const message of result)
            expect(message.content ?? '').not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('createHistoryCompressor', () => {
  const turns = (count: number, size: number): Turn[] =>
    Array.from({ length: count }, () => ({ user: 40, steps: [], answer: size }));

  it('keeps the latest whole turns and summarises the rest with the model', async () => {
    const history = conversation(turns(6, 400));
    const requests: Array<{ maxTokens: number | undefined; text: string }> = [];
    const usage: unknown[] = [];
    const model: ChatModel = {
      id: 'fake',
      async complete(request) {
        requests.push({
          maxTokens: request.maxTokens,
          text: request.messages.map((message) => message.content ?? '').join('\n'),
        });
        return {
          text: 'The user asked six things.',
          toolCalls: [],
          finishReason: 'stop',
          usage: { promptTokens: 50, completionTokens: 6 },
          model: 'fake',
        };
      },
      stream: () => throwError(() => new Error('not streamed')),
    };

    const result = await createHistoryCompressor({ countTokens: quarterCount })(history, {
      budgetTokens: 600,
      model,
      onUsage: (used) => usage.push(used),
    });

    expect(result[0]).toEqual({
      role: 'user',
      content: `${SUMMARY_NOTE_PREFIX}The user asked six things.`,
    });
    // 600 tokens less a quarter for the summary: the last three turns (120 tokens each).
    expect(result.slice(1)).toEqual(history.slice(-6));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.text).toContain('task 0:');
    expect(requests[0]?.text).not.toContain('task 5:');
    expect(requests[0]?.maxTokens).toBeLessThanOrEqual(150);
    expect(usage).toEqual([{ promptTokens: 50, completionTokens: 6 }]);
  });

  it('with summarize: false (or the offline model) drops the old part with a note', async () => {
    const history = conversation(turns(6, 400));
    const model = summariser({ words: 5 });

    const result = await createHistoryCompressor({ countTokens: quarterCount, summarize: false })(
      history,
      { budgetTokens: 600, model },
    );

    expect(model.calls).toBe(0);
    expect(result[0]).toEqual({
      role: 'user',
      content: `${history.length - result.length + 1} earlier messages were dropped to fit the history budget.`,
    });
    expect(result.at(-1)).toBe(history.at(-1));
  });

  it('keeps the latest answer when the latest turn alone is over budget', async () => {
    const history = conversation([
      { user: 40, steps: [], answer: 100 },
      { user: 40, steps: [{ calls: [8000, 8000], text: 0 }], answer: 100 },
    ]);

    const result = await createHistoryCompressor({ countTokens: quarterCount })(history, {
      budgetTokens: 400,
      model: summariser('fails'),
    });

    expect(result.map((message) => message.role)).toEqual(['user', 'user', 'assistant']);
    expect(result[0]?.content).toMatch(DROPPED);
    expect(result[0]?.content).toContain('summarising them failed: summariser down');
    expect(result.slice(1)).toEqual(history.filter((_, i) => i === 2 || i === 6));
  });

  it('cuts a task too long for the budget with a marker, and never throws', async () => {
    const history: ChatMessage[] = [{ role: 'user', content: 'x'.repeat(100_000) }];

    const result = await createHistoryCompressor({ countTokens: quarterCount })(history, {
      budgetTokens: 300,
      model: summariser('fails'),
    });

    expect(result).toHaveLength(1);
    expect(result[0]?.content?.endsWith(CUT_MARKER)).toBe(true);
    expect(countHistoryTokens(result, quarterCount)).toBeLessThanOrEqual(300);
  });

  it('falls back to truncation when its signal aborts, even if the model ignores the signal', async () => {
    const history = conversation(turns(6, 400));
    let asked = false;
    const deaf: ChatModel = {
      id: 'fake',
      // Never settles, whatever happens to its signal.
      complete: () => {
        asked = true;
        return new Promise<Completion>(() => {});
      },
      stream: () => throwError(() => new Error('not streamed')),
    };
    const controller = new AbortController();

    const compressing = createHistoryCompressor({ countTokens: quarterCount })(history, {
      budgetTokens: 600,
      model: deaf,
      signal: controller.signal,
    });
    await eventually(() => asked, 'the summary call');
    controller.abort('too slow');
    const result = await compressing;

    expect(result[0]?.content).toMatch(DROPPED);
    expect(result[0]?.content).toContain('summarising them failed');
    expect(countHistoryTokens(result, quarterCount)).toBeLessThanOrEqual(600);
  });

  it('refuses bad options with a typed error', () => {
    expect(() => createHistoryCompressor({ keepRecentTurns: 0 })).toThrow(
      InvalidExecutorOptionsError,
    );
  });

  it('keepWholeHistory keeps everything', async () => {
    const history = conversation(turns(6, 400));
    expect(await keepWholeHistory(history, { budgetTokens: 10, model: summariser('fails') })).toBe(
      history,
    );
  });
});

describe('historyBudget in the config', () => {
  it('is in the shipped defaults and in every AgentConfig', async () => {
    const shipped = await loadConfigFile(SHIPPED_DEFAULTS_FILE);
    expect(shipped.defaults.historyBudget).toBe(DEFAULT_HISTORY_BUDGET);
    const kernel = await loadShippedRules();
    const intent = createTransducer({ ids: sequentialIds() }).transduceSync('review this project');
    kernel.assert(intentToFact(intent));
    const config = createConfigFactory(kernel, await loadConfigLayers()).configFor(intent.id);
    expect(config.historyBudget).toBe(DEFAULT_HISTORY_BUDGET);
  });
});

// ---------------------------------------------------------------------------
// Through the Executor

/** An Executor on a temp copy of the demo workspace whose configs carry `historyBudget`. */
const executorWith = (model: ChatModel, historyBudget: number, persona = 'coder') =>
  startExecutor({
    model,
    persona,
    wrapConfig: (shipped): ConfigFactory => ({
      configFor: (intentId) => ({ ...shipped.configFor(intentId), historyBudget }),
    }),
  });

const isSummaryRequest = (body: WireRequest) =>
  body.tools === undefined && /compress a coding agent/.test(body.messages[0]?.content ?? '');

const SUMMARY = 'The agent read src/pricing.js and reported on its tiers.';

describe('Executor history compression', () => {
  it('sends the next run a summary the model wrote of the oldest turns', async () => {
    const server = await serve((request) => {
      const body = wireRequest(request);
      if (isSummaryRequest(body)) return { text: SUMMARY };
      const users = body.messages.filter((message) => message.role === 'user').length;
      const last = body.messages.at(-1);
      if (last?.role === 'user' && users === 1)
        return {
          toolCalls: [
            { id: 'call_read', name: 'read_file', arguments: '{"path":"src/pricing.js"}' },
          ],
        };
      return { text: last?.role === 'tool' ? 'First answer.' : 'Second answer.' };
    });
    const { executor, events } = await executorWith(sdkModel(server), 600);

    const first = await executor.process('run the tests');
    const usageAfterFirst = events.filter((event) => event.type === 'llm.usage').length;
    const second = await executor.process('review this project');

    expect(first).toMatchObject({ status: 'done', response: 'First answer.', turns: 2 });
    expect(second).toMatchObject({ status: 'done', response: 'Second answer.' });
    const bodies = server.requests.map(wireRequest);
    expect(bodies.map(isSummaryRequest)).toEqual([false, false, true, false]);
    // The summariser saw the dropped tool call and its result.
    const asked = bodies[2]?.messages.map((message) => message.content ?? '').join('\n');
    expect(asked).toContain('read_file');
    expect(asked).toContain('tier');
    // The next run carries the note, then the kept turn, then its own task.
    const sent = (bodies[3]?.messages ?? []).map((m) => `${m.role}:${m.content ?? ''}`);
    expect(sent.slice(1)).toEqual([
      `user:${SUMMARY_NOTE_PREFIX}${SUMMARY}`,
      'user:run the tests',
      'assistant:First answer.',
      'user:review this project',
    ]);
    expect(executor.history[0]?.content).toBe(`${SUMMARY_NOTE_PREFIX}${SUMMARY}`);
    // The summary call's usage is an llm.usage event of the run that needed it.
    expect(usageAfterFirst).toBe(first.turns + 1);
  });

  it('falls back to truncation when the summary call fails, and still returns the result', async () => {
    const server = await serve([
      {
        toolCalls: [{ id: 'call_read', name: 'read_file', arguments: '{"path":"src/format.js"}' }],
      },
      { text: 'First answer.' },
      { fault: 'server_error' },
      { text: 'Second answer.' },
    ]);
    const { executor } = await executorWith(sdkModel(server), 600);

    const first = await executor.process('run the tests');

    expect(first).toMatchObject({ status: 'done', response: 'First answer.' });
    expect(server.requests).toHaveLength(3);
    const note = executor.history[0]?.content ?? '';
    expect(note).toMatch(DROPPED);
    expect(note).toContain('summarising them failed');
    expect(countHistoryTokens(executor.history)).toBeLessThanOrEqual(600);

    const second = await executor.process('review this project');
    expect(second).toMatchObject({ status: 'done', response: 'Second answer.' });
    expect(sentMessages(server, 3)[1]?.content).toBe(note);
  });

  it("bounds the summary call by the run's timeout: a hung call is hung up and the history truncated", async () => {
    const server = await serve([
      {
        toolCalls: [{ id: 'call_read', name: 'read_file', arguments: '{"path":"src/format.js"}' }],
      },
      { text: 'First answer.' },
      { fault: 'stall' },
    ]);
    const clock = new SimulatedClock();
    const { executor } = await startExecutor({
      model: sdkModel(server),
      clock,
      limits: { timeoutMs: 5_000 },
      wrapConfig: (shipped): ConfigFactory => ({
        configFor: (intentId) => ({ ...shipped.configFor(intentId), historyBudget: 600 }),
      }),
    });

    const running = executor.process('run the tests');
    await eventually(() => server.requests.length === 3, 'the summary request');
    clock.increment(5_000);
    const result = await running;

    expect(result).toMatchObject({ status: 'done', response: 'First answer.' });
    await server.waitForHangUps(1);
    const note = executor.history[0]?.content ?? '';
    expect(note).toMatch(DROPPED);
    expect(note).toContain('summarising them failed');
    expect(countHistoryTokens(executor.history)).toBeLessThanOrEqual(600);
    // The run took no time on its clock: the summary's wait is not in its duration.
    expect(result.durationMs).toBe(0);
  });

  it('truncates with a note, without a summary call, for the offline model', async () => {
    const offline = createOfflineModel();
    let calls = 0;
    const model: ChatModel = {
      id: offline.id,
      complete: (request) => {
        calls++;
        return offline.complete(request);
      },
      stream: (request) => offline.stream(request),
    };
    const { executor } = await executorWith(model, 1_000, 'reviewer');

    const result = await executor.process('review this project');

    expect(result.status).toBe('done');
    expect(calls).toBe(result.turns);
    const [note] = executor.history;
    expect(note?.role).toBe('user');
    expect(note?.content).toMatch(DROPPED);
    expect(
      executor.history.find((message) => message.content === 'review this project'),
    ).toBeDefined();
    expect(executor.history.at(-1)?.content).toBe(result.response);
    expect(countHistoryTokens(executor.history)).toBeLessThanOrEqual(1_000);
  });
});
