/** Short human descriptions of a request, for error messages that must say which call failed. */
import type { CompletionRequest } from '../port.js';

export const DEFAULT_DESCRIBE_CHARS = 80;

/** The request's last user message, truncated, in quotes; or a note that it has none. */
export function describeRequest(
  request: CompletionRequest,
  maxChars: number = DEFAULT_DESCRIBE_CHARS,
): string {
  const last = request.messages.findLast((message) => message.role === 'user');
  if (last === undefined) return `(no user message; ${request.messages.length} messages)`;
  const chars = Array.from(last.content.replace(/\s+/g, ' ').trim());
  const shown = chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : chars.join('');
  return JSON.stringify(shown);
}
