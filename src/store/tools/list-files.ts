/**
 * list_files: the tree under a directory, as the model would want it from
 * `git ls-files` plus directories: .gitignore respected, `.git` and
 * `node_modules` skipped, hidden names only on request, symlinks shown but
 * never followed. Sorted as a tree; a capped listing keeps the shallowest
 * entries. An abort returns what was listed so far, marked truncated.
 */
import { lstat } from 'node:fs/promises';
import { z } from 'zod';
import type { StoreTool } from '../tool.js';
import { StoreNotFoundError, StoreNotRegularFileError } from './errors.js';
import { statIfExists } from './files.js';
import { globMatcher } from './glob.js';
import {
  entryTypeSchema,
  pathArgument,
  type WalkTruncation,
  walkTruncationSchema,
} from './schemas.js';
import { comparePaths, SCAN_LIMIT, type WalkEnd, walk } from './walk.js';

export const LIST_DEFAULT_MAX_ENTRIES = 1000;
export const LIST_HARD_MAX_ENTRIES = 10_000;

const parameters = z.object({
  path: pathArgument('The directory to list (default ".")').optional(),
  glob: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Only entries matching this glob (*, **, ?, [ab], {a,b}), relative to path. Without a "/" it matches the file name at any depth: "*.ts".',
    ),
  includeHidden: z.boolean().optional().describe('Include names starting with ".". Default false.'),
  recursive: z.boolean().optional().describe('Descend into subdirectories. Default true.'),
  maxEntries: z
    .number()
    .int()
    .min(1)
    .max(LIST_HARD_MAX_ENTRIES)
    .optional()
    .describe(`Most entries to return. Default ${LIST_DEFAULT_MAX_ENTRIES}.`),
});
export type ListFilesArgs = z.infer<typeof parameters>;

const entrySchema = z.object({
  /** From the workspace root, `/`-separated. */
  path: z.string(),
  type: entryTypeSchema,
  /** Bytes for a file; 0 for a directory or a symlink. */
  size: z.number().int().nonnegative(),
});
export type ListEntry = z.infer<typeof entrySchema>;

const result = z.object({ entries: z.array(entrySchema), truncated: walkTruncationSchema });
export type ListFilesResult = z.infer<typeof result>;

async function fileSize(absolute: string): Promise<number | undefined> {
  try {
    return (await lstat(absolute)).size;
  } catch {
    // Deleted between the readdir and now: it is no longer there to list.
    return undefined;
  }
}

function truncation(end: WalkEnd, overflow: boolean): WalkTruncation {
  if (overflow) return { truncated: true, reason: 'max_entries' };
  if (end === 'aborted') return { truncated: true, reason: 'aborted' };
  if (end === 'scan_limit') return { truncated: true, reason: 'scan_limit' };
  return { truncated: false };
}

export const listFilesTool: StoreTool<ListFilesArgs, ListFilesResult> = {
  name: 'list_files',
  description:
    'List files and directories under a path (recursively by default), skipping what .gitignore excludes, .git, node_modules and hidden names. Paths are relative to the workspace root. Symlinks are listed, not followed.',
  parameters,
  result,
  action: (args) => ({ action: 'list_files', target: args.path ?? '.', payload: '' }),
  async run(args, context) {
    const path = await context.workspace.resolve(args.path ?? '.');
    const maxEntries = Math.min(args.maxEntries ?? LIST_DEFAULT_MAX_ENTRIES, LIST_HARD_MAX_ENTRIES);
    const matches = args.glob === undefined ? () => true : globMatcher(args.glob);
    if (context.signal.aborted) return { entries: [], truncated: truncation('aborted', false) };
    const stats = await statIfExists(path, 'listing');
    const details = { details: { path: path.relative } };
    if (stats === undefined) {
      throw new StoreNotFoundError(`list_files ${path.relative}: no such directory`, details);
    }
    if (stats.isFile()) {
      // A file lists as itself, so "list this path" never needs to know what the path is first.
      const name = path.relative.slice(path.relative.lastIndexOf('/') + 1);
      const entries = matches(name)
        ? [{ path: path.relative, type: 'file' as const, size: stats.size }]
        : [];
      return { entries, truncated: { truncated: false } };
    }
    if (!stats.isDirectory()) {
      throw new StoreNotRegularFileError(
        `list_files ${path.relative}: not a file or directory`,
        details,
      );
    }
    const entries: ListEntry[] = [];
    let overflow = false;
    const end = await walk(
      path,
      {
        workspaceRoot: context.workspace.root,
        includeHidden: args.includeHidden ?? false,
        recursive: args.recursive ?? true,
        signal: context.signal,
        scanLimit: SCAN_LIMIT,
      },
      async (entry) => {
        if (!matches(entry.fromStart)) return true;
        if (entries.length === maxEntries) {
          overflow = true;
          return false;
        }
        const size = entry.type === 'file' ? await fileSize(entry.absolute) : 0;
        if (size !== undefined) entries.push({ path: entry.relative, type: entry.type, size });
        return true;
      },
    );
    entries.sort((a, b) => comparePaths(a.path, b.path));
    return { entries, truncated: truncation(end, overflow) };
  },
};
