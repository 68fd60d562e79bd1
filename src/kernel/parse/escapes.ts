/**
 * String escapes, both ways. Mangle's escapes are `\n \t \" \' \\`, `\xhh`,
 * `\u{hhhh}` (4 to 6 hex digits) and a backslash before a line break, which
 * keeps the line break. There is no `\r`.
 */
import { isHexDigit } from './syntax.js';
import { describeCharAt } from './tokens.js';

export type DecodedEscape =
  | { readonly ok: true; readonly value: string; readonly length: number }
  | { readonly ok: false; readonly reason: string };

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  '"': '"',
  "'": "'",
  '\\': '\\',
  '\n': '\n',
};

const EXPECTED_ESCAPE =
  'an escape sequence (\\n, \\t, \\", \\\', \\\\, \\xhh, \\u{hhhh} or \\ before a line break)';

const fail = (reason: string): DecodedEscape => ({ ok: false, reason });

/** Decodes the escape whose backslash is at `index`. */
export function decodeEscape(text: string, index: number): DecodedEscape {
  const letter = text[index + 1];
  if (letter === undefined) return fail(`expected ${EXPECTED_ESCAPE}, found end of input`);
  const simple = SIMPLE_ESCAPES[letter];
  if (simple !== undefined) return { ok: true, value: simple, length: 2 };
  if (letter === 'x') return decodeByteEscape(text, index);
  if (letter === 'u') return decodeUnicodeEscape(text, index);
  const found = letter === '\r' ? '"\\" before a carriage return' : `"\\${letter}"`;
  const hint = letter === 'r' ? ' (write \\u{000d} for a carriage return)' : '';
  return fail(`expected ${EXPECTED_ESCAPE}, found ${found}${hint}`);
}

function decodeByteEscape(text: string, index: number): DecodedEscape {
  const digits = text.slice(index + 2, index + 4);
  if (digits.length < 2 || ![...digits].every((d) => isHexDigit(d.charCodeAt(0)))) {
    const at = isHexDigit(text.charCodeAt(index + 2)) ? index + 3 : index + 2;
    return fail(`expected two hex digits after "\\x", found ${describeCharAt(text, at)}`);
  }
  const code = Number.parseInt(digits, 16);
  // In Go a text string holds bytes, so \x80 and above make invalid UTF-8;
  // a JavaScript string cannot hold a lone byte, so refuse rather than guess.
  if (code > 0x7f) {
    return fail(
      `expected \\x00 to \\x7f in a text string, found "\\x${digits}" (write \\u{${digits.toLowerCase().padStart(4, '0')}} for the character U+${digits.toUpperCase().padStart(4, '0')})`,
    );
  }
  return { ok: true, value: String.fromCharCode(code), length: 4 };
}

function decodeUnicodeEscape(text: string, index: number): DecodedEscape {
  if (text[index + 2] !== '{') {
    return fail(`expected "{" after "\\u", found ${describeCharAt(text, index + 2)}`);
  }
  let end = index + 3;
  while (end - (index + 3) < 6 && isHexDigit(text.charCodeAt(end))) end++;
  const digits = text.slice(index + 3, end);
  if (digits.length < 4 || text[end] !== '}') {
    const expected = digits.length < 4 ? '4 to 6 hex digits' : '"}"';
    return fail(`expected ${expected} in "\\u{…}", found ${describeCharAt(text, end)}`);
  }
  const code = Number.parseInt(digits, 16);
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
    return fail(`expected a Unicode scalar value in "\\u{…}", found "\\u{${digits}}"`);
  }
  return { ok: true, value: String.fromCodePoint(code), length: end + 1 - index };
}

function escapeCode(code: number): string {
  switch (code) {
    case 34:
      return '\\"';
    case 92:
      return '\\\\';
    case 10:
      return '\\n';
    case 9:
      return '\\t';
    default:
      // Mangle's grammar only takes lowercase hex digits.
      return `\\u{${code.toString(16).padStart(4, '0')}}`;
  }
}

const needsEscape = (code: number): boolean =>
  code === 34 || code === 92 || code < 32 || code === 127;

/** A double-quoted Mangle string literal that reads back as exactly `value`. */
export function quoteString(value: string): string {
  let quoted = '"';
  let chunkStart = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (!needsEscape(code)) continue;
    quoted += value.slice(chunkStart, i) + escapeCode(code);
    chunkStart = i + 1;
  }
  return `${quoted}${value.slice(chunkStart)}"`;
}
