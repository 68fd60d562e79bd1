/**
 * A small glob matcher over `/`-separated relative paths. Our own rather than
 * Node's `path.matchesGlob`, which Node 20 still flags experimental (it prints
 * an ExperimentalWarning on first use) and which .gitignore patterns could not
 * share anyway: they have no braces.
 *
 * Supported: `*` (any run of characters but `/`, dots included), `?` (one
 * character but `/`), `**` as a whole segment (any number of segments, zero
 * included; `**` inside a segment is `*`), `[abc]`, `[a-z]`, `[!a]` / `[^a]`,
 * `{a,b}` (nestable, when `braces` is on) and `\` escaping the next character.
 * An unclosed `[` or `{` is literal.
 */

export type GlobOptions = {
  /** `{a,b}` alternation: on for tool globs, off for .gitignore (where `{` is literal). */
  readonly braces: boolean;
};

const REGEX_SPECIAL = new Set([...'\\^$.|?*+()[]{}/-']);

function escapeChar(char: string): string {
  return REGEX_SPECIAL.has(char) ? `\\${char}` : char;
}

/** Index of the `]` closing the class opened at `open`, or -1. */
function classEnd(pattern: string, open: number): number {
  let index = open + 1;
  if (pattern.charAt(index) === '!' || pattern.charAt(index) === '^') index += 1;
  // A `]` right after the opening (or its negation) is a member, not the end.
  if (pattern.charAt(index) === ']') index += 1;
  for (; index < pattern.length; index += 1) {
    const char = pattern.charAt(index);
    if (char === '\\') index += 1;
    else if (char === ']') return index;
  }
  return -1;
}

function classSource(body: string): string {
  let negated = false;
  let rest = body;
  if (rest.startsWith('!') || rest.startsWith('^')) {
    negated = true;
    rest = rest.slice(1);
  }
  let out = '';
  for (let index = 0; index < rest.length; index += 1) {
    const char = rest.charAt(index);
    if (char === '\\' && index + 1 < rest.length) {
      index += 1;
      out += `\\${rest.charAt(index)}`;
    } else if (char === '-') {
      out += '-';
    } else {
      out += char === '\\' || char === ']' || char === '[' || char === '^' ? `\\${char}` : char;
    }
  }
  // A class never matches the separator, negated or not.
  return negated ? `[^/${out}]` : `(?!/)[${out}]`;
}

/** Index of the `}` closing the brace opened at `open`, or -1. */
function braceEnd(pattern: string, open: number): number {
  let depth = 0;
  for (let index = open; index < pattern.length; index += 1) {
    const char = pattern.charAt(index);
    if (char === '\\') index += 1;
    else if (char === '{') depth += 1;
    else if (char === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}

/** Splits a brace body at its top-level commas. */
function alternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < body.length; index += 1) {
    const char = body.charAt(index);
    if (char === '\\') index += 1;
    else if (char === '{') depth += 1;
    else if (char === '}') depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(body.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** The regular-expression source (unanchored) for one glob. */
export function globSource(pattern: string, options: GlobOptions): string {
  let out = '';
  let index = 0;
  while (index < pattern.length) {
    const char = pattern.charAt(index);
    if (char === '\\') {
      const next = pattern.charAt(index + 1);
      out += escapeChar(next === '' ? '\\' : next);
      index += 2;
    } else if (char === '*') {
      let end = index;
      while (pattern.charAt(end) === '*') end += 1;
      const segmentStart = index === 0 || pattern.charAt(index - 1) === '/';
      const segmentEnd = end === pattern.length || pattern.charAt(end) === '/';
      if (end - index >= 2 && segmentStart && segmentEnd) {
        if (end === pattern.length) {
          out += '.*';
          index = end;
        } else {
          // `**/` also matches no directory at all: `src/**/a.ts` matches `src/a.ts`.
          out += '(?:.*/)?';
          index = end + 1;
        }
      } else {
        out += '[^/]*';
        index = end;
      }
    } else if (char === '?') {
      out += '[^/]';
      index += 1;
    } else if (char === '[') {
      const end = classEnd(pattern, index);
      if (end === -1) {
        out += '\\[';
        index += 1;
      } else {
        out += classSource(pattern.slice(index + 1, end));
        index = end + 1;
      }
    } else if (char === '{' && options.braces) {
      const end = braceEnd(pattern, index);
      if (end === -1) {
        out += '\\{';
        index += 1;
      } else {
        const parts = alternatives(pattern.slice(index + 1, end));
        out += `(?:${parts.map((part) => globSource(part, options)).join('|')})`;
        index = end + 1;
      }
    } else {
      out += escapeChar(char);
      index += 1;
    }
  }
  return out;
}

export function compileGlob(pattern: string, options: GlobOptions): RegExp {
  return new RegExp(`^${globSource(pattern, options)}$`);
}

/**
 * The matcher the tools use for their `glob` argument, applied to a path
 * relative to the directory being listed or searched. A glob without `/`
 * matches the file name at any depth (`*.ts`), as in .gitignore and ripgrep;
 * one with `/` matches the whole relative path (`src/**\/*.ts`).
 */
export function globMatcher(glob: string): (relativePath: string) => boolean {
  const pattern = glob.startsWith('./') ? glob.slice(2) : glob;
  const regex = compileGlob(pattern, { braces: true });
  if (pattern.includes('/')) return (path) => regex.test(path);
  return (path) => regex.test(path.slice(path.lastIndexOf('/') + 1));
}
