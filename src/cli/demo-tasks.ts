/**
 * The demo's offline task function: deterministic work on a real directory,
 * standing in for the LLM loop. Each persona walks the workspace with
 * `node:fs/promises` and checks its AbortSignal between files, so cancelling
 * an agent really stops its work.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { z } from 'zod';
import type { RunTaskInput } from '../../machines/contracts.js';
import { describeUnknownError, NerdloopError } from '../core/index.js';
import type { TaskFunction, TaskOutputInit } from '../session/index.js';

export const demoPersonas = ['reviewer', 'tester', 'researcher'] as const;
export type DemoPersona = (typeof demoPersonas)[number];

/** Folders no persona looks into: dependencies, VCS data, build output, nerdloop's own state. */
export const skippedDirectories: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  'dist',
  '.nerdloop',
]);
/** Larger files are listed but not read, so a stray blob cannot stall the demo. */
export const maxReadBytes = 1024 * 1024;
/** How many TODO/FIXME locations and test files a result lists by name. */
const maxListed = 20;

export class UnknownPersonaError extends NerdloopError {
  readonly code = 'unknown_persona';
}
export class TaskAbortedError extends NerdloopError {
  readonly code = 'task_aborted';
}
/** What a task with `data.failFirstAttempts` throws; the demo uses it to show a restart. */
export class DeliberateFailureError extends NerdloopError {
  readonly code = 'deliberate_failure';
}

/** Optional task data; anything else in `task.data` is ignored. */
export const demoTaskDataSchema = z
  .object({
    /** Throw on this many first attempts of the task (per agent), then do the work. */
    failFirstAttempts: z.number().int().nonnegative().default(0),
  })
  .catch({ failFirstAttempts: 0 });

export type WorkspaceFile = {
  /** Relative to the workspace, with `/` separators on every platform. */
  path: string;
  bytes: number;
  /** Null when the file was not read: too large, binary or unreadable. */
  text: string | null;
};

export type ReviewerResult = {
  persona: 'reviewer';
  summary: string;
  files: number;
  todoLines: number;
  fixmeLines: number;
  /** `path:line` of the first TODO/FIXME lines. */
  locations: string[];
  earlierTasks: number;
};

export type TesterResult = {
  persona: 'tester';
  summary: string;
  files: number;
  testFiles: number;
  /** The first test files by path. */
  examples: string[];
  earlierTasks: number;
};

export type ResearcherResult = {
  persona: 'researcher';
  summary: string;
  files: number;
  lines: number;
  /** Keyed by lower-case extension with its dot; `(none)` for files without one. */
  byExtension: Record<string, { files: number; lines: number }>;
  earlierTasks: number;
};

export type DemoResult = ReviewerResult | TesterResult | ResearcherResult;

/**
 * A TaskFunction running the persona named in the agent's input on `workspace`.
 * It keeps a count of attempts per agent and task, which is how a restarted
 * agent's retry can succeed where the first attempt failed.
 */
