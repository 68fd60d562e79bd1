/**
 * search: a regex over the files list_files would list (same .gitignore,
 * hidden and symlink rules), one match per matching line with its context.
 * Files the workspace refuses (secrets), binary files, files over
 * SEARCH_MAX_FILE_BYTES and unreadable ones are skipped and counted. An abort
 * returns the matches found so far, marked truncated.
 */
import { lstat, readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { StoreTool, ToolContext } from '../tool.js';
import {
  StoreNotFoundError,
  StoreNotRegularFileError,
  StoreSearchInvalidPatternError,
} from './errors.js';
import { hasNulByte, statIfExists } from './files.js';
import { globMatcher } from './glob.js';
import { pathArgument, type WalkTruncation, walkTruncationSchema } from './schemas.js';
import { type LineMatch, scanLines, splitLines } from './search-lines.js';
import { comparePaths, SCAN_LIMIT, walk } from './walk.js';

export const SEARCH_DEFAULT_MAX_MATCHES = 200;
export const SEARCH_HARD_MAX_MATCHES = 2000;
export const SEARCH_MAX_CONTEXT_LINES = 10;
/** Larger files are skipped: they are logs or data, and would be held in memory whole. */
export const SEARCH_MAX_FILE_BYTES = 8 * 1024 * 1024;

const parameters = z.object({
  pattern: z.string().min(1).describe('A JavaScript regular expression, without slashes or flags.'),
  path: pathArgument('The directory or file to search (default ".")').optional(),
  glob: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Only files matching this glob, relative to path. Without a "/" it matches the file name at any depth: "*.ts".',
    ),
  caseSensitive: z.boolean().optional().describe('Default true.'),
  contextLines: z
    .number()
    .int()
    .min(0)
    .max(SEARCH_MAX_CONTEXT_LINES)
    .optional()
    .describe('Lines shown before and after each match. Default 2.'),
  maxMatches: z
    .number()
    .int()
    .min(1)
    .max(SEARCH_HARD_MAX_MATCHES)
    .optional()
    .describe(`Most matches to return. Default ${SEARCH_DEFAULT_MAX_MATCHES}.`),
  maxFiles: z.number().int().min(1).optional().describe('Most files to search. Default: no limit.'),
});
export type SearchArgs = z.infer<typeof parameters>;

const matchSchema = z.object({
  path: z.string(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  text: z.string(),
  before: z.array(z.string()),
  after: z.array(z.string()),
  clipped: z.boolean(),
});

const result = z.object({
  matches: z.array(matchSchema),
  filesSearched: z.number().int().nonnegative(),
  /** Binary, too large, unreadable, or refused by the workspace. */
  filesSkipped: z.number().int().nonnegative(),
  /** Lines longer than MAX_EXAMINED_CHARS: only their start was searched. */
  linesCut: z.number().int().nonnegative(),
  truncated: walkTruncationSchema,
});
export type SearchResult = z.infer<typeof result>;

function compile(pattern: string, caseSensitive: boolean): RegExp {
  try {
    return new RegExp(pattern, caseSensitive ? '' : 'i');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreSearchInvalidPatternError(`search: invalid regular expression: ${reason}`, {
      cause: error,
      details: { pattern, reason },
    });
  }
}

type Run = {
  readonly matches: LineMatch[];
  filesSearched: number;
  filesSkipped: number;
  linesCut: number;
  stopped: WalkTruncation['reason'];
};

/** The file's text, or undefined when it is to be skipped. */
async function readSearchable(context: ToolContext, relative: string): Promise<string | undefined> {
  try {
    // Re-resolved so that the workspace's secret-file rule holds for every file, not only the start.
    const path = await context.workspace.resolve(relative);
    const stats = await lstat(path.absolute);
    if (!stats.isFile() || stats.size > SEARCH_MAX_FILE_BYTES) return undefined;
    const bytes = await readFile(path.absolute);
    return hasNulByte(bytes) ? undefined : bytes.toString('utf8');
  } catch {
    return undefined;
  }
}

export const searchTool: StoreTool<SearchArgs, SearchResult> = {
  name: 'search',
  description:
    'Search file contents for a JavaScript regular expression (one result per matching line, with context). Skips what list_files skips (.gitignore, .git, node_modules, hidden names) and binary files. Lines over 10000 characters are searched only in their first 10000.',
  parameters,
  result,
  action: (args) => ({ action: 'search', target: args.path ?? '.', payload: args.pattern }),
  async run(args, context) {
    const regex = compile(args.pattern, args.caseSensitive ?? true);
    const contextLines = Math.min(args.contextLines ?? 2, SEARCH_MAX_CONTEXT_LINES);
    const maxMatches = Math.min(
      args.maxMatches ?? SEARCH_DEFAULT_MAX_MATCHES,
      SEARCH_HARD_MAX_MATCHES,
    );
    const maxFiles = args.maxFiles ?? Number.POSITIVE_INFINITY;
    const matchesGlob = args.glob === undefined ? () => true : globMatcher(args.glob);
    const path = await context.workspace.resolve(args.path ?? '.');
    const run: Run = {
      matches: [],
      filesSearched: 0,
      filesSkipped: 0,
      linesCut: 0,
      stopped: undefined,
    };

    /** Searches one file; false once the search must stop. */
    const searchFile = async (relative: string): Promise<boolean> => {
      if (context.signal.aborted) {
        run.stopped = 'aborted';
        return false;
      }
      if (run.filesSearched >= maxFiles) {
        run.stopped = 'max_files';
        return false;
      }
      const text = await readSearchable(context, relative);
      if (text === undefined) {
        run.filesSkipped += 1;
        return true;
      }
      run.filesSearched += 1;
      const scan = scanLines(relative, splitLines(text), {
        regex,
        contextLines,
        signal: context.signal,
        accept: (match) => {
          if (run.matches.length >= maxMatches) return false;
          run.matches.push(match);
          return true;
        },
      });
      run.linesCut += scan.linesCut;
      run.stopped = scan.stopped;
      return scan.stopped === undefined;
    };

    if (context.signal.aborted) {
      run.stopped = 'aborted';
    } else {
      const stats = await statIfExists(path, 'searching');
      const details = { details: { path: path.relative } };
      if (stats === undefined) {
        throw new StoreNotFoundError(`search ${path.relative}: no such file or directory`, details);
      }
      if (stats.isFile()) {
        await searchFile(path.relative);
      } else if (stats.isDirectory()) {
        const end = await walk(
          path,
          {
            workspaceRoot: context.workspace.root,
            includeHidden: false,
            recursive: true,
            signal: context.signal,
            scanLimit: SCAN_LIMIT,
          },
          (entry) =>
            entry.type !== 'file' || !matchesGlob(entry.fromStart) || searchFile(entry.relative),
        );
        // 'stopped' means searchFile said why, in run.stopped.
        if (end === 'aborted' || end === 'scan_limit') run.stopped = end;
      } else {
        throw new StoreNotRegularFileError(
          `search ${path.relative}: not a file or directory`,
          details,
        );
      }
    }

    const matches = [...run.matches].sort(
      (a, b) => comparePaths(a.path, b.path) || a.line - b.line,
    );
    return {
      matches,
      filesSearched: run.filesSearched,
      filesSkipped: run.filesSkipped,
      linesCut: run.linesCut,
      truncated:
        run.stopped === undefined ? { truncated: false } : { truncated: true, reason: run.stopped },
    };
  },
};
