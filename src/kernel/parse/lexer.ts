/**
 * Turns Mangle text into tokens, one at a time, so the first error reported
 * is the first one in the file whether the lexer or the parser finds it.
 * Token boundaries follow Mangle's ANTLR lexer exactly: longest match,
 * without regard to context (hence `/a.` swallowing the period, `-7` always
 * being one token and `[-`, `<-` being temporal operators).
 */
import type { Position } from '../ast.js';
import { MangleSyntaxError } from './errors.js';
import { decodeEscape } from './escapes.js';
import { INT64_MAX, INT64_MIN } from './numbers.js';
import {
  isDigit,
  isIdentifierChar,
  isLetterOrDigit,
  isLower,
  isNameChar,
  isUpper,
} from './syntax.js';
import { describeCharAt, type Punctuation, type Token } from './tokens.js';

const QUOTE_NAMES: Readonly<Record<number, string>> = {
  34: 'double quote',
  39: 'single quote',
  96: 'backquote',
};

const OPERATOR_HINTS: Readonly<Record<string, string>> = {
  '+': ' (Mangle has no arithmetic operators: use fn:plus(A, B))',
  '*': ' (Mangle has no arithmetic operators: use fn:mult(A, B))',
  ';': ' (premises are separated by ",")',
};

const isWordChar = (c: number): boolean => isLetterOrDigit(c) || c === 95;

