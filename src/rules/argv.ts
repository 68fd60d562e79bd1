/**
 * How a program reads its argv: which words are flags, which are operands,
 * which operands may name files. Mostly the getopt convention; the few
 * programs that differ in a way the policy cares about are spelled out.
 */
import type { Word } from './command-line.js';
import { parseFind } from './find.js';

export type Argv = {
  readonly program: string;
  /** Without dashes: `-rf` → r, f; `--force=x` → force. */
  readonly flags: readonly string[];
  readonly args: readonly string[];
  /** Operands (and option values) that may name a file. */
  readonly paths: readonly string[];
};

/** `/bin/rm` → `rm`: the policy is about what runs, not where it was found. */
export function programName(argv0: string): string {
  const trimmed = argv0.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || argv0;
}

/**
 * Interpreters stop reading their own options at the script (or `-m module`):
 * in `python -m pytest -c pytest.ini` the `-c` is pytest's, not Python's
 * inline-code flag.
 */
const OPTIONS_END_AT_FIRST_OPERAND: ReadonlySet<string> = new Set([
  'python',
  'python3',
  'node',
  'ruby',
  'perl',
  'php',
]);

/** dd takes `key=value` operands; these keys name files. */
const DD_FILE_KEYS: ReadonlySet<string> = new Set(['if', 'of']);

/** URLs and remote specs are operands but not local files. */
const NOT_A_PATH = /:\/\//;

/** An option value worth checking as a file: `--env-file=.env`, `--out=../x`. */
const looksLikePath = (value: string): boolean =>
  value.includes('/') || value.startsWith('.') || value.startsWith('~') || /\.\w+$/.test(value);

export function classifyArgv(words: readonly Word[]): Argv {
  const program = programName(words[0]?.text ?? '');
  if (program === 'find') {
    const find = parseFind(words);
    return { program, flags: find.flags, args: find.args, paths: find.startPaths };
  }
  const flags: string[] = [];
  const args: string[] = [];
  const paths: string[] = [];
  const stopAtOperand = OPTIONS_END_AT_FIRST_OPERAND.has(program);
  let optionsEnded = false;
  for (const word of words.slice(1)) {
    const text = word.text;
    if (!optionsEnded && text === '--') {
      optionsEnded = true;
      continue;
    }
    if (!optionsEnded && text.startsWith('--')) {
      const eq = text.indexOf('=');
      flags.push(eq === -1 ? text.slice(2) : text.slice(2, eq));
      const value = eq === -1 ? undefined : text.slice(eq + 1);
      if (value !== undefined && looksLikePath(value)) paths.push(value);
      continue;
    }
    if (!optionsEnded && text.startsWith('-') && text.length > 1) {
      flags.push(...text.slice(1));
      continue;
    }
    args.push(text);
    if (stopAtOperand) optionsEnded = true;
    if (program === 'dd') {
      const eq = text.indexOf('=');
      if (eq !== -1 && DD_FILE_KEYS.has(text.slice(0, eq))) paths.push(text.slice(eq + 1));
      continue;
    }
    if (!NOT_A_PATH.test(text)) paths.push(text);
  }
  return { program, flags: unique(flags), args, paths };
}

const unique = (items: readonly string[]): string[] => [...new Set(items)];
