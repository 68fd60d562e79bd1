/** How a command reads for people and for the policy gate. */

/** Characters that need no quoting in a POSIX shell word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One POSIX shell word: unchanged when plain, else single-quoted. */
export function shellQuote(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A shell string as given; an argv array as a line that a POSIX shell would
 * split back into the same argv, so the gate and logs see exactly what runs.
 */
export function commandLine(command: string | readonly string[]): string {
  return typeof command === 'string' ? command : command.map(shellQuote).join(' ');
}
