/**
 * The JSON the local server sends, shaped like OpenAI's own responses so the
 * real SDK parses it the way it parses the real API's.
 */
import type { ScriptedFinishReason, ScriptedReply } from './openai-script.js';

const FINGERPRINT = 'fp_nerdloop_test';

/** Deterministic ids and timestamps for one server. */
export class WireIds {
  #completions = 0;
  #calls = 0;

  constructor(private readonly now: () => number) {}

  completion(): string {
    return `chatcmpl-${++this.#completions}`;
  }

  call(): string {
    return `call_${++this.#calls}`;
  }

  /** OpenAI's `created` is in seconds. */
  created(): number {
    return Math.floor(this.now() / 1000);
  }
}

/** A reply with its ids, model and usage settled, ready to be written either way. */
export type SettledReply = {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly text: string | undefined;
  readonly toolCalls: ReadonlyArray<{ id: string; name: string; arguments: string }>;
  readonly finishReason: ScriptedFinishReason;
  readonly usage: { promptTokens: number; completionTokens: number };
  readonly chunkSize: number;
};

export function settleReply(
  reply: ScriptedReply,
  request: unknown,
  ids: WireIds,
  defaults: { model: string; chunkSize: number },
): SettledReply {
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.id ?? ids.call(),
    name: call.name,
    arguments: call.arguments,
  }));
  const requested = field(request, 'model');
  const outputChars =
    (reply.text?.length ?? 0) +
    toolCalls.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
  return {
    id: ids.completion(),
    created: ids.created(),
    model: reply.model ?? (typeof requested === 'string' ? requested : defaults.model),
    text: reply.text,
    toolCalls,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: reply.usage ?? {
      promptTokens: Math.ceil((JSON.stringify(field(request, 'messages') ?? []).length || 0) / 4),
      completionTokens: Math.ceil(outputChars / 4),
    },
    chunkSize: Math.max(1, reply.chunkSize ?? defaults.chunkSize),
  };
}

function wireUsage(usage: SettledReply['usage']) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The `chat.completion` object of a non-streamed answer. */
export function completionBody(reply: SettledReply): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: reply.text ?? (reply.toolCalls.length > 0 ? null : ''),
    refusal: null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: reply.id,
    object: 'chat.completion',
    created: reply.created,
    model: reply.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason }],
    usage: wireUsage(reply.usage),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
}

/** Splits by code point so a delta never ends inside a surrogate pair. */
function pieces(text: string, size: number): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''));
  return out;
}

/**
 * The `chat.completion.chunk` objects of a streamed answer, in OpenAI's order:
 * the role, content deltas, tool-call deltas (the first of a call carries its
 * index, id, type and name; later ones only the index and an arguments
 * fragment), the finish reason, and the usage chunk with no choices when the
 * request asked for it.
 */
export function completionChunks(
  reply: SettledReply,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const chunk = (
    delta: Record<string, unknown>,
    finishReason: string | null = null,
  ): Record<string, unknown> => ({
    id: reply.id,
    object: 'chat.completion.chunk',
    created: reply.created,
    model: reply.model,
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: Record<string, unknown>[] = [
    chunk({ role: 'assistant', content: reply.text === undefined ? null : '', refusal: null }),
  ];
  for (const text of pieces(reply.text ?? '', reply.chunkSize))
    chunks.push(chunk({ content: text }));
  reply.toolCalls.forEach((call, index) => {
    const [first = '', ...rest] = pieces(call.arguments, reply.chunkSize);
    chunks.push(
      chunk({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.name, arguments: first } },
        ],
      }),
    );
    for (const fragment of rest) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
    }
  });
  chunks.push(chunk({}, reply.finishReason));
  if (includeUsage) {
    chunks.push({
      id: reply.id,
      object: 'chat.completion.chunk',
      created: reply.created,
      model: reply.model,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
      choices: [],
      usage: wireUsage(reply.usage),
    });
  }
  return chunks;
}

export const sseEvent = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

/** OpenAI's error body. */
export function errorBody(
  message: string,
  type: string,
  code: string | null = null,
): { error: { message: string; type: string; param: null; code: string | null } } {
  return { error: { message, type, param: null, code } };
}

export function modelsBody(models: readonly string[], created: number): Record<string, unknown> {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created, owned_by: 'nerdloop-test' })),
  };
}

/** A property of an unknown JSON value, or `undefined`. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
