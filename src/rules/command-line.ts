/**
 * A shell lexer, just deep enough for policy: words with their quotes
 * removed, control operators, redirects, and the constructs whose effect
 * cannot be known without running the shell (substitutions). It never runs
 * or expands anything; what it cannot read it reports as unanalyzable so the
 * rules can refuse it rather than guess.
 */

export type Word = {
  /** The word as the program receives it: quotes and escapes removed, variables left as text. */
  readonly text: string;
  /** The word as written, for segment text. */
  readonly raw: string;
};

export type RedirectDirection = 'in' | 'out';

export type Redirect = {
  readonly direction: RedirectDirection;
  readonly operator: string;
  readonly target: Word;
};

/** One simple command: `rm -rf build > log` is words [rm, -rf, build] and one redirect. */
export type RawSegment = {
  readonly words: readonly Word[];
  readonly redirects: readonly Redirect[];
};

export type CommandLine = {
  readonly segments: readonly RawSegment[];
  /** `$(…)`, backticks, `<(…)` or `>(…)` outside single quotes. */
  readonly substitution: boolean;
  /** Why the text could not be tokenised, if it could not. */
  readonly problem?: string;
};

type Token =
  | { readonly kind: 'word'; readonly word: Word }
  | { readonly kind: 'separator' }
  | { readonly kind: 'redirect'; readonly direction: RedirectDirection; readonly operator: string }
  | { readonly kind: 'heredoc'; readonly stripTabs: boolean }
  | { readonly kind: 'herestring' };

const SEPARATORS = ['&&', '||', '|&', ';;', '|', ';', '&', '(', ')', '\n'] as const;
const BLANK = /[ \t\r]/;
const REDIRECT = /(\d*)(&>>|&>|>>|>\||>&|<<<|<<-|<<|<>|<&|>|<)/y;
const DUPLICATED_DESCRIPTOR = /[ \t]*(\d+|-)(?=$|[ \t\r\n;&|()<>])/y;
const WORD_END = /[ \t\r\n;&|()<>]/;

class Lexer {
  readonly tokens: Token[] = [];
  substitution = false;
  problem: string | undefined;
  #pos = 0;
  readonly #text: string;
  /** Heredoc delimiters waiting for the end of the current line. */
  readonly #heredocs: { delimiter: string; stripTabs: boolean }[] = [];

  constructor(text: string) {
    this.#text = text;
  }

  run(): void {
    while (this.#pos < this.#text.length && this.problem === undefined) {
      const ch = this.#text[this.#pos] as string;
      if (BLANK.test(ch)) {
        this.#pos += 1;
      } else if (ch === '\\' && this.#text[this.#pos + 1] === '\n') {
        this.#pos += 2;
      } else if (ch === '#') {
        this.#skipComment();
      } else if (ch === '\n') {
        this.#pos += 1;
        this.tokens.push({ kind: 'separator' });
        this.#skipHeredocBodies();
      } else if (!this.#redirect() && !this.#separator()) {
        this.#word();
      }
    }
  }

  #skipComment(): void {
    while (this.#pos < this.#text.length && this.#text[this.#pos] !== '\n') this.#pos += 1;
  }

  #separator(): boolean {
    for (const op of SEPARATORS) {
      if (this.#text.startsWith(op, this.#pos)) {
        if (op === '&' && this.#text.startsWith('&>', this.#pos)) return false;
        this.#pos += op.length;
        this.tokens.push({ kind: 'separator' });
        return true;
      }
    }
    return false;
  }

