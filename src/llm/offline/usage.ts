/**
 * Token counts without a tokenizer: one token per 4 characters, rounded up.
 * Budgets and reports get plausible, deterministic numbers; nothing is billed.
 */
import type { CompletionRequest, ToolCall, Usage } from '../port.js';

export const CHARS_PER_TOKEN = 4;

export function tokensFor(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Message contents, tool calls' names and raw arguments, offered tools' names and descriptions. */
export function promptChars(request: CompletionRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    chars += message.content?.length ?? 0;
    if (message.role === 'assistant') chars += callChars(message.toolCalls ?? []);
  }
  for (const tool of request.tools ?? []) chars += tool.name.length + tool.description.length;
  return chars;
}

export function callChars(calls: readonly ToolCall[]): number {
  return calls.reduce((sum, call) => sum + call.name.length + call.rawArguments.length, 0);
}

export function usageOf(
  request: CompletionRequest,
  text: string,
  calls: readonly ToolCall[],
): Usage {
  return {
    promptTokens: tokensFor(promptChars(request)),
    completionTokens: tokensFor(text.length + callChars(calls)),
  };
}
