/**
 * A finished completion as the deltas a streaming server would send: text in
 * pieces, each tool call as argument pieces then the whole call, usage, done.
 */
import type { Completion, StreamDelta } from '../port.js';

const CHUNK_CHARS = 64;

function chunks(text: string): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += CHUNK_CHARS) {
    pieces.push(text.slice(start, start + CHUNK_CHARS));
  }
  return pieces;
}

export function completionDeltas(completion: Completion): StreamDelta[] {
  const deltas: StreamDelta[] = chunks(completion.text).map((text) => ({ type: 'text', text }));
  completion.toolCalls.forEach((call, index) => {
    const pieces = chunks(call.rawArguments);
    // The first piece carries id and name, as OpenAI-style streams do.
    deltas.push({
      type: 'tool_call_delta',
      index,
      id: call.id,
      name: call.name,
      argumentsDelta: pieces[0] ?? '',
    });
    for (const piece of pieces.slice(1)) {
      deltas.push({ type: 'tool_call_delta', index, argumentsDelta: piece });
    }
    deltas.push({ type: 'tool_call', call });
  });
  deltas.push({ type: 'usage', usage: completion.usage }, { type: 'done', completion });
  return deltas;
}
