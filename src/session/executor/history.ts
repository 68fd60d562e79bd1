/**
 * The conversation a persistent Executor carries from one `process` to the
 * next. The system prompt is left out (each run compiles its own), and so is
 * any assistant turn whose tool calls never got answers (a run stopped between
 * LLM and EXECUTE): an API refuses a tool call without its answer.
 *
 * Past its token budget (the AgentConfig's `historyBudget`) the history is
 * compressed: the most recent turns are kept whole and the older part is
 * replaced by one note, a summary the model writes or, offline or when the
 * summary call fails, a note saying how many messages were dropped.
 */
import { z } from 'zod';
import { describeUnknownError, NerdloopError } from '../../core/index.js';
// Deep import: the llm module's index does not export its abort helpers.
import { raceAbort } from '../../llm/abort.js';
import { type ChatMessage, type ChatModel, OFFLINE_MODEL_ID, type Usage } from '../../llm/index.js';
// Deep import: the constant lives beside the schema that defaults to it, and
// the config module's index is not this module's to extend.
import { DEFAULT_HISTORY_BUDGET } from '../../prompt/config/schema.js';
import { tokenCounter } from '../../prompt/index.js';
import { InvalidExecutorOptionsError } from './errors.js';

export { DEFAULT_HISTORY_BUDGET };

/**
 * The reason the Executor's compression signal aborts with when compressing
 * outlasts the run's `timeoutMs`: the summary call is abandoned and the
 * history truncated, so `process` cannot hang on it.
 */
export class HistoryCompressionTimeoutError extends NerdloopError {
  readonly code = 'executor_history_compression_timeout';
}

export type HistoryCompressionContext = {
  /** Tokens the returned history may take (counted like `countHistoryTokens`). */
  readonly budgetTokens: number;
  /** The run's model, for the summary call. */
  readonly model: ChatModel;
  /**
   * Aborts when the run's signal does, or (from the Executor) once compressing
   * has taken the run's `timeoutMs`. A compressor should settle soon after:
   * the default one abandons its summary call and truncates.
   */
  readonly signal?: AbortSignal;
  /** Told the token usage of any model call the compressor makes (the Executor emits `llm.usage`). */
  readonly onUsage?: (usage: Usage) => void;
};

/**
 * The seam for history compression: called with the whole carried history
 * after each run, it returns what the next run starts from. It should not
 * throw: the run's result is returned only once it has settled.
 */
export type HistoryCompressor = (
  history: readonly ChatMessage[],
  context: HistoryCompressionContext,
) => Promise<readonly ChatMessage[]> | readonly ChatMessage[];

/** Keeps every message, whatever the budget. */
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

// ---------------------------------------------------------------------------
// Counting

/** Counts the tokens of a text. */
export type CountTokens = (text: string) => number;

/**
 * Framing tokens per message and per tool call (role, separators, ids), on top
 * of their text: the chat format's overhead, which a history of many short
 * messages would otherwise hide from the budget.
 */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** The prompt compiler's counter (o200k_base, the encoding of the default model). */
const defaultCount: CountTokens = (text) => tokenCounter('o200k_base').count(text);

export function countMessageTokens(
  message: ChatMessage,
  countTokens: CountTokens = defaultCount,
): number {
  const calls = message.role === 'assistant' ? (message.toolCalls ?? []) : [];
  return calls.reduce(
    (sum, call) =>
      sum + MESSAGE_OVERHEAD_TOKENS + countTokens(call.name) + countTokens(call.rawArguments),
    MESSAGE_OVERHEAD_TOKENS + countTokens(message.content ?? ''),
  );
}

/** The tokens a history takes against its budget. */
export function countHistoryTokens(
  history: readonly ChatMessage[],
  countTokens: CountTokens = defaultCount,
): number {
  return history.reduce((sum, message) => sum + countMessageTokens(message, countTokens), 0);
}

// ---------------------------------------------------------------------------
// Options

