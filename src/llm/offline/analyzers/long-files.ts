/** Files long enough that a reader loses their way in them. */
import type { Finding } from './findings.js';

export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split(/\r?\n/);
  // A final newline ends the last line; it does not start another.
  return lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
}

export function findLongFile(path: string, text: string, maxLines: number): Finding[] {
  const lines = lineCount(text);
  if (lines <= maxLines) return [];
  return [{ kind: 'long-file', path, line: null, detail: `${lines} lines` }];
}
