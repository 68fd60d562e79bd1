/**
 * Differential tests: random stratified programs (recursion, negation written
 * before its binders, `_` in negations, comparisons, aggregation, builtins)
 * must give the kernel exactly the answers of the naive reference evaluator,
 * both evaluated at once and maintained through asserts and retracts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueKey } from '../src/kernel/ast.js';
import { createKernel, type Kernel } from '../src/kernel/kernel.js';
import { parseProgram } from '../src/kernel/parse/index.js';
import { naiveModel } from './support/naive-datalog.js';

type Pred = { name: string; arity: number };

const NAMES = ['/a', '/b', '/c', '/d'];
const VARS = ['X', 'Y', 'Z', 'W'];
const EDB: Pred[] = [
  { name: 'e0', arity: 2 },
  { name: 'e1', arity: 2 },
  { name: 'e2', arity: 1 },
];

const fact = (pred: Pred, values: string[]) => `${pred.name}(${values.join(', ')}).`;

const edbFacts = fc
  .array(fc.tuple(fc.constantFrom(...EDB), fc.constantFrom(...NAMES), fc.constantFrom(...NAMES)), {
    minLength: 4,
    maxLength: 24,
  })
  .map((list) => [
    ...new Set(list.map(([pred, a, b]) => fact(pred, pred.arity === 1 ? [a] : [a, b]))),
  ]);

const numberFacts = fc
  .array(fc.tuple(fc.constantFrom(...NAMES), fc.integer({ min: -3, max: 5 })), { maxLength: 6 })
  .map((list) => [...new Set(list.map(([a, n]) => `num(${a}, ${n}).`))]);

type RuleSpec = {
  atoms: Array<{ pred: Pred; args: string[] }>;
  negation: { pred: Pred; args: string[]; first: boolean } | null;
  comparison: string | null;
  headArgs: string[];
  aggregate: boolean;
  numeric: boolean;
};

function ruleArb(self: Pred, lower: Pred[]): fc.Arbitrary<RuleSpec> {
  const positives = [...EDB, ...lower, self];
  const term = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...VARS) },
    { weight: 1, arbitrary: fc.constantFrom(...NAMES) },
  );
  const atomArb = (choices: Pred[]) =>
    fc
      .constantFrom(...choices)
      .chain((pred) =>
        fc
          .array(term, { minLength: pred.arity, maxLength: pred.arity })
          .map((args) => ({ pred, args })),
      );
  return fc
    .record({
      atoms: fc.array(atomArb(positives), { minLength: 1, maxLength: 3 }),
      negated: fc.option(atomArb([...EDB, ...lower]), { nil: null }),
      negationFirst: fc.boolean(),
      wildcards: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      comparison: fc.option(fc.constantFrom('=', '!='), { nil: null }),
      aggregate: fc.boolean(),
      numeric: fc.boolean(),
      pick: fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
    })
    .map((raw) => {
      const atoms = raw.aggregate
        ? raw.atoms.filter((atom) => atom.pred !== self) // aggregation reads lower strata only
        : raw.atoms;
      if (atoms.length === 0) atoms.push({ pred: EDB[0] as Pred, args: ['X', 'Y'] });
      const bound = [
        ...new Set(atoms.flatMap((atom) => atom.args.filter((a) => VARS.includes(a)))),
      ];
      const boundOr = (i: number, fallback: string) =>
        bound.length === 0 ? fallback : (bound[(raw.pick[i] ?? 0) % bound.length] as string);
      let negation: RuleSpec['negation'] = null;
      if (raw.negated) {
        const args = raw.negated.args.map((arg, i) =>
          raw.wildcards[i] ? '_' : VARS.includes(arg) ? boundOr(i, '_') : arg,
        );
        negation = { pred: raw.negated.pred, args, first: raw.negationFirst };
      }
      const comparison =
        raw.comparison && bound.length >= 2 ? `${bound[0]} ${raw.comparison} ${bound[1]}` : null;
      const headArgs = self.arity === 1 ? [boundOr(0, '/a')] : [boundOr(0, '/a'), boundOr(1, '/b')];
      return {
        atoms,
        negation,
        comparison,
        headArgs,
        aggregate: raw.aggregate && self.arity === 2,
        numeric: raw.numeric,
      };
    });
}

function ruleText(self: Pred, rule: RuleSpec): string {
  const premises = rule.atoms.map((atom) => `${atom.pred.name}(${atom.args.join(', ')})`);
  if (rule.negation) {
    const text = `!${rule.negation.pred.name}(${rule.negation.args.join(', ')})`;
    if (rule.negation.first) premises.unshift(text);
    else premises.push(text);
  }
  if (rule.comparison) premises.push(rule.comparison);
  const key = rule.headArgs[0] ?? '/a';
  if (rule.aggregate) {
    if (rule.numeric && VARS.includes(key)) {
      // Sum of the numbers attached to the key: a join with num/2 and a reducer over it.
      return `${self.name}(${key}, S) :- ${[...premises, `num(${key}, V)`].join(', ')} |> do fn:group_by(${key}), let S = fn:sum(V).`;
    }
    const keys = VARS.includes(key) ? key : '';
    return `${self.name}(${key}, N) :- ${premises.join(', ')} |> do fn:group_by(${keys}), let N = fn:count().`;
  }
  if (rule.numeric && self.arity === 2 && VARS.includes(key)) {
    return `${self.name}(${key}, M) :- ${[...premises, `num(${key}, V)`, 'V > 0', 'M = fn:plus(V, 1)'].join(', ')}.`;
  }
  return `${self.name}(${rule.headArgs.join(', ')}) :- ${premises.join(', ')}.`;
}

const programArb = fc
  .array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 5 })
  .chain((arities) => {
    const idb = arities.map((arity, i) => ({ name: `p${i}`, arity }));
    return fc
      .tuple(
        ...idb.map((pred, i) =>
          fc.array(ruleArb(pred, idb.slice(0, i)), { minLength: 1, maxLength: 2 }),
        ),
      )
      .map((rules) => ({
        idb,
        rules: rules.flatMap((list, i) => list.map((rule) => ruleText(idb[i] as Pred, rule))),
      }));
  });

const DECLS = 'Decl e0(A, B).\nDecl e1(A, B).\nDecl e2(A).\nDecl num(A, N).';

function kernelModel(kernel: Kernel, predicates: string[]): Map<string, Set<string>> {
  const model = new Map<string, Set<string>>();
  for (const name of predicates) {
    const facts = kernel.facts(name);
    if (facts.length > 0)
      model.set(name, new Set(facts.map((values) => values.map(valueKey).join('|'))));
  }
  return model;
}

function referenceModel(text: string, predicates: string[]): Map<string, Set<string>> {
  const model = naiveModel([parseProgram(text, 'ref.mg')]);
  const out = new Map<string, Set<string>>();
  for (const name of predicates) {
    const facts = model.get(name);
    if (facts && facts.size > 0) out.set(name, facts);
  }
  return out;
}

describe('kernel = naive reference evaluator', () => {
  it('on random stratified programs', () => {
    fc.assert(
      fc.property(programArb, edbFacts, numberFacts, (program, facts, numbers) => {
        const text = [DECLS, ...facts, ...numbers, ...program.rules].join('\n');
        const predicates = [...program.idb.map((p) => p.name), 'e0', 'e1', 'e2', 'num'];
        const kernel = createKernel(text);
        expect(kernelModel(kernel, predicates)).toEqual(referenceModel(text, predicates));
      }),
      { numRuns: 300 },
    );
  });

  it('after asserts and retracts, as if evaluated from scratch', () => {
    fc.assert(
      fc.property(
        programArb,
        edbFacts,
        numberFacts,
        fc.array(fc.nat(), { maxLength: 6 }),
        (program, facts, numbers, removals) => {
          const predicates = [...program.idb.map((p) => p.name), 'e0', 'e1', 'e2', 'num'];
          const kernel = createKernel([DECLS, ...program.rules].join('\n'));
          for (const line of [...facts, ...numbers]) kernel.assert(line);
          const kept = new Set([...facts, ...numbers]);
          for (const index of removals) {
            const all = [...kept];
            const victim = all[index % Math.max(1, all.length)];
            if (victim === undefined) continue;
            kernel.retract(victim);
            kept.delete(victim);
          }
          const text = [DECLS, ...kept, ...program.rules].join('\n');
          expect(kernelModel(kernel, predicates)).toEqual(referenceModel(text, predicates));
        },
      ),
      { numRuns: 200 },
    );
  });
});