export function createDemoTasks(options: { workspace: string }): TaskFunction {
  const attempts = new Map<string, number>();
  return async (input, { signal }) => {
    checkSignal(signal);
    const key = `${input.agentId}\u0000${input.task.id}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const { failFirstAttempts } = demoTaskDataSchema.parse(input.task.data);
    if (attempt <= failFirstAttempts) {
      throw new DeliberateFailureError(
        `deliberate failure (attempt ${attempt} of ${failFirstAttempts} planned)`,
      );
    }
    return runPersona(input, options.workspace, signal);
  };
}

export async function runPersona(
  input: Pick<RunTaskInput, 'persona' | 'history'>,
  workspace: string,
  signal: AbortSignal,
): Promise<TaskOutputInit & { result: DemoResult }> {
  if (!isDemoPersona(input.persona)) {
    throw new UnknownPersonaError(
      `the demo has no persona "${input.persona}"; it knows ${demoPersonas.join(', ')}`,
    );
  }
  const earlierTasks = input.history.filter((entry) => entry.role === 'user').length;
  const files = await readWorkspace(workspace, signal, input.persona !== 'tester');
  const result =
    input.persona === 'reviewer'
      ? review(files, earlierTasks)
      : input.persona === 'tester'
        ? findTests(files, earlierTasks)
        : countLines(files, earlierTasks);
  return { result, turns: 1, tokens: 0 };
}

export function isDemoPersona(persona: string): persona is DemoPersona {
  return (demoPersonas as readonly string[]).includes(persona);
}

/**
 * Every regular file under `root` in path order, skipping `skippedDirectories`
 * and symbolic links (which could loop or leave the workspace).
 */
export async function readWorkspace(
  root: string,
  signal: AbortSignal,
  withText = true,
): Promise<WorkspaceFile[]> {
  const files: WorkspaceFile[] = [];
  const visit = async (dir: string): Promise<void> => {
    checkSignal(signal);
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      checkSignal(signal);
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skippedDirectories.has(entry.name)) await visit(path);
      } else if (entry.isFile()) {
        files.push(await readOne(root, path, withText));
      }
    }
  };
  await visit(root);
  checkSignal(signal);
  return files;
}

async function readOne(root: string, path: string, withText: boolean): Promise<WorkspaceFile> {
  const name = relative(root, path).split(sep).join('/');
  let bytes = 0;
  try {
    bytes = (await stat(path)).size;
    if (!withText || bytes > maxReadBytes) return { path: name, bytes, text: null };
    const text = await readFile(path, 'utf8');
    return { path: name, bytes, text: text.includes('\u0000') ? null : text };
  } catch {
    // A file that vanished or is unreadable since the listing is still counted, unread.
    return { path: name, bytes, text: null };
  }
}

function review(files: WorkspaceFile[], earlierTasks: number): ReviewerResult {
  let todoLines = 0;
  let fixmeLines = 0;
  const locations: string[] = [];
  for (const file of files) {
    if (file.text === null) continue;
    splitLines(file.text).forEach((line, index) => {
      const todo = /\bTODO\b/.test(line);
      const fixme = /\bFIXME\b/.test(line);
      if (todo) todoLines += 1;
      if (fixme) fixmeLines += 1;
      if ((todo || fixme) && locations.length < maxListed)
        locations.push(`${file.path}:${index + 1}`);
    });
  }
  return {
    persona: 'reviewer',
    summary: withHistory(
      `reviewed ${plural(files.length, 'file')}: ${todoLines} TODO and ${fixmeLines} FIXME ${fixmeLines + todoLines === 1 ? 'line' : 'lines'}`,
      earlierTasks,
    ),
    files: files.length,
    todoLines,
    fixmeLines,
    locations,
    earlierTasks,
  };
}

const testFilePatterns = [/\.test\.[^/]+$/, /_test\.[^/]+$/, /(^|\/)test_[^/]*\.py$/];

export const isTestFile = (path: string): boolean =>
  testFilePatterns.some((pattern) => pattern.test(path));

function findTests(files: WorkspaceFile[], earlierTasks: number): TesterResult {
  const tests = files.filter((file) => isTestFile(file.path)).map((file) => file.path);
  return {
    persona: 'tester',
    summary: withHistory(
      `found ${plural(tests.length, 'test file')} among ${plural(files.length, 'file')}`,
      earlierTasks,
    ),
    files: files.length,
    testFiles: tests.length,
    examples: tests.slice(0, maxListed),
    earlierTasks,
  };
}

function countLines(files: WorkspaceFile[], earlierTasks: number): ResearcherResult {
  const byExtension: Record<string, { files: number; lines: number }> = {};
  let lines = 0;
  for (const file of files) {
    const extension = extname(file.path).toLowerCase() || '(none)';
    const count = file.text === null ? 0 : splitLines(file.text).length;
    const entry = byExtension[extension] ?? { files: 0, lines: 0 };
    byExtension[extension] = { files: entry.files + 1, lines: entry.lines + count };
    lines += count;
  }
  const top = Object.entries(byExtension)
    .sort(([a, x], [b, y]) => y.lines - x.lines || (a < b ? -1 : 1))
    .slice(0, 3)
    .map(([extension, entry]) => `${extension} ${entry.lines}`)
    .join(', ');
  return {
    persona: 'researcher',
    summary: withHistory(
      `counted ${plural(lines, 'line')} in ${plural(files.length, 'file')}${top ? ` (${top})` : ''}`,
      earlierTasks,
    ),
    files: files.length,
    lines,
    byExtension,
    earlierTasks,
  };
}

/** Lines as an editor numbers them: a final newline does not start another line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new TaskAbortedError(`task aborted: ${describeUnknownError(signal.reason)}`, {
      cause: signal.reason,
    });
  }
}

const withHistory = (summary: string, earlierTasks: number): string =>
  earlierTasks > 0 ? `${summary}; ${plural(earlierTasks, 'earlier task')} in history` : summary;

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
