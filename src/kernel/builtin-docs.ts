/**
 * The builtins' reference, kept next to the code: a signature and a meaning
 * for every function, reducer and builtin predicate. docs/kernel.md embeds
 * `builtinTables()` verbatim, and test/kernel.test.ts checks that this list
 * names exactly the builtins of builtins.ts, with their arities, and that the
 * docs carry the current tables — so the reference cannot drift.
 *
 * Signatures: `…` means "any number more"; `[, N]` an optional argument.
 */
export type BuiltinDoc = { readonly signature: string; readonly meaning: string };

export const FUNCTION_DOCS: readonly BuiltinDoc[] = [
  { signature: 'fn:plus(A, …)', meaning: 'integer sum (64-bit, wraps like Go)' },
  { signature: 'fn:minus(A, …)', meaning: '`-A` with one argument, else `A - B - …`' },
  { signature: 'fn:mult(A, …)', meaning: 'integer product' },
  {
    signature: 'fn:div(A, B, …)',
    meaning: '`A / B / …`, truncating toward zero; a zero divisor is an evaluation error',
  },
  {
    signature: 'fn:mod(A, B)',
    meaning: 'remainder of the truncating division (sign of `A`); `B = 0` is an evaluation error',
  },
  { signature: 'fn:float:plus(A, …)', meaning: 'float sum; integers are converted' },
  {
    signature: 'fn:float:minus(A, …)',
    meaning: '`A - B - …` as floats (one argument: `A` as a float, not negated)',
  },
  { signature: 'fn:float:mult(A, …)', meaning: 'float product' },
  {
    signature: 'fn:float:div(A, …)',
    meaning: '`A / B / …` as floats; a zero divisor gives an infinity, not an error',
  },
  { signature: 'fn:list(…)', meaning: 'a list of the arguments; `[A, B]` is the same' },
  { signature: 'fn:list:len(L)', meaning: 'the number of items' },
  {
    signature: 'fn:list:get(L, I)',
    meaning: 'the item at 0-based index `I`; out of range: no value, the premise fails',
  },
  { signature: 'fn:list:cons(X, L)', meaning: '`L` with `X` in front' },
  { signature: 'fn:list:append(L, X)', meaning: '`L` with `X` at the end' },
  { signature: 'fn:list:contains(L, X)', meaning: '`/true` or `/false`' },
  { signature: 'fn:pair(A, B)', meaning: 'a pair' },
  {
    signature: 'fn:string:concat(…)',
    meaning: 'the arguments as text, joined: strings as they are, other values as printed',
  },
  {
    signature: 'fn:string:replace(S, Old, New[, N])',
    meaning:
      '`S` with the first `N` occurrences of `Old` replaced by `New` (no `N`, or a negative one: all); an empty `Old` changes nothing',
  },
  {
    signature: 'fn:number:to_string(N)',
    meaning: 'an integer or float as printed (`3`, `2.5`)',
  },
  { signature: 'fn:name:to_string(N)', meaning: 'a name as a string, slash included (`"/coder"`)' },
];

export const REDUCER_DOCS: readonly BuiltinDoc[] = [
  { signature: 'fn:count()', meaning: 'the number of rows in the group' },
  { signature: 'fn:count_distinct(X)', meaning: 'the number of distinct values of `X`' },
  { signature: 'fn:sum(X)', meaning: 'integer sum' },
  { signature: 'fn:max(X)', meaning: 'largest integer' },
  { signature: 'fn:min(X)', meaning: 'smallest integer' },
  { signature: 'fn:avg(X)', meaning: 'mean of the numbers, a float' },
  { signature: 'fn:float:sum(X)', meaning: 'float sum; integers are converted' },
  { signature: 'fn:float:max(X)', meaning: 'largest number, as a float' },
  { signature: 'fn:float:min(X)', meaning: 'smallest number, as a float' },
  {
    signature: 'fn:collect(X, …)',
    meaning: 'a list of `X` per row (with several arguments, a list of lists), duplicates kept',
  },
  { signature: 'fn:collect_distinct(X, …)', meaning: 'the same without duplicates' },
];

export const PREDICATE_DOCS: readonly BuiltinDoc[] = [
  {
    signature: ':string:contains(S, Part)',
    meaning: '`S` contains `Part`; false, not an error, when either is not a string',
  },
  { signature: ':string:starts_with(S, Prefix)', meaning: '`S` starts with `Prefix`; likewise' },
  { signature: ':string:ends_with(S, Suffix)', meaning: '`S` ends with `Suffix`; likewise' },
  {
    signature: ':list:member(X, L)',
    meaning:
      '`X` is an item of `L`; an unbound `X` enumerates the distinct items; false when `L` is not a list',
  },
  { signature: ':lt(A, B)', meaning: '`A < B`' },
  { signature: ':le(A, B)', meaning: '`A <= B`' },
  { signature: ':gt(A, B)', meaning: '`A > B`' },
  { signature: ':ge(A, B)', meaning: '`A >= B`' },
];

/** The builtin's name in a signature. */
export const signatureName = (signature: string): string =>
  signature.slice(0, signature.indexOf('('));

function table(header: string, docs: readonly BuiltinDoc[]): string {
  const rows = docs.map((doc) => [`\`${doc.signature}\``, doc.meaning] as const);
  const width = (column: 0 | 1, title: string) =>
    Math.max(title.length, ...rows.map((row) => row[column].length));
  const left = width(0, header);
  const right = width(1, 'meaning');
  const line = (a: string, b: string) => `| ${a.padEnd(left)} | ${b.padEnd(right)} |`;
  return [
    line(header, 'meaning'),
    `| ${'-'.repeat(left)} | ${'-'.repeat(right)} |`,
    ...rows.map(([a, b]) => line(a, b)),
  ].join('\n');
}

/** The three reference tables, as docs/kernel.md embeds them. */
export function builtinTables(): string {
  return [
    'Functions, usable wherever a value goes once their arguments are bound:',
    '',
    table('function', FUNCTION_DOCS),
    '',
    'Reducers, only in a transform after `do fn:group_by(…)`, as `let V = reducer(…)`:',
    '',
    table('reducer', REDUCER_DOCS),
    '',
    'Builtin predicates, as premises:',
    '',
    table('predicate', PREDICATE_DOCS),
  ].join('\n');
}
