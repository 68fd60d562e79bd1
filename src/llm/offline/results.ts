/**
 * Reading tool results by the conventions the tools promise. Lines that do
 * not follow them are dropped and counted, never thrown on: a tool's text is
 * outside data.
 */
import { normalizePath } from './paths.js';

export type Parsed<T> = { readonly items: readonly T[]; readonly dropped: number };

const MAX_PATH_CHARS = 4096;
// Control characters other than tab cannot be part of a path a tool printed.
function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** `list_files`: one path a line; directories (a trailing `/`) are skipped. */
export function parseListing(text: string): Parsed<string> {
  const paths = new Set<string>();
  let dropped = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.endsWith('/')) continue;
    if (line.length > MAX_PATH_CHARS || hasControl(line)) {
      dropped += 1;
      continue;
    }
    const path = normalizePath(line);
    if (path !== '') paths.add(path);
  }
  return { items: [...paths].sort(compareText), dropped };
}

export type SearchHit = { readonly path: string; readonly line: number; readonly text: string };

const HIT = /^(.+?):(\d+):\s?(.*)$/;

/** `search`: lines `path:line: text`. */
export function parseSearch(text: string): Parsed<SearchHit> {
  const hits: SearchHit[] = [];
  let dropped = 0;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const match = HIT.exec(raw);
    const [, path, line, rest] = match ?? [];
    if (path === undefined || line === undefined || hasControl(path)) {
      dropped += 1;
      continue;
    }
    hits.push({ path: normalizePath(path), line: Number(line), text: (rest ?? '').trim() });
  }
  return { items: hits, dropped };
}

export type CommandResult = {
  /** null when the result did not end with `exit code: N`. */
  readonly exitCode: number | null;
  /** The output without the exit-code line or trailing blank lines. */
  readonly lines: readonly string[];
};

const EXIT_LINE = /^\s*exit code:\s*(-?\d+)\s*$/i;

/** `run_command`: the command's output, then a line `exit code: N`. */
export function parseCommandResult(text: string): CommandResult {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  const last = lines[lines.length - 1] ?? '';
  const code = EXIT_LINE.exec(last)?.[1];
  if (code === undefined) return { exitCode: null, lines };
  const output = lines.slice(0, -1);
  while (output.length > 0 && (output[output.length - 1] ?? '').trim() === '') output.pop();
  return { exitCode: Number(code), lines: output };
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
