/**
 * A conversation handed to an Executor (a restored or long-lived agent's) is
 * fitted to the history budget before the first run, not only after it.
 */
import { describe, expect, it } from 'vitest';
import { type ChatMessage, createScriptedModel } from '../src/llm/index.js';
import { createTransducer } from '../src/perception/index.js';
import { createHistoryCompressor } from '../src/session/executor/index.js';
import { startExecutor } from './support/loop-harness.js';

/** Forty exchanges of about 1,000 tokens each: far over the default budget. */
const longHistory = (): ChatMessage[] =>
  Array.from({ length: 40 }, (_, index): ChatMessage[] => [
    { role: 'user', content: `question ${index}: ${'why is the sky blue? '.repeat(100)}` },
    { role: 'assistant', content: `answer ${index}: ${'because of scattering. '.repeat(100)}` },
  ]).flat();

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
});