export const historyCompressorOptionsSchema = z.strictObject({
  /**
   * Whether the model summarises the dropped part; default: yes, unless the
   * run's model is the offline model (its `id` is `offline`), which cannot.
   */
  summarize: z.boolean().optional(),
  /** At most this many recent turns (a user message and what followed) are kept verbatim. */
  keepRecentTurns: z.number().int().positive().optional(),
  /** Longest summary asked for, in tokens; a quarter of the budget at most. */
  summaryTokens: z.number().int().positive().default(1024),
  /** The dropped part is shown to the summariser up to this many tokens, newest kept. */
  summaryInputTokens: z.number().int().positive().default(16_000),
  /** Token counter; default: the prompt compiler's (o200k_base). */
  countTokens: z
    .custom<CountTokens>((value) => typeof value === 'function', 'expected a function')
    .optional(),
});
export type HistoryCompressorOptions = z.input<typeof historyCompressorOptionsSchema>;
type Settings = z.output<typeof historyCompressorOptionsSchema>;

// ---------------------------------------------------------------------------
// The notes that replace the dropped part

export const SUMMARY_NOTE_PREFIX = 'Summary of earlier conversation: ';
/** Appended to a content cut to fit the budget. */
export const CUT_MARKER = ' … [cut to fit the history budget]';

const droppedNote = (count: number, why?: string): string =>
  `${count} earlier message${count === 1 ? ' was' : 's were'} dropped to fit the history budget${
    why ? ` (${why})` : ''
  }.`;

/** Below this many tokens a summary says too little to be worth a model call. */
const MIN_SUMMARY_TOKENS = 32;
/** Characters of one message shown to the summariser: tool outputs are the bulk, and repetitive. */
const SUMMARY_CHARS_PER_MESSAGE = 2_000;

const SUMMARY_INSTRUCTION = (words: number) =>
  [
    "You compress a coding agent's conversation so it can continue within its context budget.",
    `Summarise the conversation you are given in at most ${words} words: the user's tasks and`,
    'requests, what the agent did and found (files read or changed, commands run and their',
    'results), decisions made, and anything left open. Keep file paths, names and numbers exact.',
    'Write only the summary, with no preamble.',
  ].join(' ');

// ---------------------------------------------------------------------------
// The compressor

/**
 * The Executor's default compressor. Under budget the history is returned as
 * is. Over it: the most recent whole turns that fit are kept (a turn is a
 * user message and everything after it up to the next user message, so an
 * assistant's tool calls always stay with their answers and the kept part
 * starts at a user message), and the older part becomes one user-role note
 * in front of them: `Summary of earlier conversation: …` written by the model
 * (a `complete` call without tools), or, offline, with `summarize: false` or
 * when that call fails, `N earlier messages were dropped to fit the history
 * budget` (with the failure's reason). When even the latest turn does not
 * fit, its user message is kept (cut with `CUT_MARKER` if it must be) with
 * the latest of its steps (an assistant message and its tool answers) that
 * fit. The result fits the budget for any budget of 64 tokens or more, and
 * nothing here throws for a history's length.
 */
export function createHistoryCompressor(options: HistoryCompressorOptions = {}): HistoryCompressor {
  const parsed = historyCompressorOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new InvalidExecutorOptionsError(
      `invalid history compressor options: ${z.prettifyError(parsed.error)}`,
      { details: { issues: parsed.error.issues } },
    );
  const settings = parsed.data;
  return (history, context) => compressHistory(history, context, settings);
}