  /** `>`, `>>`, `2>`, `&>`, `>|`, `<`, `<<`, `<<<`, `2>&1`, `<(…)`. */
  #redirect(): boolean {
    const match = this.#at(REDIRECT);
    if (!match) return false;
    const fd = match[1] ?? '';
    const op = match[2] ?? '';
    const after = this.#text[this.#pos + match[0].length];
    if (fd === '' && (op === '<' || op === '>') && after === '(') {
      // Process substitution: a command runs, and its output stands in for a file.
      this.substitution = true;
      const end = this.#closingParen(this.#pos + 1);
      if (end === undefined) return true;
      const raw = this.#text.slice(this.#pos, end + 1);
      this.#pos = end + 1;
      this.#pushWord({ text: raw, raw });
      return true;
    }
    this.#pos += match[0].length;
    if (op === '<<' || op === '<<-') {
      this.tokens.push({ kind: 'heredoc', stripTabs: op === '<<-' });
      return true;
    }
    if (op === '<<<') {
      this.tokens.push({ kind: 'herestring' });
      return true;
    }
    if (op === '>&' || op === '<&') {
      // `2>&1`, `>&2`, `<&-` duplicate descriptors; `>&file` is bash for `&>file`.
      const dup = this.#at(DUPLICATED_DESCRIPTOR);
      if (dup) {
        this.#pos += dup[0].length;
        return true;
      }
    }
    const direction: RedirectDirection = op.includes('>') ? 'out' : 'in';
    this.tokens.push({ kind: 'redirect', direction, operator: `${fd}${op}` });
    return true;
  }

  /** Matches a sticky pattern at the cursor, without copying the rest of the text. */
  #at(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.#pos;
    return pattern.exec(this.#text);
  }

  #word(): void {
    const start = this.#pos;
    let text = '';
    while (this.#pos < this.#text.length) {
      const ch = this.#text[this.#pos] as string;
      if (WORD_END.test(ch)) break;
      if (ch === '\\') {
        const next = this.#text[this.#pos + 1];
        if (next === undefined) {
          this.problem = 'a trailing backslash';
          return;
        }
        if (next !== '\n') text += next;
        this.#pos += 2;
      } else if (ch === "'") {
        const end = this.#text.indexOf("'", this.#pos + 1);
        if (end === -1) {
          this.problem = 'an unterminated single quote';
          return;
        }
        text += this.#text.slice(this.#pos + 1, end);
        this.#pos = end + 1;
      } else if (ch === '"') {
        const inner = this.#doubleQuoted();
        if (inner === undefined) return;
        text += inner;
      } else if (ch === '`') {
        this.substitution = true;
        const end = this.#text.indexOf('`', this.#pos + 1);
        if (end === -1) {
          this.problem = 'an unterminated backtick';
          return;
        }
        text += this.#text.slice(this.#pos, end + 1);
        this.#pos = end + 1;
      } else if (ch === '$' && this.#text[this.#pos + 1] === '(') {
        this.substitution = true;
        const end = this.#closingParen(this.#pos + 1);
        if (end === undefined) return;
        text += this.#text.slice(this.#pos, end + 1);
        this.#pos = end + 1;
      } else {
        text += ch;
        this.#pos += 1;
      }
    }
    this.#pushWord({ text, raw: this.#text.slice(start, this.#pos) });
  }

  #pushWord(word: Word): void {
    // A heredoc's body starts on the next line and ends at its delimiter word.
    const previous = this.tokens.at(-1);
    if (previous?.kind === 'heredoc') {
      this.#heredocs.push({ delimiter: word.text, stripTabs: previous.stripTabs });
    }
    this.tokens.push({ kind: 'word', word });
  }

  /** The cursor is on `"`; returns the contents with escapes applied. */
  #doubleQuoted(): string | undefined {
    let text = '';
    this.#pos += 1;
    while (this.#pos < this.#text.length) {
      const ch = this.#text[this.#pos] as string;
      if (ch === '"') {
        this.#pos += 1;
        return text;
      }
      if (ch === '\\') {
        const next = this.#text[this.#pos + 1] ?? '';
        // Inside double quotes a backslash escapes only these.
        if ('$`"\\\n'.includes(next) && next !== '') {
          if (next !== '\n') text += next;
          this.#pos += 2;
          continue;
        }
      }
      if (ch === '`' || (ch === '$' && this.#text[this.#pos + 1] === '(')) {
        this.substitution = true;
      }
      text += ch;
      this.#pos += 1;
    }
    this.problem = 'an unterminated double quote';
    return undefined;
  }

  /** The index of the `)` matching the `(` at `open`, quotes respected. */
  #closingParen(open: number): number | undefined {
    let depth = 0;
    for (let i = open; i < this.#text.length; i += 1) {
      const ch = this.#text[i];
      if (ch === '\\') i += 1;
      else if (ch === "'") {
        const end = this.#text.indexOf("'", i + 1);
        if (end === -1) break;
        i = end;
      } else if (ch === '(') depth += 1;
      else if (ch === ')') {
        depth -= 1;
        if (depth === 0) return i;
      }
    }
    this.problem = 'an unterminated $(';
    return undefined;
  }

  /** After a newline: skip the bodies of the heredocs opened on the line just ended. */
  #skipHeredocBodies(): void {
    for (const { delimiter, stripTabs } of this.#heredocs.splice(0)) {
      for (;;) {
        if (this.#pos >= this.#text.length) return;
        const end = this.#text.indexOf('\n', this.#pos);
        const line = this.#text.slice(this.#pos, end === -1 ? undefined : end);
        this.#pos = end === -1 ? this.#text.length : end + 1;
        if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break;
      }
    }
  }
}

/** Tokenises a command line and splits it into simple commands. */
export function parseCommandLine(text: string): CommandLine {
  const lexer = new Lexer(text);
  lexer.run();
  if (lexer.problem !== undefined) {
    return { segments: [], substitution: lexer.substitution, problem: lexer.problem };
  }
  return { segments: group(lexer.tokens), substitution: lexer.substitution };
}

function group(tokens: readonly Token[]): RawSegment[] {
  const segments: RawSegment[] = [];
  let words: Word[] = [];
  let redirects: Redirect[] = [];
  const flush = (): void => {
    if (words.length > 0 || redirects.length > 0) segments.push({ words, redirects });
    words = [];
    redirects = [];
  };
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.kind === 'separator') {
      flush();
      continue;
    }
    if (token.kind === 'word') {
      words.push(token.word);
      continue;
    }
    const next = tokens[i + 1];
    const target = next?.kind === 'word' ? next.word : undefined;
    if (target) i += 1;
    // Heredoc delimiters and here-strings are data for the program, not files.
    if (token.kind === 'redirect' && target) {
      redirects.push({ direction: token.direction, operator: token.operator, target });
    }
  }
  flush();
  return segments;
}
