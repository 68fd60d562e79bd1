/**
 * Streamed chunks → port StreamDeltas, and the pieces of each tool call →
 * whole calls once the stream ends.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { LlmBadResponse, LlmUnavailable } from '../errors.js';
import { type Completion, parseToolCall, type StreamDelta, type Usage } from '../port.js';
import { toFinishReason, toUsage } from './response.js';

type PartialCall = { id: string | undefined; name: string | undefined; arguments: string };

export class StreamAssembler {
  #text = '';
  readonly #calls = new Map<number, PartialCall>();
  #finishReason: string | null = null;
  #usage: Usage | null = null;
  #model: string;

  constructor(requestedModel: string) {
    this.#model = requestedModel;
  }

  /** The deltas one chunk carries. */
  push(chunk: ChatCompletionChunk): StreamDelta[] {
    const deltas: StreamDelta[] = [];
    if (typeof chunk.model === 'string' && chunk.model !== '') this.#model = chunk.model;
    if (chunk.usage) this.#usage = toUsage(chunk.usage);
    // We never ask for more than one choice.
    const choice = chunk.choices?.[0];
    if (!choice) return deltas;
    const { content, tool_calls: calls } = choice.delta ?? {};
    if (typeof content === 'string' && content !== '') {
      this.#text += content;
      deltas.push({ type: 'text', text: content });
    }
    for (const piece of calls ?? []) {
      const call = this.#calls.get(piece.index) ?? {
        id: undefined,
        name: undefined,
        arguments: '',
      };
      this.#calls.set(piece.index, call);
      const argumentsDelta = piece.function?.arguments ?? '';
      call.id ??= piece.id;
      call.name ??= piece.function?.name;
      call.arguments += argumentsDelta;
      deltas.push({
        type: 'tool_call_delta',
        index: piece.index,
        ...(piece.id === undefined ? {} : { id: piece.id }),
        ...(piece.function?.name === undefined ? {} : { name: piece.function.name }),
        argumentsDelta,
      });
    }
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    return deltas;
  }

  /** The closing deltas: each whole tool call, the usage, and `done`. */
  finish(): StreamDelta[] {
    // Without a finish reason the connection closed early; the answer may be cut anywhere.
    if (this.#finishReason === null) {
      throw new LlmUnavailable('the stream ended before the model finished its answer', {
        details: { receivedChars: this.#text.length },
      });
    }
    const toolCalls = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => {
        if (call.id === undefined || call.name === undefined) {
          throw new LlmBadResponse(`streamed tool call ${index} has no id or name`);
        }
        return parseToolCall(call.id, call.name, call.arguments);
      });
    const usage = this.#usage ?? { promptTokens: 0, completionTokens: 0 };
    const completion: Completion = {
      text: this.#text,
      toolCalls,
      finishReason: toFinishReason(this.#finishReason),
      usage,
      model: this.#model,
    };
    return [
      ...toolCalls.map((call) => ({ type: 'tool_call' as const, call })),
      { type: 'usage', usage },
      { type: 'done', completion },
    ];
  }
}
