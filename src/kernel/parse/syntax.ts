/**
 * Mangle's character classes and reserved words (parse/gen/Mangle.g4), shared
 * by the lexer, the parser and anything that generates Mangle text.
 */

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isLetterOrDigit = (c: number): boolean => isUpper(c) || isLower(c) || isDigit(c);

/** After the first letter of a predicate or function name: letters, digits, `:` and `_`. */
export const isIdentifierChar = (c: number): boolean => isLetterOrDigit(c) || c === 58 || c === 95;

/** Inside a `/name` segment: letters, digits and `. - _ ~ %`. */
export const isNameChar = (c: number): boolean =>
  isLetterOrDigit(c) || c === 46 || c === 45 || c === 95 || c === 126 || c === 37;

export const isHexDigit = (c: number): boolean =>
  isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * Words Mangle's lexer turns into keywords even where a predicate name is
 * expected, so Mangle rejects them as predicates; accepting them here would
 * let nerdloop print files Mangle cannot read.
 */
export const RESERVED_PREDICATE_NAMES: ReadonlySet<string> = new Set([
  'bound',
  'descr',
  'do',
  'inclusion',
  'let',
]);

/** Keywords shaped like variables. */
export const RESERVED_VARIABLE_NAMES: ReadonlySet<string> = new Set(['Decl', 'Package', 'Use']);

/** Mangle tells a function application from an atom by this prefix alone. */
export const isFunctionName = (name: string): boolean => name.startsWith('fn:');
