/**
 * find(1) does not follow getopt: its start paths come first, then an
 * expression of single-dash words (`-name`, `-delete`), and `-exec … ;` runs
 * another command on every file found. That command is what matters.
 */
import type { Word } from './command-line.js';

export type FindCommand = {
  /** Where the search starts; `.` when none is given, as GNU find does. */
  readonly startPaths: readonly string[];
  /** Expression words without their dash: `name`, `delete`, `exec`. */
  readonly flags: readonly string[];
  /** Expression values: patterns, types, sizes. Not files. */
  readonly args: readonly string[];
  /** Each `-exec` command with `{}` replaced by the start paths (what it may be given). */
  readonly execs: readonly (readonly Word[])[];
};

/** Global options before the start paths; those listed take a value. */
const GLOBAL_OPTIONS = new Set(['-H', '-L', '-P']);
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-D', '-O']);
const EXEC_ACTIONS = new Set(['-exec', '-execdir', '-ok', '-okdir']);
const EXEC_END = new Set([';', '+']);

export function parseFind(words: readonly Word[]): FindCommand {
  let i = 1;
  while (i < words.length) {
    const text = words[i]?.text ?? '';
    if (GLOBAL_OPTIONS.has(text)) i += 1;
    else if (GLOBAL_OPTIONS_WITH_VALUE.has(text)) i += 2;
    else break;
  }
  const startPaths: string[] = [];
  for (; i < words.length; i += 1) {
    const text = words[i]?.text ?? '';
    if (text.startsWith('-') || text === '(' || text === '!' || text === ')') break;
    startPaths.push(text);
  }
  if (startPaths.length === 0) startPaths.push('.');

  const flags: string[] = [];
  const args: string[] = [];
  const execs: Word[][] = [];
  while (i < words.length) {
    const text = words[i]?.text ?? '';
    i += 1;
    if (EXEC_ACTIONS.has(text)) {
      flags.push(text.slice(1));
      const command: Word[] = [];
      while (i < words.length && !EXEC_END.has(words[i]?.text ?? '')) {
        const word = words[i] as Word;
        command.push(...substitute(word, startPaths));
        i += 1;
      }
      i += 1;
      if (command.length > 0) execs.push(command);
    } else if (text.startsWith('-') && text.length > 1) {
      flags.push(text.slice(1));
    } else {
      args.push(text);
    }
  }
  return { startPaths, flags: [...new Set(flags)], args, execs };
}

/** `{}` stands for each file found; the start paths are the widest it can be. */
function substitute(word: Word, startPaths: readonly string[]): Word[] {
  if (!word.text.includes('{}')) return [word];
  return startPaths.map((path) => {
    const text = word.text.split('{}').join(path);
    return { text, raw: text };
  });
}
