/**
 * What a path an action names really points at: resolved against the
 * workspace root, `..` applied, symlinks followed. Datalog has no string
 * splitting, so the answers become facts keyed by the path as written.
 */
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isWithin } from '../core/index.js';
import { type FactInput, stringValue, type Value } from '../kernel/index.js';
import { InvalidWorkspaceError } from './errors.js';

/** Resolves symlinks in an absolute path; `undefined` when it cannot be known. */
export type Realpath = (absolutePath: string) => string | undefined;

export type World = {
  /** Absolute path of the workspace; commands are assumed to run here. */
  readonly workspaceRoot: string;
  /**
   * Follows symlinks. Without it paths are resolved lexically only, and a
   * symlink inside the workspace that points outside looks inside.
   */
  readonly realpath?: Realpath;
};

export type PathVerdict = {
  readonly inside: boolean;
  readonly root: boolean;
  readonly basenames: readonly string[];
  readonly segments: readonly string[];
  /** For a glob: the directory it expands in, as written. */
  readonly globBase?: string;
};

const GLOB = /[*?[]/;

/**
 * Text the shell rewrites before a program sees it (`~`, `$HOME`, `{a,b}`,
 * backticks): nobody can say where it points without running the shell.
 */
const UNRESOLVABLE = /^~|[$`]|\{[^}]*(,|\.\.)[^}]*\}/;

/**
 * The root's real path, per world: resolved at its first decision and kept,
 * as the sandbox keeps the root it resolved when it was opened. Every
 * decision builds a Workspace, and the root is the one path that should not
 * change under an agent. A lookup that failed is not kept, and neither is
 * one for another root than the world names now.
 */
const realRoots = new WeakMap<World, { readonly root: string; readonly real: string }>();

function realRootOf(world: World, root: string): string {
  const known = realRoots.get(world);
  if (known !== undefined && known.root === root) return known.real;
  const real = world.realpath?.(root);
  if (real === undefined) return root;
  realRoots.set(world, { root, real });
  return real;
}

export class Workspace {
  readonly root: string;
  readonly #realRoot: string;
  readonly #realpath: Realpath | undefined;

  constructor(world: World) {
    if (typeof world.workspaceRoot !== 'string' || !isAbsolute(world.workspaceRoot)) {
      throw new InvalidWorkspaceError(
        `the workspace root must be an absolute path, got ${JSON.stringify(world.workspaceRoot)}`,
        { details: { workspaceRoot: world.workspaceRoot } },
      );
    }
    this.root = resolve(world.workspaceRoot);
    this.#realpath = world.realpath;
    this.#realRoot = realRootOf(world, this.root);
  }

  /** Verdicts already reached: a glob's base is often judged again as a path of its own. */
  readonly #judged = new Map<string, PathVerdict>();

  judge(written: string): PathVerdict {
    let verdict = this.#judged.get(written);
    if (verdict === undefined) {
      verdict = this.#judgeOnce(written);
      this.#judged.set(written, verdict);
    }
    return verdict;
  }

  #judgeOnce(written: string): PathVerdict {
    const parts = written.split('/');
    const basenames = writtenBasename(written);
    const segments = parts.filter((part) => part !== '' && part !== '.' && part !== '..');
    if (UNRESOLVABLE.test(written)) {
      return { inside: false, root: false, basenames, segments };
    }
    const globAt = parts.findIndex((part) => GLOB.test(part));
    if (globAt !== -1) return this.#judgeGlob(written, parts, globAt, basenames, segments);

    const lexical = resolve(this.root, written);
    const physical = this.#physical(written);
    const inside =
      isWithin(this.root, lexical) &&
      (physical === undefined ? !this.#realpath : isWithin(this.#realRoot, physical));
    const root = lexical === this.root || physical === this.#realRoot;
    const resolvedForms = physical === undefined ? [lexical] : [lexical, physical];
    return {
      inside,
      root,
      basenames: unique([
        ...basenames,
        ...resolvedForms.map((form) => basename(form)).filter((name) => name !== ''),
      ]),
      segments: unique([
        ...segments,
        ...resolvedForms.flatMap((form) => this.#resolvedSegments(form)),
      ]),
    };
  }

  #judgeGlob(
    written: string,
    parts: readonly string[],
    globAt: number,
    basenames: readonly string[],
    segments: readonly string[],
  ): PathVerdict {
    const absolute = written.startsWith('/');
    const before = parts.slice(0, globAt).filter((part) => part !== '');
    const globBase =
      before.length === 0 ? (absolute ? '/' : '.') : `${absolute ? '/' : ''}${before.join('/')}`;
    // `*/../..` climbs out of wherever the glob matched.
    const climbs = parts.slice(globAt + 1).includes('..');
    const base = this.judge(globBase);
    return { inside: base.inside && !climbs, root: false, basenames, segments, globBase };
  }

  /**
   * Resolves like the kernel does: `..` after a symlink goes to the parent of
   * the symlink's target, not back to where the name was written.
   */
  #physical(written: string): string | undefined {
    const realpath = this.#realpath;
    if (!realpath) return undefined;
    let current = written.startsWith('/') ? sep : this.root;
    for (const part of written.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        const real = realpath(current);
        if (real === undefined) return undefined;
        current = dirname(real);
      } else {
        current = join(current, part);
      }
    }
    return realpath(current);
  }

  /**
   * Segments under the root for a path inside, all of them for one outside:
   * a workspace that happens to live under `~/.aws/` must not make every
   * file in it sensitive.
   */
  #resolvedSegments(form: string): string[] {
    const from = isWithin(this.root, form)
      ? relative(this.root, form)
      : isWithin(this.#realRoot, form)
        ? relative(this.#realRoot, form)
        : form;
    return from.split(sep).filter((part) => part !== '' && part !== '.' && part !== '..');
  }
}

function writtenBasename(written: string): string[] {
  const trimmed = written.replace(/\/+$/, '');
  const last = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return last === '' || last === '.' || last === '..' ? [] : [last];
}

const unique = (items: readonly string[]): string[] => [...new Set(items)];

/** The facts the constitution reads about one path. */
export function pathFacts(written: string, verdict: PathVerdict): FactInput[] {
  const path = stringValue(written);
  const fact = (predicate: string, ...rest: Value[]): FactInput => ({
    predicate,
    args: [path, ...rest],
  });
  const facts: FactInput[] = [];
  if (verdict.inside) facts.push(fact('path_inside_workspace'));
  if (verdict.root) facts.push(fact('path_is_workspace_root'));
  for (const base of verdict.basenames) facts.push(fact('path_basename', stringValue(base)));
  for (const segment of verdict.segments) facts.push(fact('path_segment', stringValue(segment)));
  if (verdict.globBase !== undefined) {
    facts.push(fact('path_glob_base', stringValue(verdict.globBase)));
  }
  return facts;
}
