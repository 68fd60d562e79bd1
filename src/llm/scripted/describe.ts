/** Short human descriptions of a request, for error messages that must say which call failed. */
import type { CompletionRequest } from '../port.js';

export const DEFAULT_DESCRIBE_CHARS = 80;

/**
 * The request's last user message, truncated, in quotes; or a note that it has
 * none. In an agent loop every turn carries the same user message, so a
 * request past the first turn also says which turn it is and what it answers.
 */
export function describeRequest(
  request: CompletionRequest,
  maxChars: number = DEFAULT_DESCRIBE_CHARS,
): string {
  const at = request.messages.findLastIndex((message) => message.role === 'user');
  const last = request.messages[at];
  if (last === undefined || last.role !== 'user')
    return `(no user message; ${request.messages.length} messages)`;
  const chars = Array.from(last.content.replace(/\s+/g, ' ').trim());
  const shown = chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : chars.join('');
  return `${JSON.stringify(shown)}${describeTurn(request.messages.slice(at + 1))}`;
}

/** ` at turn 3, after 2 tool results (last: read_file)`, or nothing on a first turn. */
function describeTurn(since: CompletionRequest['messages']): string {
  const turns = since.filter((message) => message.role === 'assistant').length;
  if (turns === 0) return '';
  const toolNames = new Map(
    since.flatMap((message) =>
      message.role === 'assistant'
        ? (message.toolCalls ?? []).map((call) => [call.id, call.name] as const)
        : [],
    ),
  );
  const results = since.flatMap((message) => (message.role === 'tool' ? [message] : []));
  const lastTool = results.at(-1);
  const lastName = lastTool ? (toolNames.get(lastTool.toolCallId) ?? 'an unknown call') : null;
  return ` at turn ${turns + 1}, after ${results.length} tool result${results.length === 1 ? '' : 's'}${lastName ? ` (last: ${lastName})` : ''}`;
}
