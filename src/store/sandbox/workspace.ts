/**
 * The workspace factory: the one place where the lexical checks, the
 * symlink walk and the secret patterns are put together, in the order that
 * keeps I/O last: refuse on the string, then walk, then refuse on where the
 * walk led.
 */
import { realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errnoCode, isWithin } from '../../core/index.js';
import type { ResolvedPath, Workspace } from '../tool.js';
import {
  PathOutsideWorkspaceError,
  PathUnresolvableError,
  quotePath,
  SecretFileError,
  WorkspaceRootError,
} from './errors.js';
import { lexicalSegments } from './lexical.js';
import { compileSecretPatterns, DEFAULT_SECRET_PATTERNS, isSecretPath } from './secrets.js';
import { assertValidPath } from './validate.js';
import { confirm, WalkFailure, walk } from './walk.js';

export type SandboxOptions = {
  /**
   * Matched against the path from the root (`/`-separated). Replaces the
   * defaults; spread `DEFAULT_SECRET_PATTERNS` to extend them.
   */
  readonly secretPatterns?: readonly RegExp[];
  /** Lets every resolve() name secrets unless it passes `allowSecrets: false` itself. */
  readonly allowSecrets?: boolean;
};

type Boundary = {
  readonly root: string;
  /** The real root and the root as the caller spelled it: both accepted in absolute paths. */
  readonly aliases: readonly string[];
  readonly secretPatterns: readonly RegExp[];
  readonly allowSecrets: boolean;
};

/**
 * A workspace rooted at `root`, which must be an absolute path to an
 * existing directory; the root is realpath'd once, here.
 */
export async function createWorkspace(
  root: string,
  options: SandboxOptions = {},
): Promise<Workspace> {
  const given = checkRootSpelling(root);
  const real = await realDirectory(given);
  const boundary: Boundary = {
    root: real,
    aliases: real === given ? [real] : [real, given],
    secretPatterns: compileSecretPatterns(checkPatterns(options.secretPatterns)),
    allowSecrets: options.allowSecrets === true,
  };
  return Object.freeze({
    root: real,
    resolve: (path: string, resolveOptions?: { allowSecrets?: boolean }) =>
      resolveInside(boundary, path, resolveOptions?.allowSecrets ?? boundary.allowSecrets),
  });
}

async function resolveInside(
  boundary: Boundary,
  path: string,
  allowSecrets: boolean,
): Promise<ResolvedPath> {
  assertValidPath(path);
  const segments = lexicalSegments(path, boundary.aliases);
  if (segments === undefined) {
    throw outside(
      path,
      isAbsolute(path) ? 'it is not under the workspace root' : 'its `..` climbs above the root',
    );
  }
  const written = segments.length === 0 ? '.' : segments.join('/');
  if (!allowSecrets && isSecretPath(written, boundary.secretPatterns)) {
    throw secret(path, written);
  }

  const { absolute, exists } = await walkOrRefuse(boundary.root, segments, path);
  if (!isWithin(boundary.root, absolute)) {
    throw outside(path, 'it leads outside the workspace root through a symbolic link');
  }
  const relativePath = toPosix(relative(boundary.root, absolute));
  if (!allowSecrets && isSecretPath(relativePath, boundary.secretPatterns)) {
    throw secret(path, relativePath);
  }
  return Object.freeze({ absolute, relative: relativePath, exists });
}

async function walkOrRefuse(
  root: string,
  segments: readonly string[],
  path: string,
): Promise<{ absolute: string; exists: boolean }> {
  try {
    // An existing path: the kernel's own resolution in one call, every symlink
    // on the way followed, is the whole answer. Only a path that does not exist
    // (a new file, a dangling symlink) needs the walk to know where it would land.
    const existing = realpathIfExists(join(root, ...segments));
    if (existing !== undefined) return { absolute: existing, exists: true };
    const walked = await walk(root, segments);
    return { absolute: await confirm(walked.absolute), exists: walked.exists };
  } catch (error) {
    if (!(error instanceof WalkFailure)) throw error;
    throw new PathUnresolvableError(`path ${quotePath(path)} cannot be resolved: ${error.reason}`, {
      cause: error.cause,
      details: { path },
    });
  }
}

/**
 * Synchronous on purpose: it is one realpath(3) call on a path the policy
 * gate has just resolved the same way (so its dentries are hot), and a
 * thread-pool round trip costs several times more than the call itself.
 * Reading and writing file data stays asynchronous.
 */
function realpathIfExists(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch (error) {
    const code = errnoCode(error);
    // Missing, or a dangling or looping link: the walk finds out which and says so.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw new WalkFailure(`cannot resolve the path (${code ?? 'unknown error'})`, { cause: error });
  }
}

function outside(path: string, why: string): PathOutsideWorkspaceError {
  return new PathOutsideWorkspaceError(`path ${quotePath(path)} is outside the workspace: ${why}`, {
    details: { path },
  });
}

function secret(path: string, matched: string): SecretFileError {
  // `matched` is inside the root, so naming it reveals nothing outside the workspace.
  return new SecretFileError(
    `path ${quotePath(path)} names a file that may hold secrets (${JSON.stringify(matched)})`,
    { details: { path, matched } },
  );
}

function toPosix(relativePath: string): string {
  return relativePath === '' ? '.' : relativePath.split(sep).join('/');
}

function checkRootSpelling(root: unknown): string {
  if (typeof root !== 'string' || !isAbsolute(root) || root.includes('\0')) {
    throw new WorkspaceRootError(
      `the workspace root must be an absolute path, got ${quotePath(root)}`,
      { details: { root } },
    );
  }
  // Lexically first, so the spelled alias and the realpath agree on what `..` meant.
  return resolve(root);
}

async function realDirectory(root: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(root);
  } catch (error) {
    throw new WorkspaceRootError(`the workspace root ${quotePath(root)} does not exist`, {
      cause: error,
      details: { root },
    });
  }
  const stats = await stat(real).catch((error: unknown) => {
    throw new WorkspaceRootError(`the workspace root ${quotePath(root)} cannot be inspected`, {
      cause: error,
      details: { root },
    });
  });
  if (!stats.isDirectory()) {
    throw new WorkspaceRootError(`the workspace root ${quotePath(root)} is not a directory`, {
      details: { root },
    });
  }
  return real;
}

function checkPatterns(patterns: readonly RegExp[] | undefined): readonly RegExp[] {
  if (patterns === undefined) return DEFAULT_SECRET_PATTERNS;
  if (!Array.isArray(patterns) || !patterns.every((pattern) => pattern instanceof RegExp)) {
    throw new WorkspaceRootError('secretPatterns must be an array of regular expressions', {
      details: { secretPatterns: String(patterns) },
    });
  }
  return patterns;
}
