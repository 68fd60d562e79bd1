/**
 * A non-streamed chat completion → the port's Completion. The body is treated
 * as unknown: the SDK's type is a promise the server may not keep (a proxy can
 * answer 200 with HTML, which the SDK hands back as a string).
 */
import { LlmBadResponse } from '../errors.js';
import {
  type Completion,
  type FinishReason,
  parseToolCall,
  type ToolCall,
  type Usage,
} from '../port.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function toFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'stop':
    case 'tool_calls':
    case 'length':
    case 'content_filter':
      return reason;
    default:
      return 'other';
  }
}

/** Servers that do not count tokens leave usage out; zero keeps budgets arithmetic simple. */
export function toUsage(usage: unknown): Usage {
  const count = (value: unknown) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
  return isObject(usage)
    ? { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) }
    : { promptTokens: 0, completionTokens: 0 };
}

function toToolCall(call: unknown, position: number): ToolCall {
  const fn = isObject(call) ? call.function : undefined;
  if (!isObject(call) || call.type !== 'function' || !isObject(fn)) {
    throw new LlmBadResponse(`tool call ${position} is not a function call`, {
      details: { call },
    });
  }
  if (typeof call.id !== 'string' || typeof fn.name !== 'string') {
    throw new LlmBadResponse(`tool call ${position} has no id or name`, { details: { call } });
  }
  return parseToolCall(call.id, fn.name, typeof fn.arguments === 'string' ? fn.arguments : '');
}

export function toCompletion(body: unknown, requestedModel: string): Completion {
  if (!isObject(body)) {
    throw new LlmBadResponse('the server did not answer with a JSON object', {
      details: { body: String(body).slice(0, 200) },
    });
  }
  const choice = Array.isArray(body.choices) ? (body.choices[0] as unknown) : undefined;
  if (!isObject(choice) || !isObject(choice.message)) {
    throw new LlmBadResponse('the answer has no choices');
  }
  const { content, tool_calls: calls } = choice.message;
  return {
    text: typeof content === 'string' ? content : '',
    toolCalls: Array.isArray(calls) ? calls.map(toToolCall) : [],
    finishReason: toFinishReason(choice.finish_reason),
    usage: toUsage(body.usage),
    model: typeof body.model === 'string' ? body.model : requestedModel,
  };
}
