/**
 * A `Realpath` over the real file system. Actions name files that do not
 * exist yet (a write creates one), so a missing tail is kept as written on
 * top of its deepest existing parent; a dangling symlink is followed to where
 * it points, because writing through it creates the file there.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errnoCode } from '../core/index.js';
import type { Realpath } from './paths.js';

/** Symlink hops before giving up, as Linux does before ELOOP. */
const MAX_HOPS = 40;

const MISSING = new Set(['ENOENT', 'ENOTDIR']);

export const fileSystemRealpath: Realpath = (absolutePath) => follow(resolve(absolutePath), 0);

function follow(path: string, hops: number): string | undefined {
  if (hops > MAX_HOPS) return undefined;
  try {
    return realpathSync.native(path);
  } catch (error) {
    if (!MISSING.has(errnoCode(error) ?? '')) return undefined;
  }
  const link = readLink(path);
  if (link !== undefined) return follow(resolve(dirname(path), link), hops + 1);
  const parent = dirname(path);
  if (parent === path) return undefined;
  const realParent = follow(parent, hops);
  return realParent === undefined ? undefined : join(realParent, basename(path));
}

/** The target of a symlink at `path`, or undefined when it is not one (or does not exist). */
function readLink(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}
