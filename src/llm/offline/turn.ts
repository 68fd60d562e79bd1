/**
 * Conversation state: what the model already did in the current turn. A turn
 * starts at the last user message; every tool call an assistant message made
 * since then is paired with the `tool` message that answers its id.
 *
 * A tool message holds JSON, as the VirtualStore's `toolOutcomeContent`
 * writes it: the tool's result object on success, `{ "error": { code,
 * message } }` on failure. Anything else is outside data and is judged, never
 * trusted: it becomes an outcome the planners can note and skip.
 */
import type { ChatMessage } from '../port.js';
import { callKey } from './tools.js';

export type ToolOutcome =
  /** The tool's result: a JSON object that is not an error. */
  | { readonly kind: 'ok'; readonly value: Readonly<Record<string, unknown>> }
  /** The store refused the call or the tool failed: `{ error: { code, message } }`. */
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** The store's `store_denied` message: `<tool> was denied (<reasons>): <proof>`. */
const DENIAL = /^(\S+ was denied \([^)]*\))/;

/** Longest error message kept from a failed call: denials carry whole proofs. */
const MAX_ERROR_CHARS = 300;

function judge(text: string, maxResultChars: number): ToolOutcome {
  if (text.length > maxResultChars) return { kind: 'oversized', chars: text.length };
  // NUL bytes mean binary content or a broken transport: JSON text never holds one raw.
  if (text.includes('\u0000')) return { kind: 'malformed', reason: 'it contains NUL bytes' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'it is not JSON' };
  }
  if (!isObject(value)) return { kind: 'malformed', reason: 'it is not a JSON object' };
  if ('error' in value) return failure(value.error);
  return { kind: 'ok', value };
}

/** `{ code, message }` as the store writes it; whatever else arrives is still a failure. */
function failure(error: unknown): ToolOutcome {
  const fields = isObject(error) ? error : {};
  const code = typeof fields.code === 'string' && fields.code !== '' ? fields.code : 'unknown';
  const raw =
    typeof fields.message === 'string' ? fields.message : typeof error === 'string' ? error : '';
  // The first line says what happened. A denial goes on with its proof
  // (rules, files and lines), which is for humans: its reasons are enough here.
  const first = (raw.split(/\r?\n/)[0] ?? '').replace(CONTROL, ' ').trim();
  const line = DENIAL.exec(first)?.[1] ?? first;
  const message = line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}…` : line;
  return { kind: 'failed', code, message };
}

export function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