export class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    // A byte-order mark is an editor artefact, not part of the program.
    if (text.charCodeAt(0) === 0xfeff) {
      this.pos = 1;
      this.lineStart = 1;
    }
  }

  next(): Token {
    this.skipTrivia();
    const start = this.pos;
    const at = this.position(start);
    const text = this.text;
    if (start >= text.length) return { kind: 'eof', text: '', at };
    const c = text.charCodeAt(start);
    const following = text.charCodeAt(start + 1);
    switch (c) {
      case 40:
        return this.punct('(', at);
      case 41:
        return this.punct(')', at);
      case 93:
        return this.punct(']', at);
      case 123:
        return this.punct('{', at);
      case 125:
        return this.punct('}', at);
      case 44:
        return this.punct(',', at);
      case 64:
        return this.punct('@', at);
      case 61:
        return this.punct('=', at);
      case 0x27f8:
        return this.punct('⟸', at);
      case 91:
        if (following === 45) {
          this.fail(
            at,
            'expected "[" followed by a term, found "[-", which Mangle reads as a temporal operator: write "[ -1]" for a list that starts with a negative number',
          );
        }
        if (following === 43) {
          this.fail(
            at,
            'expected "[" followed by a term, found "[+", which Mangle reads as a temporal operator (temporal reasoning is not supported)',
          );
        }
        return this.punct('[', at);
      case 46:
        return isDigit(following) ? this.number(at) : this.punct('.', at);
      case 58:
        if (following === 45) return this.punct(':-', at);
        return isLower(following) ? this.identifier(at) : this.punct(':', at);
      case 124:
        if (following !== 62) this.fail(at, `expected "|>", found "|"`);
        return this.punct('|>', at);
      case 33:
        return following === 61 ? this.punct('!=', at) : this.punct('!', at);
      case 60:
        if (following === 61) return this.punct('<=', at);
        if (following === 45) {
          this.fail(
            at,
            'expected "<" or "<=", found "<-", which Mangle reads as a temporal operator: write "X < -1" to compare with a negative number',
          );
        }
        if (following === 43) {
          this.fail(
            at,
            'expected "<" or "<=", found "<+", which Mangle reads as a temporal operator (temporal reasoning is not supported)',
          );
        }
        return this.punct('<', at);
      case 62:
        return following === 61 ? this.punct('>=', at) : this.punct('>', at);
      case 34:
      case 39:
      case 96:
        return this.string(at, c);
      case 47:
        return this.name(at);
      case 45:
        if (isDigit(following) || (following === 46 && isDigit(text.charCodeAt(start + 2)))) {
          return this.number(at);
        }
        return this.fail(
          at,
          `expected a digit after "-", found ${describeCharAt(text, start + 1)} (Mangle has no minus operator: use fn:minus(A, B))`,
        );
      case 95:
        return this.wildcard(at);
    }
    if (isDigit(c)) return this.number(at);
    if (isUpper(c)) return this.variable(at);
    if (isLower(c)) return this.identifier(at);
    const found = describeCharAt(text, start);
    return this.fail(
      at,
      `expected a Mangle token, found ${found}${OPERATOR_HINTS[text[start] ?? ''] ?? ''}`,
    );
  }

  private position(offset: number): Position {
    return { file: this.file, line: this.line, column: offset - this.lineStart + 1 };
  }

  private fail(at: Position, reason: string): never {
    throw new MangleSyntaxError(at, reason);
  }

  private skipTrivia(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 13 || c === 12) {
        pos++;
      } else if (c === 10) {
        pos++;
        this.line++;
        this.lineStart = pos;
      } else if (c === 35) {
        const end = text.indexOf('\n', pos);
        pos = end === -1 ? text.length : end;
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  private punct(text: Punctuation, at: Position): Token {
    this.pos += text.length;
    return { kind: 'punct', text, at };
  }

  private wordEnd(from: number): number {
    let end = from;
    while (isWordChar(this.text.charCodeAt(end))) end++;
    return end;
  }

  private wildcard(at: Position): Token {
    const start = this.pos;
    if (isWordChar(this.text.charCodeAt(start + 1))) {
      const word = this.text.slice(start, this.wordEnd(start + 1));
      this.fail(
        at,
        `expected "_" alone or a variable starting with an uppercase letter, found "${word}"`,
      );
    }
    this.pos = start + 1;
    return { kind: 'wildcard', text: '_', at };
  }

  private variable(at: Position): Token {
    const text = this.text;
    const start = this.pos;
    let end = start + 1;
    while (isLetterOrDigit(text.charCodeAt(end))) end++;
    if (text.charCodeAt(end) === 95) {
      const word = text.slice(start, this.wordEnd(end));
      const suggestion = word.replace(/_+([A-Za-z0-9]?)/g, (_, next: string) => next.toUpperCase());
      this.fail(
        at,
        `expected a variable of letters and digits, found "${word}": Mangle variables cannot contain "_" (write ${suggestion})`,
      );
    }
    this.pos = end;
    return { kind: 'variable', text: text.slice(start, end), at };
  }

  private identifier(at: Position): Token {
    const text = this.text;
    const start = this.pos;
    // A leading ':' (builtin predicates) has already been checked to precede a letter.
    let end = text.charCodeAt(start) === 58 ? start + 2 : start + 1;
    for (;;) {
      const c = text.charCodeAt(end);
      if (isIdentifierChar(c)) end++;
      else if (c === 46 && isIdentifierChar(text.charCodeAt(end + 1))) end += 2;
      else break;
    }
    const word = text.slice(start, end);
    const after = text.charCodeAt(end);
    if (word === 'b' && (after === 34 || after === 39 || after === 96)) {
      this.fail(at, 'expected a term, found a byte string (b"…"), which nerdloop does not support');
    }
    this.pos = end;
    return { kind: 'identifier', text: word, at };
  }

  private name(at: Position): Token {
    const text = this.text;
    const start = this.pos;
    let end = start + 1;
    if (!isNameChar(text.charCodeAt(end))) {
      const next = text.charCodeAt(end);
      const hint = next === 47 || next === 42 ? ' (comments start with "#")' : '';
      this.fail(
        this.position(end),
        `expected a name segment after "/", found ${describeCharAt(text, end)}${hint}`,
      );
    }
    for (;;) {
      while (isNameChar(text.charCodeAt(end))) end++;
      if (text.charCodeAt(end) === 47 && isNameChar(text.charCodeAt(end + 1))) end++;
      else break;
    }
    this.pos = end;
    return { kind: 'name', text: text.slice(start, end), at };
  }

  private number(at: Position): Token {
    const text = this.text;
    const start = this.pos;
    let end = text.charCodeAt(start) === 45 ? start + 1 : start;
    let isFloat = false;
    while (isDigit(text.charCodeAt(end))) end++;
    if (text.charCodeAt(end) === 46 && isDigit(text.charCodeAt(end + 1))) {
      isFloat = true;
      end++;
      while (isDigit(text.charCodeAt(end))) end++;
      end = this.exponentEnd(end);
    }
    if (isWordChar(text.charCodeAt(end))) {
      const word = text.slice(start, this.wordEnd(end));
      const e = text[end] === 'e' || text[end] === 'E';
      const hint = e
        ? 'Mangle writes exponents only after a fraction, as in 1.0e3'
        : 'names and variables cannot start with a digit';
      this.fail(at, `expected a number, found "${word}" (${hint})`);
    }
    const literal = text.slice(start, end);
    this.pos = end;
    if (isFloat) {
      const value = Number(literal);
      if (!Number.isFinite(value)) {
        this.fail(at, `expected a float within the 64-bit range, found ${literal}`);
      }
      return { kind: 'float', text: literal, value, at };
    }
    const value = BigInt(literal);
    if (value < INT64_MIN || value > INT64_MAX) {
      this.fail(at, `expected an integer between ${INT64_MIN} and ${INT64_MAX}, found ${literal}`);
    }
    return { kind: 'int', text: literal, value, at };
  }

  private exponentEnd(from: number): number {
    const text = this.text;
    const c = text.charCodeAt(from);
    if (c !== 101 && c !== 69) return from;
    const sign = text.charCodeAt(from + 1);
    let end = sign === 43 || sign === 45 ? from + 2 : from + 1;
    if (!isDigit(text.charCodeAt(end))) return from;
    while (isDigit(text.charCodeAt(end))) end++;
    return end;
  }

  private string(at: Position, quote: number): Token {
    const text = this.text;
    const start = this.pos;
    let i = start + 1;
    let chunkStart = i;
    let value = '';
    for (;;) {
      if (i >= text.length) {
        this.fail(
          at,
          `expected a closing ${QUOTE_NAMES[quote] ?? 'quote'} for the string that starts here, found end of input`,
        );
      }
      const c = text.charCodeAt(i);
      if (c === quote) break;
      if (c === 92) {
        value += text.slice(chunkStart, i);
        const decoded = decodeEscape(text, i);
        if (!decoded.ok) this.fail(this.position(i), decoded.reason);
        if (text.charCodeAt(i + 1) === 10) {
          this.line++;
          this.lineStart = i + 2;
        }
        value += decoded.value;
        i += decoded.length;
        chunkStart = i;
        continue;
      }
      if (c === 10) {
        this.line++;
        this.lineStart = i + 1;
      }
      i++;
    }
    value += text.slice(chunkStart, i);
    this.pos = i + 1;
    return { kind: 'string', text: text.slice(start, i + 1), value, at };
  }
}
