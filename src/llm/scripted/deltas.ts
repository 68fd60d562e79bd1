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

/** Splits `text` into parts of at most `chars` code points, so a long answer streams like a server's. */
export function splitEvery(text: string, chars: number): string[] {
  const points = Array.from(text);
  const parts: string[] = [];
  for (let start = 0; start < points.length; start += Math.max(1, chars)) {
    parts.push(points.slice(start, start + Math.max(1, chars)).join(''));
  }
  return parts;
}

/** How a completion's text and each call's arguments are cut into deltas. */
export type DeltaSplit = (text: string, part: 'text' | 'arguments') => string[];

/** A few pieces whatever the length: enough for a test to see a stream, not one chunk. */
const fewPieces: DeltaSplit = (text, part) =>
  splitText(text, part === 'text' ? TEXT_PIECES : ARGUMENT_PIECES);

export function completionDeltas(
  completion: Completion,
  split: DeltaSplit = fewPieces,
): StreamDelta[] {
  const deltas: StreamDelta[] = split(completion.text, 'text').map((text) => ({
    type: 'text',
    text,
  }));
  completion.toolCalls.forEach((call, index) => {
    const [first = '', ...rest] = split(call.rawArguments, 'arguments');
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
