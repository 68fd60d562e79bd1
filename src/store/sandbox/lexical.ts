/**
 * `.` and `..` applied to the string alone. The result is a list of names
 * under the root, walked for symlinks afterwards; applying `..` lexically is
 * safe because tools use the resolved path resolve() returns, never the
 * string the model wrote.
 */
import { isAbsolute } from 'node:path';

/**
 * The names under one of `roots` that `path` denotes, or `undefined` when it
 * climbs out (`../x`) or is absolute and under none of them (`/etc/passwd`).
 * `roots` are the real root and the root as the caller spelled it, so an
 * absolute path through a symlinked root (`/tmp` on macOS) is still inside.
 */
export function lexicalSegments(path: string, roots: readonly string[]): string[] | undefined {
  if (!isAbsolute(path)) return fold(path, false);
  const absolute = fold(path, true);
  if (absolute === undefined) return undefined;
  for (const root of roots) {
    const rootSegments = fold(root, true) ?? [];
    if (startsWith(absolute, rootSegments)) return absolute.slice(rootSegments.length);
  }
  return undefined;
}

/** Applies `.` and `..`; from `/`, `..` stays at `/` as the kernel does. */
function fold(path: string, absolute: boolean): string[] | undefined {
  const segments: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') {
      segments.push(part);
    } else if (segments.length > 0) {
      segments.pop();
    } else if (!absolute) {
      return undefined;
    }
  }
  return segments;
}

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= segments.length && prefix.every((part, i) => segments[i] === part);
}
