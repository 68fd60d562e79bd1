/**
 * A completion replayed as the StreamDeltas a live stream would have sent, in
 * the port's order: text pieces, then per tool call its argument pieces and the
 * parsed call, then `usage`, then `done`. Used by the scripted model and by
 * replay, so tests of streaming consumers see pieces, not one big chunk.
 */
import type { Completion, StreamDelta } from '../port.js';

const TEXT_PIECES = 3;
const ARGUMENT_PIECES = 2;

/** Splits `text` into at most `pieces` non-empty parts by code point, so no surrogate pair is cut. */
export function splitText(text: string, pieces: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const size = Math.ceil(chars.length / Math.max(1, pieces));
  const parts: string[] = [];
  for (let start = 0; start < chars.length; start += size) {
    parts.push(chars.slice(start, start + size).join(''));
  }
  return parts;
}

export function completionDeltas(completion: Completion): StreamDelta[] {
  const deltas: StreamDelta[] = splitText(completion.text, TEXT_PIECES).map((text) => ({
    type: 'text',
    text,
  }));
  completion.toolCalls.forEach((call, index) => {
    const [first = '', ...rest] = splitText(call.rawArguments, ARGUMENT_PIECES);
    deltas.push({
      type: 'tool_call_delta',
      index,
      id: call.id,
      name: call.name,
      argumentsDelta: first,
    });
    for (const piece of rest)
      deltas.push({ type: 'tool_call_delta', index, argumentsDelta: piece });
    deltas.push({ type: 'tool_call', call });
  });
  deltas.push({ type: 'usage', usage: completion.usage });
  deltas.push({ type: 'done', completion });
  return deltas;
}
