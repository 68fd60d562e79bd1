/** What a script is made of, and how one reply becomes the Completion the port promises. */
import { describeUnknownError } from '../../core/index.js';
import { type LlmError, LlmScriptError } from '../errors.js';
import {
  type ChatMessage,
  type Completion,
  type CompletionRequest,
  type FinishReason,
  parseToolCall,
  type ToolCall,
  type Usage,
} from '../port.js';

/** Sends `raw` exactly as the tool call's arguments, so a test can script malformed JSON. */
export type RawArguments = { readonly raw: string };

export type ScriptToolCall = {
  readonly name: string;
  /**
   * Sent as its JSON (`{}` when absent), or, when it is exactly `{ raw: string }`,
   * as that text unchanged. A tool whose real arguments are `{ raw: "..." }`
   * must therefore be scripted as `{ raw: '{"raw":"..."}' }`.
   */
  readonly arguments?: unknown;
};

export type ScriptReply = {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptToolCall[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: FinishReason;
  /** Defaults to an estimate (about 4 characters a token) so budgets can be exercised. */
  readonly usage?: Usage;
  /** Defaults to the request's model, then the scripted model's. */
  readonly model?: string;
};

/** Answers from the request; the place to `expect(...)` on what the loop sent. */
export type ScriptFunctionStep = (request: CompletionRequest) => ScriptReply | Promise<ScriptReply>;

export type ScriptErrorStep = { readonly error: LlmError };

export type ScriptStep = ScriptReply | ScriptFunctionStep | ScriptErrorStep;

export type Script = readonly ScriptStep[];

const CHARS_PER_TOKEN = 4;

function estimateTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function messageChars(message: ChatMessage): number {
  const content = message.content ?? '';
  const calls =
    message.role === 'assistant'
      ? (message.toolCalls ?? []).reduce((sum, call) => sum + call.rawArguments.length, 0)
      : 0;
  return content.length + calls;
}

function estimateUsage(
  request: CompletionRequest,
  text: string,
  calls: readonly ToolCall[],
): Usage {
  const prompt = request.messages.reduce((sum, message) => sum + messageChars(message), 0);
  const completion = calls.reduce((sum, call) => sum + call.rawArguments.length, text.length);
  return { promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(completion) };
}

function isRawArguments(value: unknown): value is RawArguments {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'raw' && typeof Reflect.get(value, 'raw') === 'string';
}

function rawArgumentsOf(call: ScriptToolCall, stepNumber: number): string {
  if (isRawArguments(call.arguments)) return call.arguments.raw;
  if (call.arguments === undefined) return '{}';
  try {
    const json = JSON.stringify(call.arguments);
    // JSON.stringify answers undefined for functions and symbols instead of throwing.
    if (json === undefined) throw new TypeError(`${typeof call.arguments} has no JSON form`);
    return json;
  } catch (error) {
    throw new LlmScriptError(
      `script step ${stepNumber}: the arguments of tool call ${call.name} are not JSON: ${describeUnknownError(error)}`,
      { cause: error, details: { step: stepNumber, tool: call.name } },
    );
  }
}

export type ReplyContext = {
  readonly request: CompletionRequest;
  /** 1-based, for error messages. */
  readonly stepNumber: number;
  readonly defaultModel: string;
  /** Hands out `call_1`, `call_2`, ... across the whole script so ids never repeat. */
  readonly nextCallId: () => string;
};

export function replyToCompletion(reply: ScriptReply, context: ReplyContext): Completion {
  const text = reply.text ?? '';
  const toolCalls = (reply.toolCalls ?? []).map((call) =>
    parseToolCall(context.nextCallId(), call.name, rawArgumentsOf(call, context.stepNumber)),
  );
  return {
    text,
    toolCalls,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: reply.usage ?? estimateUsage(context.request, text, toolCalls),
    model: reply.model ?? context.request.model ?? context.defaultModel,
  };
}
