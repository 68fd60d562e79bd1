/**
 * The common subset of .gitignore, implemented here because the `ignore`
 * package is not a dependency. Supported: comments, blank lines, trailing
 * spaces (kept when escaped), `!` negation, `\!` / `\#` escapes, directory-only
 * `dir/`, anchoring by a leading or inner `/`, `*`, `?`, `[...]` and `**`;
 * nested files, each relative to its own directory, deeper ones taking
 * precedence; the last matching rule wins.
 *
 * Git's rule that nothing inside an excluded directory can be re-included
 * needs no code here: the walker never enters an excluded directory.
 *
 * Not supported: `.git/info/exclude`, `core.excludesFile`, and `**` that is
 * not a whole segment (it is `*`, as git documents it).
 */
import { compileGlob } from './glob.js';

export type IgnoreRule = {
  readonly regex: RegExp;
  readonly negated: boolean;
  readonly directoryOnly: boolean;
  /** A pattern without a `/` (other than a trailing one) matches the name at any depth. */
  readonly nameOnly: boolean;
  readonly source: string;
};

export type IgnoreFile = {
  /** The directory holding the .gitignore, workspace-relative; `.` for the root. */
  readonly base: string;
  readonly rules: readonly IgnoreRule[];
};

function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line.charAt(end - 1) === ' ' && line.charAt(end - 2) !== '\\') end -= 1;
  return line.slice(0, end);
}

function parseLine(raw: string): IgnoreRule | undefined {
  let line = trimTrailingSpaces(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
  if (line === '' || line.startsWith('#')) return undefined;
  const negated = line.startsWith('!');
  if (negated) line = line.slice(1);
  const directoryOnly = line.endsWith('/') && !line.endsWith('\\/');
  if (directoryOnly) line = line.slice(0, -1);
  const nameOnly = !line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  if (line === '') return undefined;
  return {
    regex: compileGlob(line, { braces: false }),
    negated,
    directoryOnly,
    nameOnly,
    source: raw,
  };
}

export function parseGitignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of text.split('\n')) {
    const rule = parseLine(line);
    if (rule !== undefined) rules.push(rule);
  }
  return rules;
}

function relativeTo(base: string, path: string): string | undefined {
  if (base === '.') return path;
  return path.startsWith(`${base}/`) ? path.slice(base.length + 1) : undefined;
}

/**
 * Whether `path` (workspace-relative) is ignored by `files`, given root first
 * and deepest last, as the walker stacks them.
 */
export function isIgnored(
  files: readonly IgnoreFile[],
  path: string,
  isDirectory: boolean,
): boolean {
  let ignored = false;
  for (const file of files) {
    const relative = relativeTo(file.base, path);
    if (relative === undefined) continue;
    const name = relative.slice(relative.lastIndexOf('/') + 1);
    for (const rule of file.rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(rule.nameOnly ? name : relative)) ignored = !rule.negated;
    }
  }
  return ignored;
}
