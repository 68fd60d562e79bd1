/**
 * fast-check arbitraries for Mangle syntax trees, spelled so that Mangle
 * (and nerdloop's parser) accepts them: valid variable, predicate, function
 * and name spellings, no reserved words, constants of the kinds a literal
 * can hold. Positions are a placeholder; compare with `stripPositions`.
 */
import fc from 'fast-check';
import type {
  Atom,
  Clause,
  ComparisonOperator,
  Declaration,
  LetBinding,
  Literal,
  Position,
  SourceUnit,
  Term,
  TransformStage,
  Value,
} from '../../src/kernel/ast.js';
import {
  isFunctionName,
  RESERVED_PREDICATE_NAMES,
  RESERVED_VARIABLE_NAMES,
} from '../../src/kernel/parse/index.js';

export const arbitraryPosition: Position = { file: '<arbitrary>', line: 1, column: 1 };
const at = arbitraryPosition;

/** A deep copy without any `at` field, for comparing trees parsed from different text. */
export function stripPositions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripPositions);
  if (node !== null && typeof node === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'at') copy[key] = stripPositions(value);
    }
    return copy;
  }
  return node;
}

// ------------------------------------------------------------------ spellings

export const variableNameArb: fc.Arbitrary<string> = fc
  .stringMatching(/^[A-Z][A-Za-z0-9]{0,5}$/)
  .filter((name) => !RESERVED_VARIABLE_NAMES.has(name));

/** `user_intent`, `:string:contains`, `pkg.rel`: any spelling Mangle reads as a predicate. */
export const predicateNameArb: fc.Arbitrary<string> = fc
  .stringMatching(/^:?[a-z][a-z0-9_]{0,6}([:.][a-zA-Z0-9_]{1,4}){0,2}$/)
  .filter((name) => !isFunctionName(name) && !RESERVED_PREDICATE_NAMES.has(name));

export const functionNameArb: fc.Arbitrary<string> = fc.stringMatching(
  /^fn:[a-z][a-z0-9_]{0,6}(:[a-z][a-z0-9_]{0,4}){0,2}$/,
);

/** `/a`, `/coder/v1.2`, `/x.`: name constants, slash included. */
export const nameArb: fc.Arbitrary<string> = fc.stringMatching(/^(\/[A-Za-z0-9.\-_~%]{1,5}){1,3}$/);

const trickyChars = ['"', "'", '`', '\\', '\n', '\t', '\r', '#', '.', '\u0000', '\u007f', 'é'];

export const stringContentArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom(...trickyChars, 'a', ' '), maxLength: 8 }),
);

export const comparisonOperatorArb: fc.Arbitrary<ComparisonOperator> = fc.constantFrom(
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
);

// --------------------------------------------------------------------- values

export const int64Arb: fc.Arbitrary<bigint> = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

/** A value a literal in the text can denote: name, string, integer or finite float. */
export const constantValueArb: fc.Arbitrary<Value> = fc.oneof(
  nameArb.map((value): Value => ({ type: 'name', value })),
  stringContentArb.map((value): Value => ({ type: 'string', value })),
  int64Arb.map((value): Value => ({ type: 'int', value })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((value): Value => ({ type: 'float', value })),
);

/** Any value, lists and pairs included (these have no literal syntax). */
export const valueArb: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'value' },
    constantValueArb,
    fc.array(tie('value'), { maxLength: 3 }).map((items): Value => ({ type: 'list', items })),
    fc
      .tuple(tie('value'), tie('value'))
      .map(([first, second]): Value => ({ type: 'pair', first, second })),
  ),
})).value;

// ---------------------------------------------------------------------- terms

export const termArb: fc.Arbitrary<Term> = fc.letrec<{ term: Term }>((tie) => ({
  term: fc.oneof(
    { maxDepth: 2, depthIdentifier: 'term' },
    variableNameArb.map((name): Term => ({ kind: 'var', name, at })),
    fc.constant<Term>({ kind: 'wildcard', at }),
    constantValueArb.map((value): Term => ({ kind: 'const', value, at })),
    fc
      .tuple(functionNameArb, fc.array(tie('term'), { maxLength: 3 }))
      .map(([fn, args]): Term => ({ kind: 'apply', fn, args, at })),
    fc.array(tie('term'), { maxLength: 3 }).map((items): Term => ({ kind: 'list', items, at })),
  ),
})).term;

const argsArb = fc.array(termArb, { maxLength: 4 });

export const atomArb: fc.Arbitrary<Atom> = fc
  .tuple(predicateNameArb, argsArb)
  .map(([predicate, args]) => ({ predicate, args, at }));

export const literalArb: fc.Arbitrary<Literal> = fc.oneof(
  atomArb.map((atom): Literal => ({ kind: 'atom', atom })),
  atomArb.map((atom): Literal => ({ kind: 'negation', atom, at })),
  fc
    .tuple(comparisonOperatorArb, termArb, termArb)
    .map(([op, left, right]): Literal => ({ kind: 'comparison', op, left, right, at })),
);

export const letBindingArb: fc.Arbitrary<LetBinding> = fc
  .tuple(variableNameArb, functionNameArb, argsArb)
  .map(([variable, fn, args]) => ({ variable, fn, args, at }));

export const transformStageArb: fc.Arbitrary<TransformStage> = fc.oneof(
  fc
    .tuple(fc.array(variableNameArb, { maxLength: 3 }), fc.array(letBindingArb, { maxLength: 2 }))
    .map(([groupBy, lets]): TransformStage => ({ groupBy, lets, at })),
  fc
    .array(letBindingArb, { minLength: 1, maxLength: 2 })
    .map((lets): TransformStage => ({ groupBy: null, lets, at })),
);

/** Facts have no arrow; rules have a non-empty body, as the grammar demands. */
export const clauseArb: fc.Arbitrary<Clause> = fc.oneof(
  atomArb.map((head): Clause => ({ head, body: [], transforms: [], arrow: null, at })),
  fc
    .tuple(
      atomArb,
      fc.array(literalArb, { minLength: 1, maxLength: 4 }),
      fc.array(transformStageArb, { maxLength: 2 }),
      fc.constantFrom<':-' | '⟸'>(':-', '⟸'),
    )
    .map(([head, body, transforms, arrow]): Clause => ({ head, body, transforms, arrow, at })),
);

export const declarationArb: fc.Arbitrary<Declaration> = fc
  .tuple(
    predicateNameArb,
    fc.array(fc.oneof(variableNameArb, fc.constant('_')), { maxLength: 4 }),
    fc.array(atomArb, { maxLength: 3 }),
    fc.array(fc.array(termArb, { maxLength: 4 }), { maxLength: 2 }),
  )
  .map(([predicate, params, descr, bounds]) => ({ predicate, params, descr, bounds, at }));

export const sourceUnitArb: fc.Arbitrary<SourceUnit> = fc
  .tuple(fc.array(declarationArb, { maxLength: 3 }), fc.array(clauseArb, { maxLength: 5 }))
  .map(([declarations, clauses]) => ({ file: 'arbitrary.mg', declarations, clauses }));
