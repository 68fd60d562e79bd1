/**
 * A conversation handed to an Executor (a restored or long-lived agent's) is
 * fitted to the history budget before the first run, not only after it: to
 * the Executor's `historyBudget` when given, and with its summary call bounded
 * by the run's timeout. `compressAfterRun: false` skips the fit after the run.
 */

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { loopLimitsSchema } from '../machines/loop.contracts.js';
import { type ChatMessage, createScriptedModel } from '../src/llm/index.js';
import { createTransducer } from '../src/perception/index.js';
import {
  countHistoryTokens,
  createHistoryCompressor,
  DEFAULT_HISTORY_BUDGET,
  type HistoryCompressor,
  InvalidExecutorOptionsError,
  keepWholeHistory,
} from '../src/session/executor/index.js';
import { sdkModel, serve, startExecutor } from './support/loop-harness.js';
import { eventually } from './support/processes.js';
import { sentMessages } from './support/wire.js';

/** Forty exchanges of about 1,000 tokens each: far over the default budget. */
const longHistory = (): ChatMessage[] =>
  Array.from({ length: 40 }, (_, index): ChatMessage[] => [
    { role: 'user', content: `question ${index}: ${'why is the sky blue? '.repeat(100)}` },
    { role: 'assistant', content: `answer ${index}: ${'because of scattering. '.repeat(100)}` },
  ]).flat();

/** A compressor that keeps everything and records the budget of each call. */
function recordingCompressor(): HistoryCompressor & { readonly budgets: number[] } {
  const budgets: number[] = [];
  const compress: HistoryCompressor = (history, context) => {
    budgets.push(context.budgetTokens);
    return keepWholeHistory(history, context);
  };
  return Object.assign(compress, { budgets });
}

const DROPPED = /^\d+ earlier messages? (was|were) dropped to fit the history budget/;

describe('a history handed to the Executor', () => {
  it('is fitted to the budget before the first model call', async () => {
    const model = createScriptedModel([{ text: 'done' }]);
    const history = longHistory();
    const { executor } = await startExecutor({
      model,
      persona: 'reviewer',
      shareKernel: true,
      transducer: createTransducer(),
      history,
      compressHistory: createHistoryCompressor({ summarize: false }),
    });

    const result = await executor.process('review this project');

    expect(result.status).toBe('done');
    const sent = model.requests[0]?.messages ?? [];
    const contents = sent.map((message) => ('content' in message ? message.content : null));
    expect(contents.some((text) => text?.includes('earlier messages were dropped'))).toBe(true);
    // The oldest exchange is gone, the newest kept, and far fewer messages went out.
    expect(contents.some((text) => text?.startsWith('question 0:'))).toBe(false);
    expect(contents.some((text) => text?.startsWith('answer 39:'))).toBe(true);
    expect(sent.length).toBeLessThan(history.length);
  });

  it("is fitted to the Executor's historyBudget, not the default one", async () => {
    const model = createScriptedModel([{ text: 'done' }]);
    const { executor } = await startExecutor({
      model,
      history: longHistory(),
      historyBudget: 3_000,
      compressHistory: createHistoryCompressor({ summarize: false }),
    });

    const result = await executor.process('review this project');

    expect(result.status).toBe('done');
    // What went out between the system prompt and the task is the fitted history.
    const carried = (model.requests[0]?.messages ?? []).slice(1, -1);
    expect(carried[0]?.content).toMatch(DROPPED);
    expect(countHistoryTokens(carried)).toBeLessThanOrEqual(3_000);
  });

  it('uses historyBudget only for the first fit: after the run, the AgentConfig’s', async () => {
    const compress = recordingCompressor();
    const { executor } = await startExecutor({
      model: createScriptedModel([{ text: 'done' }]),
      history: longHistory(),
      historyBudget: 3_000,
      compressHistory: compress,
    });

    await executor.process('review this project');

    expect(compress.budgets).toEqual([3_000, DEFAULT_HISTORY_BUDGET]);
  });

  it('refuses a historyBudget no config could set, with a typed error', async () => {
    await expect(
      startExecutor({ model: createScriptedModel([]), historyBudget: 100 }),
    ).rejects.toThrow(InvalidExecutorOptionsError);
  });

  it('with compressAfterRun: false, is fitted before the run and not after it', async () => {
    const compress = recordingCompressor();
    const history = longHistory();
    const { executor } = await startExecutor({
      model: createScriptedModel([{ text: 'done' }]),
      history,
      compressHistory: compress,
      compressAfterRun: false,
    });

    const result = await executor.process('review this project');

    expect(result.status).toBe('done');
    expect(compress.budgets).toEqual([DEFAULT_HISTORY_BUDGET]);
    // The whole conversation is kept: the handed-in one, the task and its answer.
    expect(executor.history.map((message) => message.content)).toEqual([
      ...history.map((message) => message.content),
      'review this project',
      'done',
    ]);
  });

  it('is truncated when the summary call hangs past the run timeout, and the request is hung up', async () => {
    const server = await serve([{ fault: 'stall' }, { text: 'done' }]);
    const clock = new SimulatedClock();
    const { executor } = await startExecutor({
      model: sdkModel(server),
      clock,
      history: longHistory(),
      historyBudget: 3_000,
    });

    const running = executor.process('review this project');
    await eventually(() => server.requests.length === 1, 'the summary request');
    // No `limits.timeoutMs`: the loop's default timeout bounds the summary call.
    clock.increment(loopLimitsSchema.parse({}).timeoutMs);
    const result = await running;

    expect(result).toMatchObject({ status: 'done', response: 'done' });
    await server.waitForHangUps(1);
    const note = sentMessages(server, 1)[1]?.content ?? '';
    expect(note).toMatch(DROPPED);
    expect(note).toContain('summarising them failed');
    // The run's duration leaves out the time spent fitting the history.
    expect(result.durationMs).toBe(0);
  });
});
