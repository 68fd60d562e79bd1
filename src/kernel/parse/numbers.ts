/** Number ranges and float spelling shared by the lexer and the printer. */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go would print 3.0 as `3`, but `3` reads back as an integer and Mangle keeps
 * integers and floats apart, so a float always gets a fraction: `3.0`,
 * `1.0e+21`. JavaScript's `String(number)` is already the shortest text that
 * reads back to the same double, so only the fraction needs adding.
 */
export function formatFloat(value: number): string {
  // Mangle has no syntax for these; they only come from arithmetic, and are
  // printed the way Go prints them so a reader recognises them.
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  // String(-0) is "0", which would read back as +0.
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  const exponentAt = text.indexOf('e');
  const mantissa = exponentAt === -1 ? text : text.slice(0, exponentAt);
  const exponent = exponentAt === -1 ? '' : text.slice(exponentAt);
  return mantissa.includes('.') ? text : `${mantissa}.0${exponent}`;
}
