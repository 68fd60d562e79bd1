/**
 * A command line as facts: one `command_segment` per simple command, each
 * with its program, flags, operands, paths and redirects; wrappers unwrapped
 * and what they run numbered as segments of their own.
 */
import { type FactInput, intValue, stringValue, type Value } from '../kernel/index.js';
import { type Argv, classifyArgv, programName } from './argv.js';
import { parseCommandLine, type RawSegment, type Word } from './command-line.js';
import { unwrap } from './wrappers.js';

export type CommandFacts = {
  readonly facts: readonly FactInput[];
  /** Every path the facts mention, for the path facts. */
  readonly paths: readonly string[];
};

/** Wrappers inside wrappers inside wrappers: past this, it is obfuscation. */
const MAX_DEPTH = 8;

/** Words that open or close a compound command; what follows is still a command. */
const SHELL_KEYWORDS: ReadonlySet<string> = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  'esac',
  '!',
  '{',
  '}',
]);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The directory a command runs in, relative to the workspace root as it
 * would be written: undefined for the root itself, `../other` after
 * `cd ../other`. Paths are prefixed with it, not normalised, so `..` after a
 * symlink still resolves where the kernel would take it.
 */
type Cwd = string | undefined;

export function commandFacts(id: string, commandLine: string): CommandFacts {
  const walker = new CommandWalker(id);
  walker.line(commandLine, undefined, 0, undefined);
  return { facts: walker.facts, paths: walker.paths };
}

class CommandWalker {
  readonly facts: FactInput[] = [];
  readonly paths: string[] = [];
  readonly #id: Value;
  #next = 0;

  constructor(id: string) {
    this.#id = stringValue(id);
  }

  line(text: string, cwd: Cwd, depth: number, parent: number | undefined): void {
    if (depth > MAX_DEPTH) {
      this.#fact('command_unanalyzable');
      return;
    }
    const parsed = parseCommandLine(text);
    if (parsed.substitution) this.#fact('command_substitution');
    if (parsed.problem !== undefined) this.#fact('command_unanalyzable');
    let current = cwd;
    for (const segment of parsed.segments) {
      current = this.#segment(segment, current, depth, parent, false);
    }
  }

  /** Emits one segment (and what it wraps); returns the directory the next segment runs in. */
  #segment(
    raw: RawSegment,
    cwd: Cwd,
    depth: number,
    parent: number | undefined,
    fromInput: boolean,
  ): Cwd {
    const words = stripPrefix(raw.words);
    if (words.length === 0 && raw.redirects.length === 0) return cwd;
    const number = this.#next;
    this.#next += 1;
    const seg = intValue(number);
    this.#fact('command_segment', seg, stringValue(segmentText(raw)));
    if (parent !== undefined) this.#fact('command_wraps', intValue(parent), seg);
    if (fromInput) this.#fact('command_args_from_input', seg);
    for (const redirect of raw.redirects) {
      const path = this.#path(at(cwd, redirect.target.text));
      // An input redirect reads a file: it matters for secrets, not for writes.
      this.#fact(redirect.direction === 'out' ? 'command_redirect' : 'command_path', seg, path);
    }
    const argv0 = words[0];
    if (!argv0) return cwd;
    if (/[$`]/.test(argv0.text)) {
      // `$CMD -rf /`: the program is whatever the variable holds.
      this.#fact('command_unanalyzable');
    }
    const program = programName(argv0.text);
    if (program === 'eval') this.#fact('command_substitution');
    const unwrapped = unwrap(words);
    const argv = classifyArgv(unwrapped.outer);
    this.#argv(seg, argv, cwd);
    for (const inner of unwrapped.inner) {
      const innerCwd = inner.cwd === undefined ? cwd : at(cwd, inner.cwd);
      if (inner.kind === 'script') this.line(inner.text, innerCwd, depth + 1, number);
      else {
        const innerSegment: RawSegment = { words: inner.words, redirects: [] };
        this.#segment(innerSegment, innerCwd, depth + 1, number, inner.argsFromInput);
      }
    }
    if (program === 'cd' || program === 'pushd') return changeDirectory(cwd, argv.args[0]);
    // popd returns to a directory only the shell's stack knows.
    return program === 'popd' ? '$DIRSTACK' : cwd;
  }

  #argv(seg: Value, argv: Argv, cwd: Cwd): void {
    this.#fact('command_program', seg, stringValue(argv.program));
    for (const flag of argv.flags) this.#fact('command_flag', seg, stringValue(flag));
    for (const arg of argv.args) this.#fact('command_arg', seg, stringValue(arg));
    let last: Value | undefined;
    for (const written of argv.paths) {
      last = this.#path(at(cwd, written));
      this.#fact('command_path', seg, last);
    }
    if (last) this.#fact('command_last_path', seg, last);
  }

  #path(path: string): Value {
    this.paths.push(path);
    return stringValue(path);
  }

  #fact(predicate: string, ...rest: Value[]): void {
    this.facts.push({ predicate, args: [this.#id, ...rest] });
  }
}

/** Keywords (`if`, `then`, `{`) and `NAME=value` assignments before the program. */
function stripPrefix(words: readonly Word[]): readonly Word[] {
  let i = 0;
  while (i < words.length) {
    const text = words[i]?.text ?? '';
    if (!SHELL_KEYWORDS.has(text) && !ASSIGNMENT.test(text)) break;
    i += 1;
  }
  return words.slice(i);
}

function segmentText(raw: RawSegment): string {
  return [
    ...raw.words.map((word) => word.raw),
    ...raw.redirects.map((redirect) => `${redirect.operator} ${redirect.target.raw}`),
  ].join(' ');
}

/** A path as seen from the workspace root, given the directory the command runs in. */
function at(cwd: Cwd, path: string): string {
  if (cwd === undefined || path.startsWith('/') || path.startsWith('~') || path.startsWith('$')) {
    return path;
  }
  return path === '' ? cwd : `${cwd}/${path}`;
}

function changeDirectory(cwd: Cwd, target: string | undefined): Cwd {
  // `cd` alone goes home; `cd -` goes back to a directory only the shell knows.
  if (target === undefined) return '~';
  if (target === '-') return '$OLDPWD';
  return at(cwd, target);
}
