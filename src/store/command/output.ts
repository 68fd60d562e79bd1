/**
 * Bounded capture of one output stream. A command may print far more than a
 * model can read (or than memory should hold), so only the head and a short
 * tail are kept: the head shows what the command started doing, the tail
 * holds what usually matters most (the error, the summary line). Bytes in
 * between are counted and replaced by one visible marker, never dropped
 * silently.
 */
import type { Truncation } from '../tool.js';

/** The tail's share of the cap: a quarter, but never more than 64 KiB. */
const MAX_TAIL_BYTES = 64 * 1024;

export type CapturedOutput = {
  readonly text: string;
  readonly truncation: Truncation;
};

export function omittedMarker(omitted: number): string {
  return `\n… ${omitted} bytes omitted …\n`;
}

export class OutputCapture {
  readonly #headLimit: number;
  readonly #tailLimit: number;
  #head: Buffer[] = [];
  #headBytes = 0;
  /** The newest bytes past the head; trimmed from the front as more arrive. */
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #total = 0;

  constructor(maxBytes: number) {
    const limit = Math.max(0, Math.floor(maxBytes));
    this.#tailLimit = Math.min(MAX_TAIL_BYTES, Math.floor(limit / 4));
    this.#headLimit = limit - this.#tailLimit;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    let rest = chunk;
    if (this.#headBytes < this.#headLimit) {
      const take = Math.min(this.#headLimit - this.#headBytes, rest.length);
      // Copies, so a kept slice never pins a larger buffer the stream allocated.
      this.#head.push(Buffer.from(rest.subarray(0, take)));
      this.#headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.#tailLimit === 0) return;
    if (rest.length >= this.#tailLimit) {
      this.#tail = [Buffer.from(rest.subarray(rest.length - this.#tailLimit))];
      this.#tailBytes = this.#tailLimit;
      return;
    }
    this.#tail.push(Buffer.from(rest));
    this.#tailBytes += rest.length;
    this.#trimTail();
  }

  /** Bytes seen so far, kept or not. */
  get totalBytes(): number {
    return this.#total;
  }

  finish(): CapturedOutput {
    const head = Buffer.concat(this.#head, this.#headBytes);
    const tail = Buffer.concat(this.#tail, this.#tailBytes);
    const gap = this.#total - head.length - tail.length;
    if (gap === 0) {
      return {
        text: Buffer.concat([head, tail]).toString('utf8'),
        truncation: { truncated: false },
      };
    }
    // Cut points may fall inside a multi-byte character: the partial bytes
    // join the omitted ones rather than decode to replacement characters.
    const headEnd = completeUtf8Prefix(head);
    const tailStart = utf8ContinuationPrefix(tail);
    const omitted = gap + (head.length - headEnd) + tailStart;
    return {
      text:
        head.subarray(0, headEnd).toString('utf8') +
        omittedMarker(omitted) +
        tail.subarray(tailStart).toString('utf8'),
      truncation: { truncated: true, omitted },
    };
  }

  #trimTail(): void {
    // Drops whole chunks while the rest still covers the limit; the final
    // exact cut happens once, in `finish`, via `Buffer.concat`'s length.
    let first = this.#tail[0];
    while (first !== undefined && this.#tailBytes - first.length >= this.#tailLimit) {
      this.#tail.shift();
      this.#tailBytes -= first.length;
      first = this.#tail[0];
    }
    if (first !== undefined && this.#tailBytes > this.#tailLimit) {
      const excess = this.#tailBytes - this.#tailLimit;
      this.#tail[0] = first.subarray(excess);
      this.#tailBytes -= excess;
    }
  }
}

/** Length of `bytes` without a trailing, incomplete UTF-8 sequence. */
export function completeUtf8Prefix(bytes: Buffer): number {
  const end = bytes.length;
  // A sequence is at most 4 bytes, so its lead byte is within the last 4.
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const byte = bytes[i] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + length > end ? i : end;
  }
  return end;
}

/** Count of leading continuation bytes (at most 3): the rest of a character cut off in front. */
export function utf8ContinuationPrefix(bytes: Buffer): number {
  let i = 0;
  while (i < 3 && i < bytes.length && ((bytes[i] ?? 0) & 0xc0) === 0x80) i++;
  return i;
}
