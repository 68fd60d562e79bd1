/**
 * The checks that need nothing but the string: anything refused here is
 * refused before the file system is touched. They look for input that some
 * layer between the model and the kernel might read differently from how
 * the kernel reads it (a shell, a URL decoder, Windows, a Unicode
 * normalizer), because the sandbox can only vouch for the kernel's reading.
 */
import { invalidPath } from './errors.js';

/** Linux PATH_MAX and NAME_MAX, in bytes of UTF-8 as the kernel counts them. */
export const MAX_PATH_BYTES = 4096;
export const MAX_COMPONENT_BYTES = 255;

/**
 * Characters that render as nothing or reorder what follows (bidi
 * overrides, zero-width space, BOM, line separators), so the name shown is
 * not the name used. ZWJ and ZWNJ are left alone: scripts such as Persian
 * and Hindi need them in ordinary words.
 */
const INVISIBLE = /[\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

const LONE_SURROGATE = /\p{Cs}/u;

const DRIVE_LETTER = /^[A-Za-z]:/;

/**
 * A percent escape that some decoder would turn into `.`, `/`, `\` or NUL,
 * including double encoding (`%252f`) and the overlong UTF-8 forms old
 * decoders accepted (`%c0%af`). The kernel never decodes, but a tool or a
 * shell script downstream might.
 */
const PERCENT_ENCODED = /%(?:25)*(?:2e|2f|5c|00)|%c0%(?:ae|af|80)|%c1%(?:9c|81)|%e0%80%af/i;

/**
 * Lookalikes NFKC leaves alone, so the per-character NFKC test below cannot
 * see them: slashes and backslashes from mathematical and other blocks, and
 * the combining overlays that draw a slash through the previous character.
 */
const LOOKALIKES = new Set([
  '\u0337',
  '\u0338',
  '\u2044',
  '\u2215',
  '\u2216',
  '\u27cb',
  '\u27cd',
  '\u29f5',
  '\u29f8',
  '\u29f9',
]);

/** Throws `PathInvalidError` naming the first thing wrong with the path. */
export function assertValidPath(path: unknown): asserts path is string {
  if (typeof path !== 'string') throw invalidPath(path, 'not_a_string', 'is not a string');
  if (path.length === 0) throw invalidPath(path, 'empty', 'is empty');
  if (path.includes('\0')) throw invalidPath(path, 'nul_byte', 'contains a NUL byte');
  const control = firstControl(path);
  if (control !== undefined) {
    throw invalidPath(
      path,
      'control_character',
      `contains a control character (${codePoint(control)})`,
    );
  }
  const invisible = INVISIBLE.exec(path);
  if (invisible) {
    throw invalidPath(
      path,
      'invisible_character',
      `contains an invisible formatting character (${codePoint(invisible[0])})`,
    );
  }
  // A lone surrogate is written as U+FFFD, so the name used is not the name given.
  if (LONE_SURROGATE.test(path)) {
    throw invalidPath(path, 'lone_surrogate', 'contains a lone UTF-16 surrogate');
  }
  assertLengths(path);
  assertPosixSpelling(path);
  assertNoLookalike(path);
}

function assertLengths(path: string): void {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_PATH_BYTES) {
    throw invalidPath(path, 'too_long', `is ${bytes} bytes long, over ${MAX_PATH_BYTES}`);
  }
  for (const component of path.split('/')) {
    const componentBytes = Buffer.byteLength(component, 'utf8');
    if (componentBytes > MAX_COMPONENT_BYTES) {
      throw invalidPath(
        path,
        'component_too_long',
        `has a component of ${componentBytes} bytes, over ${MAX_COMPONENT_BYTES}`,
      );
    }
  }
}

/** Spellings that mean something else on Windows, to a shell, or to a URL decoder. */
function assertPosixSpelling(path: string): void {
  if (path.includes('\\')) {
    throw invalidPath(path, 'backslash', 'contains a backslash (a Windows separator)');
  }
  if (DRIVE_LETTER.test(path)) {
    throw invalidPath(path, 'drive_letter', 'starts with a Windows drive letter');
  }
  // POSIX leaves a leading `//` implementation-defined; Cygwin and others read it as UNC.
  if (path.startsWith('//')) {
    throw invalidPath(path, 'unc', 'starts with `//` (a UNC or network path)');
  }
  if (path.startsWith('~')) {
    throw invalidPath(path, 'home', 'starts with `~` (a home directory only a shell expands)');
  }
  const encoded = PERCENT_ENCODED.exec(path);
  if (encoded) {
    throw invalidPath(
      path,
      'percent_encoded',
      `contains ${JSON.stringify(encoded[0])}, a percent-encoded dot, separator or NUL`,
    );
  }
}

/**
 * Any character a Unicode normalizer would turn into `/`, `\`, `.` or `..`
 * (fullwidth solidus, one-dot leader, …), or one on the explicit list.
 * Checked per character, not on the whole string, so that decomposed
 * accents (`cafe\u0301`), which NFKC also rewrites, stay allowed.
 */
function assertNoLookalike(path: string): void {
  for (const character of path) {
    if (character.charCodeAt(0) < 0x80) continue;
    const normalized = character.normalize('NFKC');
    const looksLike =
      LOOKALIKES.has(character) ||
      normalized.includes('/') ||
      normalized.includes('\\') ||
      normalized === '.' ||
      normalized === '..';
    if (looksLike) {
      throw invalidPath(
        path,
        'lookalike',
        `contains ${codePoint(character)}, a lookalike of a path separator or dot`,
      );
    }
  }
}

/** C0, DEL and C1: no file name needs them, and they hide in logs and terminals. */
function firstControl(path: string): string | undefined {
  for (const character of path) {
    const code = character.charCodeAt(0);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return character;
  }
  return undefined;
}

function codePoint(character: string): string {
  const point = character.codePointAt(0) ?? 0;
  return `U+${point.toString(16).toUpperCase().padStart(4, '0')}`;
}
