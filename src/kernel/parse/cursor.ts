/**
 * The parser's view of the token stream: lookahead, and errors that always
 * say what was expected and what was found.
 */
import { MangleSyntaxError } from './errors.js';
import type { Lexer } from './lexer.js';
import { describeToken, type Punctuation, type Token } from './tokens.js';

export class TokenCursor {
  private readonly ahead: Token[] = [];
  private previous: Token | undefined;

  constructor(private readonly lexer: Lexer) {}

  peek(offset = 0): Token {
    let token = this.ahead[offset];
    while (token === undefined) {
      this.ahead.push(this.lexer.next());
      token = this.ahead[offset];
    }
    return token;
  }

  next(): Token {
    const token = this.peek();
    this.ahead.shift();
    this.previous = token;
    return token;
  }

  isPunct(text: Punctuation, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'punct' && token.text === text;
  }

  /** A lowercase keyword (`descr`, `bound`, `do`, `let`, …). */
  isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'identifier' && token.text === word;
  }

  acceptPunct(text: Punctuation): boolean {
    if (!this.isPunct(text)) return false;
    this.next();
    return true;
  }

  expectPunct(text: Punctuation, context: string): Token {
    if (!this.isPunct(text)) this.fail(`"${text}" ${context}`);
    return this.next();
  }

  /** Throws "expected …, found …" at the next token. */
  fail(expected: string, hint = ''): never {
    const token = this.peek();
    throw new MangleSyntaxError(
      token.at,
      `expected ${expected}, found ${describeToken(token)}${hint}${this.swallowedPeriodHint()}`,
    );
  }

  /** Mangle's most common trap: `X = /a.` reads the clause's period as part of the name. */
  private swallowedPeriodHint(): string {
    const previous = this.previous;
    if (previous?.kind !== 'name' || !previous.text.endsWith('.')) return '';
    const bare = previous.text.replace(/\.+$/, '');
    return ` (the name "${previous.text}" took the period: write "${bare} ." to end the clause)`;
  }
}
