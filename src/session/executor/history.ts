/**
 * The conversation a persistent Executor carries from one `process` to the
 * next. The system prompt is left out (each run compiles its own), and so is
 * any assistant turn whose tool calls never got answers (a run stopped between
 * LLM and EXECUTE): an API refuses a tool call without its answer.
 */
import type { ChatMessage } from '../../llm/index.js';

/**
 * The seam for history compression: called with the whole carried history
 * after each run, it returns what the next run starts from. Summarising or
 * truncating long histories belongs here; the default keeps everything.
 */
export type HistoryCompressor = (history: readonly ChatMessage[]) => readonly ChatMessage[];

export const keepWholeHistory: HistoryCompressor = (history) => history;

export function historyAfterRun(messages: readonly ChatMessage[]): ChatMessage[] {
  const answered = new Set(
    messages.flatMap((message) => (message.role === 'tool' ? [message.toolCallId] : [])),
  );
  const kept = messages.filter(
    (message) =>
      message.role !== 'system' &&
      !(
        message.role === 'assistant' &&
        (message.toolCalls ?? []).some((call) => !answered.has(call.id))
      ),
  );
  const asked = new Set(
    kept.flatMap((message) =>
      message.role === 'assistant' ? (message.toolCalls ?? []).map((call) => call.id) : [],
    ),
  );
  return kept.filter((message) => message.role !== 'tool' || asked.has(message.toolCallId));
}
