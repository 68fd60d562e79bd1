/**
 * Reads lines `startLine..endLine` of an open file in fixed chunks, holding at
 * most `maxBytes` of content in memory however large the file is. It reads on
 * to the end only to count lines (a cheap `indexOf` per newline), so the model
 * learns `totalLines` and can page.
 *
 * Lines end at `\n` (a `\r` before it stays in the content); a last line
 * without a newline counts; an empty file has no lines.
 */
import type { ChunkReader } from '../../core/index.js';
import { BINARY_SNIFF_BYTES, hasNulByte } from './files.js';

const CHUNK_BYTES = 64 * 1024;
const MIN_CHUNK_BYTES = 4 * 1024;
const NEWLINE = 0x0a;

export type RangeRequest = {
  readonly startLine: number;
  /** Inclusive; undefined means to the end of the file. */
  readonly endLine: number | undefined;
  readonly maxBytes: number;
  /**
   * The file's size when it was opened, if known: reading stops there instead
   * of asking once more for the end, and the buffer fits a small file.
   */
  readonly size?: number;
};

export type RangeResult =
  | { readonly kind: 'binary' }
  | {
      readonly kind: 'text';
      readonly content: Buffer;
      /** Last line (partly) in `content`; `startLine - 1` when it is empty. */
      readonly endLine: number;
      readonly totalLines: number;
      /** Bytes of the requested lines that are not in `content`. */
      readonly omitted: number;
    };

/** The longest prefix of `bytes` (at most `limit`) that does not end inside a UTF-8 sequence. */
export function utf8Prefix(bytes: Buffer, limit: number): Buffer {
  let end = Math.min(limit, bytes.length);
  // Continuation bytes are 10xxxxxx: back off to the start of the sequence that was cut.
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end);
}

/** Content cut at `maxBytes`: at the last whole line if one fits, else mid-line on a character boundary. */
function cut(collected: Buffer, maxBytes: number): Buffer {
  const window = collected.subarray(0, maxBytes);
  const lastNewline = window.lastIndexOf(NEWLINE);
  if (lastNewline >= 0) return collected.subarray(0, lastNewline + 1);
  return utf8Prefix(collected, maxBytes);
}

function countLines(bytes: Buffer): number {
  let count = 0;
  let at = bytes.indexOf(NEWLINE);
  while (at !== -1) {
    count += 1;
    at = bytes.indexOf(NEWLINE, at + 1);
  }
  return count;
}

export async function readLineRange(
  readChunk: ChunkReader,
  request: RangeRequest,
  onChunk: () => void,
): Promise<RangeResult> {
  const size = request.size;
  const buffer = Buffer.allocUnsafe(
    size === undefined ? CHUNK_BYTES : Math.min(CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, size + 1)),
  );
  const last = request.endLine ?? Number.POSITIVE_INFINITY;
  // One byte over the cap tells a range that fits exactly from one that does not.
  const keep = request.maxBytes + 1;
  const pieces: Buffer[] = [];
  let kept = 0;
  let rangeBytes = 0;
  let line = 1;
  let position = 0;
  let lastByte = NEWLINE;
  for (;;) {
    onChunk();
    const bytesRead = await readChunk(buffer, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    if (
      position < BINARY_SNIFF_BYTES &&
      hasNulByte(chunk.subarray(0, BINARY_SNIFF_BYTES - position))
    ) {
      return { kind: 'binary' };
    }
    position += bytesRead;
    lastByte = chunk[bytesRead - 1] ?? NEWLINE;
    // A short read that reached the size the file had when opened is its end:
    // no need to ask once more.
    const atEnd = size !== undefined && bytesRead < buffer.length && position >= size;
    if (line > last) {
      line += countLines(chunk);
      if (atEnd) break;
      continue;
    }
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, from);
      const to = newline === -1 ? chunk.length : newline + 1;
      if (line >= request.startLine && line <= last) {
        rangeBytes += to - from;
        const take = Math.min(to - from, keep - kept);
        if (take > 0) {
          // Copied: `buffer` is reused for the next chunk.
          pieces.push(Buffer.from(chunk.subarray(from, from + take)));
          kept += take;
        }
      }
      if (newline !== -1) line += 1;
      from = to;
    }
    if (atEnd) break;
  }
  const totalLines = line - 1 + (position > 0 && lastByte !== NEWLINE ? 1 : 0);
  const collected = Buffer.concat(pieces);
  const content =
    collected.length > request.maxBytes ? cut(collected, request.maxBytes) : collected;
  const endLine =
    content.length === 0
      ? request.startLine - 1
      : request.startLine + countLines(content.subarray(0, content.length - 1));
  return { kind: 'text', content, endLine, totalLines, omitted: rangeBytes - content.length };
}