async function compressHistory(
  history: readonly ChatMessage[],
  context: HistoryCompressionContext,
  settings: Settings,
): Promise<readonly ChatMessage[]> {
  const count = settings.countTokens ?? defaultCount;
  const size = (message: ChatMessage) => countMessageTokens(message, count);
  const sizes = history.map(size);
  const budget = Math.max(0, Math.floor(context.budgetTokens));
  if (sum(sizes) <= budget) return history;

  const summarize = settings.summarize ?? context.model.id !== OFFLINE_MODEL_ID;
  const noteSize = (content: string) => size({ role: 'user', content });
  // Room held back for the note, so the kept turns are chosen knowing it will
  // come: a summary's (at most a quarter of the budget), and at least the
  // dropped-messages note's, which any fallback ends with.
  const summaryReserve = summarize
    ? Math.min(settings.summaryTokens + noteSize(SUMMARY_NOTE_PREFIX), Math.floor(budget / 4))
    : 0;
  const reserve = Math.min(
    Math.max(summaryReserve, noteSize(droppedNote(history.length))),
    Math.floor(budget / 2),
  );
  const { kept, dropped } = splitHistory(history, sizes, budget - reserve, settings, count);
  if (dropped.length === 0) return kept;

  const room = budget - countHistoryTokens(kept, count) - MESSAGE_OVERHEAD_TOKENS;
  const plain = droppedNote(dropped.length);
  let notes: string[] = [plain];
  if (summarize) {
    const summaryTokens = summaryReserve - noteSize(SUMMARY_NOTE_PREFIX);
    const outcome =
      summaryTokens < MIN_SUMMARY_TOKENS
        ? { failed: 'the budget leaves no room for a summary' }
        : await summarise(dropped, summaryTokens, context, settings, count);
    notes =
      'summary' in outcome
        ? [`${SUMMARY_NOTE_PREFIX}${outcome.summary}`]
        : [droppedNote(dropped.length, outcome.failed), plain];
  }
  // The first note that fits whole (the reason for a fallback is the first
  // thing to give up), else the last one, cut.
  const content =
    notes.find((note) => count(note) <= room) ?? cutToTokens(notes.at(-1) ?? plain, room, count);
  return [{ role: 'user', content }, ...kept];
}

/** Asks the model for a summary of `dropped`; never throws, a failure is a reason. */
async function summarise(
  dropped: readonly ChatMessage[],
  summaryTokens: number,
  context: HistoryCompressionContext,
  settings: Settings,
  count: CountTokens,
): Promise<{ readonly summary: string } | { readonly failed: string }> {
  try {
    // Raced as well as passed on: a model that ignores its signal cannot hold the compressor.
    const completion = await raceAbort(
      context.model.complete({
        messages: [
          { role: 'system', content: SUMMARY_INSTRUCTION(Math.floor(summaryTokens * 0.75)) },
          {
            role: 'user',
            content: `Conversation to summarise:\n\n${transcript(dropped, settings.summaryInputTokens, count)}`,
          },
        ],
        maxTokens: summaryTokens,
        ...(context.signal ? { signal: context.signal } : {}),
      }),
      context.signal,
    );
    context.onUsage?.(completion.usage);
    const summary = completion.text.trim();
    return summary === '' ? { failed: 'the model returned an empty summary' } : { summary };
  } catch (error) {
    return { failed: `summarising them failed: ${describeUnknownError(error)}` };
  }
}

type Split = { readonly kept: ChatMessage[]; readonly dropped: ChatMessage[] };

/** Chooses the kept part (fitting `room`) and the dropped part, both in order. */
function splitHistory(
  history: readonly ChatMessage[],
  sizes: readonly number[],
  room: number,
  settings: Settings,
  count: CountTokens,
): Split {
  const starts = history.flatMap((message, index) => (message.role === 'user' ? [index] : []));
  const last = starts.at(-1);
  if (last === undefined) return { kept: [], dropped: [...history] };

  // Whole turns, newest first, while they fit.
  const limit = settings.keepRecentTurns ?? Number.POSITIVE_INFINITY;
  let used = 0;
  let from: number | undefined;
  for (let turn = starts.length - 1; turn >= 0 && starts.length - turn <= limit; turn--) {
    const start = starts[turn] ?? 0;
    const end = starts[turn + 1] ?? history.length;
    const turnSize = sum(sizes.slice(start, end));
    if (used + turnSize > room) break;
    used += turnSize;
    from = start;
  }
  if (from !== undefined) return { kept: history.slice(from), dropped: history.slice(0, from) };

  // The latest turn alone is too long: its user message and its latest steps that fit.
  const steps = stepsOf(history, last);
  const user = history[last];
  // Always a user message (`starts` holds only those); checked for the type's sake.
  if (user?.role !== 'user') return { kept: [], dropped: [...history] };
  const userSize = sizes[last] ?? 0;
  if (userSize > room) {
    const content = cutToTokens(user.content, room - MESSAGE_OVERHEAD_TOKENS, count);
    return {
      kept: [{ role: 'user', content }],
      dropped: history.filter((_, index) => index !== last),
    };
  }
  used = userSize;
  let firstKeptStep = steps.length;
  for (let step = steps.length - 1; step >= 0; step--) {
    const [start, end] = steps[step] ?? [0, 0];
    const stepSize = sum(sizes.slice(start, end));
    if (used + stepSize > room) break;
    used += stepSize;
    firstKeptStep = step;
  }
  const keptFrom = steps[firstKeptStep]?.[0] ?? history.length;
  return {
    kept: [user, ...history.slice(keptFrom)],
    dropped: [...history.slice(0, last), ...history.slice(last + 1, keptFrom)],
  };
}

