/**
 * Conversation state: what the model already did in the current turn. A turn
 * starts at the last user message; every tool call an assistant message made
 * since then is paired with the `tool` message that answers its id.
 */
import type { ChatMessage } from '../port.js';
import { callKey } from './tools.js';

export type ToolOutcome =
  | { readonly kind: 'ok'; readonly text: string }
  /** The loop sent no `tool` message for the call. */
  | { readonly kind: 'unanswered' }
  | { readonly kind: 'oversized'; readonly chars: number }
  | { readonly kind: 'malformed'; readonly reason: string };

export type CallRecord = {
  readonly id: string;
  readonly name: string;
  readonly outcome: ToolOutcome;
};

export type Turn = {
  /** By call key; a repeated call keeps its latest answer. */
  readonly records: ReadonlyMap<string, CallRecord>;
  /** Assistant messages with tool calls in this turn: the step budget counts these. */
  readonly toolSteps: number;
  /** Assistant messages in the whole conversation: call ids are built from it so they never repeat. */
  readonly assistantMessages: number;
};

export function readTurn(messages: readonly ChatMessage[], maxResultChars: number): Turn {
  let start = 0;
  messages.forEach((message, index) => {
    if (message.role === 'user') start = index + 1;
  });
  const answers = new Map<string, string>();
  for (const message of messages.slice(start)) {
    if (message.role === 'tool') answers.set(message.toolCallId, message.content);
  }

  const records = new Map<string, CallRecord>();
  let toolSteps = 0;
  let assistantMessages = 0;
  messages.forEach((message, index) => {
    if (message.role !== 'assistant') return;
    assistantMessages += 1;
    const calls = message.toolCalls ?? [];
    if (index < start || calls.length === 0) return;
    toolSteps += 1;
    for (const call of calls) {
      // Arguments that did not parse can match none of our planned calls.
      if (call.parseError !== undefined) continue;
      const answer = answers.get(call.id);
      const outcome = answer === undefined ? unanswered : judge(answer, maxResultChars);
      records.set(callKey(call.name, call.arguments), { id: call.id, name: call.name, outcome });
    }
  });
  return { records, toolSteps, assistantMessages };
}

const unanswered: ToolOutcome = { kind: 'unanswered' };

function judge(text: string, maxResultChars: number): ToolOutcome {
  if (text.length > maxResultChars) return { kind: 'oversized', chars: text.length };
  // NUL bytes mean binary content or a broken transport, not text the rules can read.
  if (text.includes('\u0000')) return { kind: 'malformed', reason: 'it contains NUL bytes' };
  return { kind: 'ok', text };
}
