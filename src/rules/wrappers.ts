/**
 * Commands that run other commands: `bash -c "…"`, `env X=1 cmd`, `sudo cmd`,
 * `xargs cmd`, `find -exec cmd`. A policy that looked only at argv[0] would
 * see `bash` or `env` and miss the `rm -rf /` inside, so each wrapper is
 * peeled off and what it runs is checked as a command of its own.
 */

import { programName } from './argv.js';
import type { Word } from './command-line.js';
import { parseFind } from './find.js';

export type Inner =
  /** A command line to parse again (`bash -c`, `env -S`, `watch`). */
  | { readonly kind: 'script'; readonly text: string; readonly cwd?: string }
  /** An argv that runs as is. `argsFromInput`: xargs appends operands read from the pipe. */
  | {
      readonly kind: 'argv';
      readonly words: readonly Word[];
      readonly argsFromInput: boolean;
      readonly cwd?: string;
    };

export type Unwrapped = {
  /** The wrapper's own words (program and options), or the whole argv when it wraps nothing. */
  readonly outer: readonly Word[];
  readonly inner: readonly Inner[];
};

type WrapperSpec = {
  /** Short letters and long names whose option takes a value. */
  readonly valueOptions: readonly string[];
  /** Options whose value is the directory the inner command runs in. */
  readonly chdirOptions?: readonly string[];
  /** Options whose value is a command line (`env -S`). */
  readonly scriptOptions?: readonly string[];
  /** `NAME=value` words before the command (env). */
  readonly assignments?: boolean;
  /** Operands before the command (timeout's duration). */
  readonly leadingOperands?: number;
  readonly argsFromInput?: boolean;
  /** The rest is joined into one command line (watch). */
  readonly joinsScript?: boolean;
};

const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  env: {
    valueOptions: ['u', 'C', 'S', 'unset', 'chdir', 'split-string'],
    chdirOptions: ['C', 'chdir'],
    scriptOptions: ['S', 'split-string'],
    assignments: true,
  },
  nohup: { valueOptions: [] },
  time: { valueOptions: ['f', 'o', 'format', 'output'] },
  exec: { valueOptions: ['a'] },
  command: { valueOptions: [] },
  builtin: { valueOptions: [] },
  nice: { valueOptions: ['n', 'adjustment'] },
  ionice: { valueOptions: ['c', 'n', 'p', 'class', 'classdata', 'pid'] },
  timeout: { valueOptions: ['s', 'k', 'signal', 'kill-after'], leadingOperands: 1 },
  stdbuf: { valueOptions: ['i', 'o', 'e', 'input', 'output', 'error'] },
  sudo: {
    valueOptions: [
      ...['u', 'g', 'h', 'p', 'C', 'D', 'r', 't', 'U', 'T', 'R'],
      ...['user', 'group', 'host', 'prompt', 'close-from', 'chdir', 'role', 'type'],
      ...['other-user', 'command-timeout', 'chroot'],
    ],
    chdirOptions: ['D', 'chdir'],
  },
  doas: { valueOptions: ['u', 'C'] },
  xargs: {
    valueOptions: [
      ...['I', 'n', 'L', 'P', 'd', 'E', 's', 'a'],
      ...['max-args', 'max-lines', 'max-procs', 'delimiter', 'eof', 'max-chars', 'arg-file'],
      'replace',
    ],
    argsFromInput: true,
  },
  // Package runners run a package's binary: `npx rimraf /` is rimraf's business.
  npx: { valueOptions: ['p', 'c', 'package', 'call'], scriptOptions: ['c', 'call'] },
  bunx: { valueOptions: ['p', 'package'] },
  watch: {
    valueOptions: ['n', 'interval', 'q', 'equexit'],
    joinsScript: true,
  },
};

export const SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'fish',
  'csh',
  'tcsh',
]);

/** Shell options (`-o pipefail`, `+O extglob`) that take a value. */
const SHELL_VALUE_OPTIONS = new Set(['-o', '+o', '-O', '+O']);

export function unwrap(words: readonly Word[]): Unwrapped {
  const program = programName(words[0]?.text ?? '');
  if (SHELLS.has(program)) return unwrapShell(words);
  if (program === 'find') {
    const find = parseFind(words);
    return {
      outer: words,
      inner: find.execs.map((command) => ({ kind: 'argv', words: command, argsFromInput: false })),
    };
  }
  const spec = WRAPPERS[program];
  return spec ? unwrapWith(spec, words) : { outer: words, inner: [] };
}

/** `bash -c 'script' [$0 args…]`; without `-c` the shell runs a file or its input. */
function unwrapShell(words: readonly Word[]): Unwrapped {
  let hasScriptFlag = false;
  let i = 1;
  while (i < words.length) {
    const text = words[i]?.text ?? '';
    if (SHELL_VALUE_OPTIONS.has(text)) {
      i += 2;
      continue;
    }
    if (text === '--' || text === '-') {
      i += 1;
      break;
    }
    if (!/^[-+]/.test(text) || text.length < 2) break;
    if (!text.startsWith('--') && text.slice(1).includes('c')) hasScriptFlag = true;
    i += 1;
  }
  const script = words[i];
  if (!hasScriptFlag || !script) return { outer: words, inner: [] };
  return { outer: words.slice(0, i), inner: [{ kind: 'script', text: script.text }] };
}

function unwrapWith(spec: WrapperSpec, words: readonly Word[]): Unwrapped {
  const takesValue = new Set(spec.valueOptions);
  let cwd: string | undefined;
  let script: string | undefined;
  const option = (name: string, value: string): void => {
    if (spec.chdirOptions?.includes(name)) cwd = value;
    if (spec.scriptOptions?.includes(name)) script = value;
  };
  let i = 1;
  while (i < words.length) {
    const text = words[i]?.text ?? '';
    if (text === '--') {
      i += 1;
      break;
    }
    if (!text.startsWith('-') || text.length < 2) break;
    i += 1;
    if (text.startsWith('--')) {
      const eq = text.indexOf('=');
      const name = eq === -1 ? text.slice(2) : text.slice(2, eq);
      if (eq !== -1) option(name, text.slice(eq + 1));
      else if (takesValue.has(name)) {
        option(name, words[i]?.text ?? '');
        i += 1;
      }
      continue;
    }
    // A short cluster: the first letter that takes a value takes the rest, or the next word.
    for (let at = 1; at < text.length; at += 1) {
      const letter = text[at] as string;
      if (!takesValue.has(letter)) continue;
      const rest = text.slice(at + 1);
      if (rest !== '') option(letter, rest);
      else {
        option(letter, words[i]?.text ?? '');
        i += 1;
      }
      break;
    }
  }
  if (spec.assignments) {
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]?.text ?? '')) i += 1;
  }
  i += spec.leadingOperands ?? 0;
  const rest = words.slice(i);
  const outer = words.slice(0, Math.min(i, words.length));
  const inner: Inner[] = [];
  const where = cwd === undefined ? {} : { cwd };
  if (script !== undefined) inner.push({ kind: 'script', text: script, ...where });
  if (rest.length > 0) {
    inner.push(
      spec.joinsScript
        ? { kind: 'script', text: rest.map((word) => word.text).join(' '), ...where }
        : { kind: 'argv', words: rest, argsFromInput: spec.argsFromInput ?? false, ...where },
    );
  }
  return inner.length === 0 ? { outer: words, inner } : { outer, inner };
}
