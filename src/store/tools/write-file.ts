/** write_file: creates or replaces a file atomically (never a half-written file, even on a crash). */
import type { Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ResolvedPath, StoreTool } from '../tool.js';
import {
  errnoCode,
  StoreIsDirectoryError,
  StoreNotADirectoryError,
  StoreNotFoundError,
  StoreNotRegularFileError,
  toStoreError,
} from './errors.js';
import { replaceFile, statIfExists, throwIfAborted } from './files.js';
import { pathArgument } from './schemas.js';

const parameters = z.object({
  path: pathArgument('The file to write'),
  content: z.string().describe('The complete new content of the file.'),
  createDirs: z.boolean().optional().describe('Create missing parent directories. Default true.'),
});
export type WriteFileArgs = z.infer<typeof parameters>;

const result = z.object({
  path: z.string(),
  /** UTF-8 bytes written. */
  bytes: z.number().int().nonnegative(),
  created: z.boolean(),
});
export type WriteFileResult = z.infer<typeof result>;

/** Options of the writing tools; only tests need them. */
export type FileWriteToolOptions = {
  /** Runs once the temp file is durable, before it replaces the target: the crash tests' seam. */
  readonly beforeRename?: () => Promise<void> | void;
};

async function ensureParent(path: ResolvedPath, createDirs: boolean): Promise<void> {
  const parent = dirname(path.absolute);
  const details = { details: { path: path.relative } };
  if (createDirs) {
    try {
      await mkdir(parent, { recursive: true });
    } catch (error) {
      // mkdir -p reports a file in the way as EEXIST (or ENOTDIR further down).
      if (errnoCode(error) === 'EEXIST' || errnoCode(error) === 'ENOTDIR') {
        throw new StoreNotADirectoryError(
          `write_file ${path.relative}: a parent of the path is a file`,
          { cause: error, ...details },
        );
      }
      throw toStoreError(error, 'creating the parent of', path.relative);
    }
    return;
  }
  let parentStats: Stats;
  try {
    parentStats = await stat(parent);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new StoreNotFoundError(
        `write_file ${path.relative}: the parent directory does not exist (createDirs is false)`,
        { cause: error, ...details },
      );
    }
    throw toStoreError(error, 'writing', path.relative);
  }
  if (!parentStats.isDirectory()) {
    throw new StoreNotADirectoryError(
      `write_file ${path.relative}: the parent is not a directory`,
      details,
    );
  }
}

export function createWriteFileTool(
  options: FileWriteToolOptions = {},
): StoreTool<WriteFileArgs, WriteFileResult> {
  return {
    name: 'write_file',
    description:
      'Create a file or replace its whole content (atomically: readers see the old or the new content, never a mix). Missing parent directories are created unless createDirs is false. To change part of a file, prefer edit_file.',
    parameters,
    result,
    action: (args) => ({ action: 'write_file', target: args.path, payload: args.content }),
    async run(args, context) {
      const path = await context.workspace.resolve(args.path);
      throwIfAborted(context.signal, 'writing', path.relative);
      const existing = await statIfExists(path, 'writing');
      const details = { details: { path: path.relative } };
      if (existing?.isDirectory()) {
        throw new StoreIsDirectoryError(`write_file ${path.relative}: is a directory`, details);
      }
      if (existing !== undefined && !existing.isFile()) {
        throw new StoreNotRegularFileError(
          `write_file ${path.relative}: not a regular file`,
          details,
        );
      }
      if (existing === undefined) await ensureParent(path, args.createDirs ?? true);
      await replaceFile(path, args.content, {
        signal: context.signal,
        mode: existing === undefined ? undefined : existing.mode & 0o7777,
        beforeRename: options.beforeRename,
      });
      return {
        path: path.relative,
        bytes: Buffer.byteLength(args.content, 'utf8'),
        created: existing === undefined,
      };
    },
  };
}

export const writeFileTool = createWriteFileTool();
