/**
 * The directory walk shared by list_files and search: breadth first, each
 * directory's entries sorted by name (code units, not locale), so the same
 * tree always yields the same order and a capped walk keeps the shallowest
 * entries. It skips `.git` and `node_modules` at every depth, hidden names
 * unless asked, and whatever the .gitignore files (the start's ancestors' and
 * every directory's on the way) exclude. Symlinks are reported, never
 * followed: that is what keeps the walk inside the workspace.
 *
 * The start itself is never filtered: naming an ignored or hidden directory
 * explicitly lists it (its entries are still filtered).
 */
import { type Dirent, opendirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readSmallFile } from '../../core/index.js';
import { toStoreError } from './errors.js';
import { type IgnoreFile, isIgnored, parseGitignore } from './gitignore.js';

export type EntryType = 'file' | 'dir' | 'symlink';

export type WalkEntry = {
  /** From the workspace root, `/`-separated. */
  readonly relative: string;
  /** From the start of the walk, `/`-separated: what a `glob` argument is matched against. */
  readonly fromStart: string;
  readonly absolute: string;
  readonly type: EntryType;
};

/** Why a walk ended. */
export type WalkEnd = 'complete' | 'stopped' | 'aborted' | 'scan_limit';

export type WalkOptions = {
  readonly workspaceRoot: string;
  readonly includeHidden: boolean;
  readonly recursive: boolean;
  readonly signal: AbortSignal;
  /** Entries offered to the visitor before the walk gives up: bounds the time a glob that matches nothing can take. */
  readonly scanLimit: number;
};

/** Entries a walk offers before it gives up (see `WalkOptions.scanLimit`). */
export const SCAN_LIMIT = 100_000;

export const ALWAYS_SKIPPED: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/** A .gitignore larger than this is not a real one; reading it would only cost memory. */
const MAX_GITIGNORE_BYTES = 1024 * 1024;

type Pending = {
  readonly absolute: string;
  readonly relative: string;
  readonly ignores: IgnoreFile[];
};

/**
 * A directory of at most this many entries is listed in place (one or two
 * getdents calls); a larger one with one `readdir` on the thread pool. As
 * with small files (core/read-file.ts), a round trip costs far more than a
 * small listing, and a large one would hold the event loop too long.
 */
const LIST_IN_PLACE_ENTRIES = 128;

async function listDirectory(path: string): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  // One more than the limit in the first batch tells a small directory from a large one.
  const directory = opendirSync(path, { bufferSize: LIST_IN_PLACE_ENTRIES + 1 });
  try {
    for (let entry = directory.readSync(); entry !== null; entry = directory.readSync()) {
      entries.push(entry);
      if (entries.length > LIST_IN_PLACE_ENTRIES) break;
    }
  } finally {
    directory.closeSync();
  }
  if (entries.length <= LIST_IN_PLACE_ENTRIES) return entries;
  return readdir(path, { withFileTypes: true });
}

function childPath(parent: string, name: string): string {
  return parent === '.' ? name : `${parent}/${name}`;
}

/** Orders paths as a tree would show them: `a`, `a/b`, `a-c` (plain string order puts `a-c` before `a/b`). */
export function comparePaths(left: string, right: string): number {
  const a = left.split('/');
  const b = right.split('/');
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const x = a[index] ?? '';
    const y = b[index] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

async function loadGitignore(directory: string, base: string): Promise<IgnoreFile | undefined> {
  try {
    const bytes = await readSmallFile(join(directory, '.gitignore'), MAX_GITIGNORE_BYTES);
    if (bytes === undefined) return undefined;
    return { base, rules: parseGitignore(bytes.toString('utf8')) };
  } catch {
    // Missing or unreadable: git would not apply it either.
    return undefined;
  }
}

/** The .gitignore files of the start's ancestors, root first; the start's own is read on entering it. */
async function ancestorIgnores(workspaceRoot: string, start: string): Promise<IgnoreFile[]> {
  if (start === '.') return [];
  const parts = start.split('/');
  const bases = ['.', ...parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'))];
  const files: IgnoreFile[] = [];
  for (const base of bases) {
    const file = await loadGitignore(
      base === '.' ? workspaceRoot : join(workspaceRoot, base),
      base,
    );
    if (file !== undefined) files.push(file);
  }
  return files;
}

function entryType(dirent: Dirent): EntryType | undefined {
  if (dirent.isSymbolicLink()) return 'symlink';
  if (dirent.isDirectory()) return 'dir';
  if (dirent.isFile()) return 'file';
  // FIFOs, sockets, devices: no tool reads them, so listing them would only invite errors.
  return undefined;
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Walks the directory `start` and offers each kept entry to `visit`, which
 * returns false to stop. Only an unreadable start throws; an unreadable
 * directory further down is skipped, as git and ripgrep skip it.
 */
export async function walk(
  start: { readonly absolute: string; readonly relative: string },
  options: WalkOptions,
  visit: (entry: WalkEntry) => boolean | Promise<boolean>,
): Promise<WalkEnd> {
  const prefix = start.relative === '.' ? '' : `${start.relative}/`;
  const queue: Array<Pending | undefined> = [
    {
      absolute: start.absolute,
      relative: start.relative,
      ignores: await ancestorIgnores(options.workspaceRoot, start.relative),
    },
  ];
  let offered = 0;
  for (let head = 0; head < queue.length; head += 1) {
    const directory = queue[head];
    if (directory === undefined) continue;
    // Finished directories are not needed again; dropping them keeps a wide walk's memory flat.
    queue[head] = undefined;
    if (options.signal.aborted) return 'aborted';
    let dirents: Dirent[];
    try {
      dirents = await listDirectory(directory.absolute);
    } catch (error) {
      if (head === 0) throw toStoreError(error, 'listing', start.relative);
      continue;
    }
    let ignores = directory.ignores;
    if (dirents.some((dirent) => dirent.name === '.gitignore' && dirent.isFile())) {
      const own = await loadGitignore(directory.absolute, directory.relative);
      if (own !== undefined) ignores = [...ignores, own];
    }
    for (const dirent of dirents.sort(byName)) {
      const { name } = dirent;
      if (ALWAYS_SKIPPED.has(name)) continue;
      if (!options.includeHidden && name.startsWith('.')) continue;
      const type = entryType(dirent);
      if (type === undefined) continue;
      const relative = childPath(directory.relative, name);
      if (isIgnored(ignores, relative, type === 'dir')) continue;
      if (options.signal.aborted) return 'aborted';
      offered += 1;
      if (offered > options.scanLimit) return 'scan_limit';
      const absolute = join(directory.absolute, name);
      const fromStart = relative.slice(prefix.length);
      if (!(await visit({ relative, fromStart, absolute, type }))) return 'stopped';
      if (type === 'dir' && options.recursive) queue.push({ absolute, relative, ignores });
    }
  }
  return 'complete';
}
