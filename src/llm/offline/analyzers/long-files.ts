/** Files long enough that a reader loses their way in them. */
import type { Finding } from './findings.js';

export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split(/\r?\n/);
  // A final newline ends the last line; it does not start another.
  return lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
}

/** `lines` is the file's own count when `text` is only part of it (a read that was cut). */
export function findLongFile(
  path: string,
  text: string,
  maxLines: number,
  lines: number = lineCount(text),
): Finding[] {
  if (lines <= maxLines) return [];
  return [{ kind: 'long-file', path, line: null, detail: `${lines} lines` }];
}