/**
 * The steps of the turn starting at `userIndex`, as [start, end) ranges: each
 * an assistant message with the tool answers that follow it. Anything between
 * the user message and the first assistant message belongs to no step, so it
 * is never kept without the call it would answer.
 */
function stepsOf(history: readonly ChatMessage[], userIndex: number): Array<[number, number]> {
  const steps: Array<[number, number]> = [];
  for (let index = userIndex + 1; index < history.length; index++) {
    const message = history[index];
    if (message?.role === 'assistant') steps.push([index, index + 1]);
    else {
      const current = steps.at(-1);
      if (current) current[1] = index + 1;
    }
  }
  return steps;
}

/** The dropped messages as text for the summariser, newest kept when it is too long. */
function transcript(
  messages: readonly ChatMessage[],
  maxTokens: number,
  count: CountTokens,
): string {
  const entries = messages.map(renderMessage);
  // An earlier summary carries everything before it: it stays, even when older detail must go.
  const pinned =
    messages[0]?.role === 'user' && messages[0].content.startsWith(SUMMARY_NOTE_PREFIX);
  const sizes = entries.map(count);
  let total = sum(sizes);
  let first = pinned ? 1 : 0;
  while (total > maxTokens && first < entries.length - 1) {
    total -= sizes[first] ?? 0;
    first++;
  }
  const omitted = first - (pinned ? 1 : 0);
  return [
    ...(pinned ? entries.slice(0, 1) : []),
    ...(omitted > 0 ? [`[${omitted} older messages omitted]`] : []),
    ...entries.slice(first),
  ].join('\n\n');
}

function renderMessage(message: ChatMessage): string {
  switch (message.role) {
    case 'system':
      return `[system] ${cutChars(message.content)}`;
    case 'user':
      return `[user] ${cutChars(message.content)}`;
    case 'assistant': {
      const calls = (message.toolCalls ?? []).map(
        (call) => `[assistant calls ${call.name} (${call.id})] ${cutChars(call.rawArguments)}`,
      );
      return [
        ...(message.content ? [`[assistant] ${cutChars(message.content)}`] : []),
        ...calls,
      ].join('\n');
    }
    case 'tool':
      return `[tool answer to ${message.toolCallId}] ${cutChars(message.content)}`;
  }
}

function cutChars(text: string): string {
  if (text.length <= SUMMARY_CHARS_PER_MESSAGE) return text;
  return `${text.slice(0, SUMMARY_CHARS_PER_MESSAGE)} … [${text.length - SUMMARY_CHARS_PER_MESSAGE} more characters]`;
}

/**
 * `text` when it takes at most `maxTokens`, else its longest beginning that,
 * with `CUT_MARKER`, does; '' when not even the marker fits.
 */
function cutToTokens(text: string, maxTokens: number, count: CountTokens): string {
  if (count(text) <= maxTokens) return text;
  const fits = (length: number) => count(text.slice(0, length) + CUT_MARKER) <= maxTokens;
  if (!fits(0)) return '';
  // Binary search for a long fitting prefix (tokens grow with length almost
  // monotonically); `low` only ever takes lengths that were checked to fit.
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  // Not between the halves of a surrogate pair: a lone half is not text.
  if (/[\uD800-\uDBFF]/.test(text.charAt(low - 1)) && fits(low - 1)) low--;
  return text.slice(0, low) + CUT_MARKER;
}

const sum = (values: readonly number[]): number =>
  values.reduce((total, value) => total + value, 0);
