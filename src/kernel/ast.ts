/**
 * The syntax tree of a Mangle program, shared by the parser, the printer, the
 * analyzer and the evaluator. Every node that a message can point at carries
 * its source position.
 */

export type Position = {
  /** The file the text came from (`<input>` for a string). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
};

/**
 * A ground value. Names, strings, integers and floats are distinct types, as
 * in Mangle: `/a` ≠ `"a"` and `1` ≠ `1.0`. Integers are 64-bit (bigint wrapped
 * with `BigInt.asIntN(64, …)`), so arithmetic matches Mangle's Go engine.
 */
export type Value =
  | { readonly type: 'name'; readonly value: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'list'; readonly items: readonly Value[] }
  | { readonly type: 'pair'; readonly first: Value; readonly second: Value };

export type Term =
  /** `X`, `Persona`: uppercase first letter, letters and digits only. */
  | { readonly kind: 'var'; readonly name: string; readonly at: Position }
  /** `_`: a fresh variable at each occurrence. */
  | { readonly kind: 'wildcard'; readonly at: Position }
  | { readonly kind: 'const'; readonly value: Value; readonly at: Position }
  /** `fn:plus(A, 1)`: a function application, evaluated once its arguments are bound. */
  | {
      readonly kind: 'apply';
      readonly fn: string;
      readonly args: readonly Term[];
      readonly at: Position;
    }
  /** `[A, /b, 3]`: a list built from terms (sugar for `fn:list`). */
  | { readonly kind: 'list'; readonly items: readonly Term[]; readonly at: Position };

/** `pred(T1, …, Tn)`; builtin predicates are named with a leading colon (`:string:contains`). */
export type Atom = {
  readonly predicate: string;
  readonly args: readonly Term[];
  readonly at: Position;
};

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** One premise of a rule body. */
export type Literal =
  | { readonly kind: 'atom'; readonly atom: Atom }
  | { readonly kind: 'negation'; readonly atom: Atom; readonly at: Position }
  | {
      readonly kind: 'comparison';
      readonly op: ComparisonOperator;
      readonly left: Term;
      readonly right: Term;
      readonly at: Position;
    };

/** `let N = fn:count()` inside a transform. */
export type LetBinding = {
  readonly variable: string;
  readonly fn: string;
  readonly args: readonly Term[];
  readonly at: Position;
};

/**
 * One `|> …` stage: `do fn:group_by(K…), let …` (an aggregation) or only
 * `let …` (a per-row mapping). `groupBy` is null for a let-only stage.
 */
export type TransformStage = {
  readonly groupBy: readonly string[] | null;
  readonly lets: readonly LetBinding[];
  readonly at: Position;
};

/** A fact is a clause with an empty body and no transforms. */
export type Clause = {
  readonly head: Atom;
  readonly body: readonly Literal[];
  readonly transforms: readonly TransformStage[];
  /** Which arrow the source used, so printing gives the text back. */
  readonly arrow: ':-' | '⟸' | null;
  readonly at: Position;
};

/**
 * `Decl pred(A, B) descr [doc("…"), mode("-", "+"), external()] bound [/name, /string].`
 * Several `bound` blocks are alternatives.
 */
export type Declaration = {
  readonly predicate: string;
  /** The declared parameter variables, in order; the arity is their count. */
  readonly params: readonly string[];
  readonly descr: readonly Atom[];
  readonly bounds: readonly (readonly Term[])[];
  readonly at: Position;
};

/** One parsed file (or string). */
export type SourceUnit = {
  readonly file: string;
  readonly declarations: readonly Declaration[];
  readonly clauses: readonly Clause[];
};

// ------------------------------------------------------------ value helpers

export const nameValue = (value: string): Value => ({ type: 'name', value });
export const stringValue = (value: string): Value => ({ type: 'string', value });
export const intValue = (value: bigint | number): Value => ({
  type: 'int',
  value: BigInt.asIntN(64, BigInt(value)),
});
export const floatValue = (value: number): Value => ({ type: 'float', value });
export const listValue = (items: readonly Value[]): Value => ({ type: 'list', items });
export const pairValue = (first: Value, second: Value): Value => ({ type: 'pair', first, second });

/**
 * Whether JSON.stringify would write `text` as is between quotes: no quote,
 * backslash or control character, and no surrogate (lone ones get escaped;
 * pairs go the slow way too, to let JSON.stringify decide).
 */
function plainString(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/**
 * An injective text key for a value: equal keys ⇔ equal values. Indexes and
 * relations are keyed by it.
 */
export function valueKey(value: Value): string {
  switch (value.type) {
    case 'name':
      return value.value;
    case 'string':
      // JSON quoting, without JSON.stringify's cost when nothing needs escaping
      // (keys are built for every fact); surrogates go the slow way too, so
      // lone ones are escaped exactly as JSON.stringify does.
      return plainString(value.value) ? `"${value.value}"` : JSON.stringify(value.value);
    case 'int':
      return value.value.toString();
    case 'float':
      // String(-0) is "0": -0 and 0 are equal, as Go's == has them.
      return `f${String(value.value)}`;
    case 'list':
      return `[${value.items.map(valueKey).join(',')}]`;
    case 'pair':
      return `(${valueKey(value.first)},${valueKey(value.second)})`;
  }
}

export function valuesEqual(a: Value, b: Value): boolean {
  return valueKey(a) === valueKey(b);
}
