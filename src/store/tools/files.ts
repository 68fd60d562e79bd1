/** File-system helpers the file tools share: kind checks, binary sniffing, the atomic replace. */
import type { Stats } from 'node:fs';
import { chmod, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../snapshots/index.js';
import type { ResolvedPath } from '../tool.js';
import {
  abortedError,
  errnoCode,
  StoreIsDirectoryError,
  StoreNotFoundError,
  StoreNotRegularFileError,
  toStoreError,
} from './errors.js';

/** How much of a file's start is checked for a NUL byte: git's heuristic, and ripgrep's. */
export const BINARY_SNIFF_BYTES = 8 * 1024;

export function hasNulByte(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** The path's stats, or undefined when nothing is there. */
export async function statIfExists(
  path: ResolvedPath,
  operation: string,
): Promise<Stats | undefined> {
  try {
    return await stat(path.absolute);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw toStoreError(error, operation, path.relative);
  }
}

/** Stats of an existing regular file, or the typed error saying what is there instead. */
export async function requireRegularFile(path: ResolvedPath, operation: string): Promise<Stats> {
  return checkRegularFile(await statIfExists(path, operation), path, operation);
}

/** `stats` when they are a regular file's, else the typed error saying what is there instead. */
export function checkRegularFile(
  stats: Stats | undefined,
  path: ResolvedPath,
  operation: string,
): Stats {
  const details = { details: { path: path.relative, operation } };
  if (stats === undefined) {
    throw new StoreNotFoundError(`${operation} ${path.relative}: no such file`, details);
  }
  if (stats.isDirectory()) {
    throw new StoreIsDirectoryError(`${operation} ${path.relative}: is a directory`, details);
  }
  if (!stats.isFile()) {
    throw new StoreNotRegularFileError(
      `${operation} ${path.relative}: not a regular file`,
      details,
    );
  }
  return stats;
}

export function throwIfAborted(signal: AbortSignal, operation: string, path: string): void {
  if (signal.aborted) throw abortedError(operation, path, signal);
}

export type AtomicWriteOptions = {
  readonly signal: AbortSignal;
  /** Permission bits to give the new file: a rewrite must not drop a script's executable bit. */
  readonly mode?: number;
  /** Test seam, passed to writeFileAtomic: runs once the temp file is durable, before the rename. */
  readonly beforeRename?: () => Promise<void> | void;
};

/**
 * Replaces the file with `data` so that it holds either the old content or
 * the new, never a mix, even if the process dies half way (a crash can leave
 * the temp file `<name>.<pid>.<n>.tmp` beside it, never a partial target).
 * An abort that arrives before the rename leaves the old file in place.
 */
export async function replaceFile(
  path: ResolvedPath,
  data: string,
  options: AtomicWriteOptions,
): Promise<void> {
  try {
    await writeFileAtomic(path.absolute, data, {
      beforeRename: async () => {
        await options.beforeRename?.();
        // Last before the rename: an abort up to here leaves the old file in place.
        throwIfAborted(options.signal, 'writing', path.relative);
      },
    });
  } catch (error) {
    throw toStoreError(error, 'writing', path.relative);
  }
  if (options.mode !== undefined) {
    // Best effort: the content is already in place, and failing the call now would misreport it.
    await chmod(path.absolute, options.mode).catch(() => undefined);
  }
}
