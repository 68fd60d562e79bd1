/**
 * Reading tool results as the store's tools return them (`src/store/tools/*.ts`,
 * `src/store/command/tool.ts`): JSON objects, one shape per tool. A result is
 * outside data: fields of the wrong type are defaulted or dropped and counted,
 * never thrown on, and whatever was cut short (truncated listings, searches,
 * reads, command output) is noted, so the answer says what it did not see.
 *
 * Each reader returns undefined when the call was not made (so the planner
 * can ask for it), null when its result cannot be used (the reason is already
 * noted), or what the result holds. The field names come from the store's
 * result types: a renamed field fails the typecheck here.
 */
import type {
  ListFilesResult,
  ReadFileResult,
  RunCommandResult,
  SearchResult,
} from '../../store/index.js';
import { lineCount } from './analyzers/long-files.js';
import type { PlanContext } from './context.js';
import { normalizePath } from './paths.js';
import { describeCall, type PlannedCall } from './tools.js';
import { isObject } from './turn.js';

type Reader = Pick<PlanContext, 'result' | 'note'>;

/** A result's fields by the store's names, each of unknown type until checked. */
type Fields<Result> = { readonly [Key in keyof Result]?: unknown };

const MAX_PATH_CHARS = 4096;

// Control characters other than tab cannot be part of a path a tool returned.
function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** A workspace path from a result, or null when it is not one. */
function pathOf(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_PATH_CHARS || hasControl(value)) return null;
  const path = normalizePath(value);
  return path === '' ? null : path;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** Why a result is incomplete (`{ truncated: true, reason? }`), or null when it is whole. */
function truncationOf(value: unknown): string | null {
  if (!isObject(value) || value.truncated !== true) return null;
  return typeof value.reason === 'string' && value.reason !== '' ? value.reason : 'truncated';
}

export type Listing = {
  /** Files, in code-unit order. */
  readonly files: readonly string[];
  /** Directories, in code-unit order. Symlinks are in neither: they are not followed. */
  readonly dirs: readonly string[];
};

/** `list_files`: `{ entries: [{ path, type, size }], truncated }`. */
export function readListing(ctx: Reader, call: PlannedCall): Listing | null | undefined {
  const value: Fields<ListFilesResult> | null | undefined = ctx.result(call);
  if (value === undefined || value === null) return value;
  const shown = describeCall(call);
  if (!Array.isArray(value.entries)) {
    ctx.note(`${shown} returned no list of entries; treated as empty.`);
    return null;
  }
  const files = new Set<string>();
  const dirs = new Set<string>();
  let dropped = 0;
  for (const entry of value.entries as unknown[]) {
    const path = isObject(entry) ? pathOf(entry.path) : null;
    const type = isObject(entry) ? entry.type : undefined;
    if (path === null || (type !== 'file' && type !== 'dir' && type !== 'symlink')) {
      dropped += 1;
      continue;
    }
    if (type === 'file') files.add(path);
    if (type === 'dir') dirs.add(path);
  }
  if (dropped > 0) ctx.note(`${dropped} unreadable entries of ${shown} were skipped.`);
  const cut = truncationOf(value.truncated);
  if (cut !== null) ctx.note(`${shown} listed only part of the tree (${cut}).`);
  return { files: [...files].sort(compareText), dirs: [...dirs].sort(compareText) };
}

export type FileText = {
  readonly text: string;
  /** Lines in the whole file, which is more than `text` holds when the read was cut. */
  readonly totalLines: number;
};

/** `read_file`: `{ path, content, startLine, endLine, totalLines, truncated }`. */
export function readContent(ctx: Reader, call: PlannedCall): FileText | null | undefined {
  const value: Fields<ReadFileResult> | null | undefined = ctx.result(call);
  if (value === undefined || value === null) return value;
  const shown = describeCall(call);
  if (typeof value.content !== 'string') {
    ctx.note(`${shown} returned no file content; treated as empty.`);
    return null;
  }
  const text = value.content;
  const totalLines = isCount(value.totalLines) ? value.totalLines : lineCount(text);
  if (truncationOf(value.truncated) !== null) {
    const lines =
      isCount(value.startLine) && isCount(value.endLine)
        ? `lines ${value.startLine}-${value.endLine} of ${totalLines}`
        : 'part of the file';
    ctx.note(
      `${shown} returned only ${lines} (the file is larger than one read); the rest was not read.`,
    );
  }
  return { text, totalLines };
}

export type SearchHit = { readonly path: string; readonly line: number; readonly text: string };

/** `search`: `{ matches: [{ path, line, column, text, before, after, clipped }], …, truncated }`. */
export function readSearch(
  ctx: Reader,
  call: PlannedCall,
  searched: string,
): readonly SearchHit[] | null | undefined {
  const value: Fields<SearchResult> | null | undefined = ctx.result(call);
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value.matches)) {
    ctx.note(`The search for "${searched}" returned no list of matches; treated as empty.`);
    return null;
  }
  const hits: SearchHit[] = [];
  let dropped = 0;
  for (const match of value.matches as unknown[]) {
    const path = isObject(match) ? pathOf(match.path) : null;
    const line = isObject(match) ? match.line : undefined;
    const text = isObject(match) ? match.text : undefined;
    if (path === null || !isCount(line) || line === 0 || typeof text !== 'string') {
      dropped += 1;
      continue;
    }
    hits.push({ path, line, text: text.trim() });
  }
  if (dropped > 0) {
    ctx.note(`${dropped} matches of the search for "${searched}" were unreadable; skipped.`);
  }
  const cut = truncationOf(value.truncated);
  if (cut !== null) {
    ctx.note(
      `The search for "${searched}" stopped early (${cut}); only its first ${hits.length} matches were used.`,
    );
  }
  return hits;
}

export type CommandResult = {
  /** null when the program was ended by a signal, timed out, or never exited. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly abandoned: boolean;
};

/** `run_command`: `{ exitCode, signal, stdout, stderr, stdoutTruncated, stderrTruncated, timedOut, cancelled, abandoned, durationMs }`. */
export function readCommand(ctx: Reader, call: PlannedCall): CommandResult | null | undefined {
  const value: Fields<RunCommandResult> | null | undefined = ctx.result(call);
  if (value === undefined || value === null) return value;
  const shown = describeCall(call);
  const exitCode =
    typeof value.exitCode === 'number' && Number.isInteger(value.exitCode) ? value.exitCode : null;
  if (exitCode === null && value.exitCode !== null) {
    ctx.note(`${shown} returned no exit code.`);
  }
  for (const [stream, truncation] of [
    ['stdout', value.stdoutTruncated],
    ['stderr', value.stderrTruncated],
  ] as const) {
    if (truncationOf(truncation) === null) continue;
    const omitted = isObject(truncation) && isCount(truncation.omitted) ? truncation.omitted : null;
    ctx.note(
      `${shown}: ${omitted === null ? 'part' : `${omitted} bytes`} of its ${stream} was left out in the middle.`,
    );
  }
  return {
    exitCode,
    signal: typeof value.signal === 'string' && value.signal !== '' ? value.signal : null,
    stdout: typeof value.stdout === 'string' ? value.stdout : '',
    stderr: typeof value.stderr === 'string' ? value.stderr : '',
    timedOut: value.timedOut === true,
    cancelled: value.cancelled === true,
    abandoned: value.abandoned === true,
  };
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
