/**
 * Where a path under the root really leads, found the way the kernel finds
 * it: one component at a time, each `lstat`ed, each symlink replaced by its
 * target (an absolute target restarts at `/`, `..` in a target climbs from
 * the directory the link is in). Names that do not exist yet are kept as
 * written on top of the deepest real directory, because a write creates
 * them there, and a dangling symlink is followed to where it points, because
 * writing through it creates the file at its target.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../../core/index.js';

/** Symlink hops before giving up, as Linux does before ELOOP. */
export const MAX_SYMLINK_HOPS = 40;

export type Walked = {
  /** Absolute, every existing symlink followed; may be anywhere, even outside the root. */
  readonly absolute: string;
  readonly exists: boolean;
};

/** Why the file system would not say where a path leads. */
export class WalkFailure extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/** `root` must be real (realpath'd); `segments` are names under it, already free of `.`/`..`. */
export async function walk(root: string, segments: readonly string[]): Promise<Walked> {
  // A stack, so a symlink's target can be pushed in front of what remains.
  const pending = [...segments].reverse();
  let current = root;
  let exists = true;
  let hops = 0;
  for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
    if (part === '' || part === '.') continue;
    const next = part === '..' ? dirname(current) : join(current, part);
    const kind = await probe(next);
    if (kind !== 'symlink') {
      current = next;
      exists = kind !== 'missing';
      continue;
    }
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) throw new WalkFailure('too many levels of symbolic links');
    const target = await readTarget(next);
    if (target.startsWith('/')) current = '/';
    pending.push(...target.split('/').reverse());
  }
  return { absolute: current, exists };
}

type Kind = 'missing' | 'symlink' | 'other';

async function probe(path: string): Promise<Kind> {
  try {
    return (await lstat(path)).isSymbolicLink() ? 'symlink' : 'other';
  } catch (error) {
    if (MISSING.has(errnoCode(error) ?? '')) return 'missing';
    throw new WalkFailure(`cannot inspect a component (${errnoCode(error) || 'unknown error'})`, {
      cause: error,
    });
  }
}

async function readTarget(link: string): Promise<string> {
  try {
    return await readlink(link);
  } catch (error) {
    // The link was replaced between lstat and readlink: refuse rather than guess.
    throw new WalkFailure(`a symbolic link changed while being followed (${errnoCode(error)})`, {
      cause: error,
    });
  }
}

/**
 * The walked path re-checked by the kernel's own resolution: `realpath` of
 * its deepest existing ancestor, with the names that do not exist on top.
 * It catches a component swapped for a symlink while the walk ran, and puts
 * names in their on-disk spelling where the file system ignores case.
 */
export async function confirm(absolute: string): Promise<string> {
  const missing: string[] = [];
  let base = absolute;
  for (;;) {
    try {
      return join(await realpath(base), ...missing);
    } catch (error) {
      const parent = dirname(base);
      if (!MISSING.has(errnoCode(error) ?? '') || parent === base) {
        throw new WalkFailure(`cannot confirm the resolved path (${errnoCode(error)})`, {
          cause: error,
        });
      }
      missing.unshift(basename(base));
      base = parent;
    }
  }
}
