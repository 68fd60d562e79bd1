/**
 * Differential tests: random stratified programs (recursion, mutual recursion,
 * negation written before its binders, `_` in negations, comparisons,
 * aggregation, let transforms, builtins) must give the kernel exactly the
 * answers of the naive reference evaluator, both evaluated at once and
 * maintained through asserts and retracts — one at a time and in batches, of
 * base facts of input and of derived predicates — after every step. The
 * maintenance tests are built to reach each incremental path of the engine:
 * delete-and-rederive in recursive strata, changes under negation, groups of
 * an aggregation gained and lost, let transforms, and the recompute fallback
 * when a deletion reaches most of a recursive stratum.
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
  /** A let-only transform computing the second head argument. */
  let: boolean;
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
      let: fc.boolean(),
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
        let: raw.let && self.arity === 2,
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
  if (rule.let) {
    // A finite range (/true, /false), so a recursive let rule still has a fixpoint.
    const input = rule.headArgs[1] ?? key;
    return `${self.name}(${key}, L) :- ${premises.join(', ')} |> let L = fn:list:contains([/a, /c], ${input}).`;
  }
  if (rule.numeric && self.arity === 2 && VARS.includes(key)) {
    return `${self.name}(${key}, M) :- ${[...premises, `num(${key}, V)`, 'V > 0', 'M = fn:plus(V, 1)'].join(', ')}.`;
  }
  return `${self.name}(${rule.headArgs.join(', ')}) :- ${premises.join(', ')}.`;
}

/**
 * A recursive stratum of two predicates, with a negation of a lower
 * predicate and a let transform inside the recursion: the random rules may
 * read it like any lower predicate.
 */
const MUTUAL: Pred[] = [
  { name: 'm0', arity: 2 },
  { name: 'm1', arity: 2 },
];
const MUTUAL_RULES = [
  'm0(X, Y) :- e0(X, Y).',
  'm0(X, Z) :- m1(X, Y), e1(Y, Z).',
  'm1(X, Y) :- m0(X, Y), !e2(Y).',
  'm1(Y, X) :- m1(X, Y) |> let W = fn:pair(X, Y).',
];

const programArb = (options: { mutual: boolean } = { mutual: false }) =>
  fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 5 }).chain((arities) => {
    const idb = arities.map((arity, i) => ({ name: `p${i}`, arity }));
    const shared = options.mutual ? MUTUAL : [];
    return fc
      .tuple(
        ...idb.map((pred, i) =>
          fc.array(ruleArb(pred, [...shared, ...idb.slice(0, i)]), { minLength: 1, maxLength: 2 }),
        ),
      )
      .map((rules) => ({
        idb: [...shared, ...idb],
        rules: [
          ...(options.mutual ? MUTUAL_RULES : []),
          ...rules.flatMap((list, i) => list.map((rule) => ruleText(idb[i] as Pred, rule))),
        ],
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
      fc.property(programArb(), edbFacts, numberFacts, (program, facts, numbers) => {
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
        programArb(),
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

/** A base fact for any predicate of a program: inputs, numbers, and derived predicates too. */
function factArb(preds: readonly Pred[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...preds), fc.constantFrom(...NAMES), fc.constantFrom(...NAMES))
      .map(([pred, a, b]) => fact(pred, pred.arity === 1 ? [a] : [a, b])),
    fc
      .tuple(fc.constantFrom(...NAMES), fc.integer({ min: -3, max: 5 }))
      .map(([a, n]) => `num(${a}, ${n}).`),
  );
}

/**
 * `held`: a retract of as many facts that hold at that point instead of
 * `facts`. `with`: withFacts(facts), checking the model inside, and with
 * `inner` asserting one more fact inside (which makes withFacts retract
 * rather than roll back).
 */
type Step = {
  kind: 'assert' | 'retract' | 'with';
  facts: string[];
  batch: boolean;
  held?: boolean;
  inner?: string | null;
};

const stepsArb = (preds: readonly Pred[]) =>
  fc.array(
    fc.record({
      kind: fc.constantFrom('assert' as const, 'retract' as const, 'with' as const),
      facts: fc.array(factArb(preds), { minLength: 1, maxLength: 4 }),
      batch: fc.boolean(),
      held: fc.boolean(),
      inner: fc.option(factArb(preds), { nil: null, freq: 3 }),
    }),
    { minLength: 1, maxLength: 8 },
  );

/**
 * Applies `steps` to a kernel loaded with `initial`, comparing it after every
 * step with the reference evaluator run on the facts that hold by then.
 */
function checkSteps(
  rules: readonly string[],
  predicates: readonly string[],
  initial: readonly string[],
  steps: readonly Step[],
  options: { strategy?: 'naive' } = {},
): void {
  const kernel = createKernel([DECLS, ...initial, ...rules].join('\n'), options);
  const held = new Set(initial);
  const names = [...predicates];
  const model = (facts: Iterable<string>) =>
    referenceModel([DECLS, ...facts, ...rules].join('\n'), names);
  steps.forEach((step, index) => {
    if (step.kind === 'with') {
      let innerNew = false;
      const inside = kernel.withFacts(step.facts, (k) => {
        expect(kernelModel(k, names), `inside step ${index + 1}`).toEqual(
          model(new Set([...held, ...step.facts])),
        );
        if (step.inner) innerNew = k.assert(step.inner);
        return 'inspected';
      });
      expect(inside).toBe('inspected');
      if (step.inner && innerNew) held.add(step.inner);
      expect(kernelModel(kernel, names), `after step ${index + 1}`).toEqual(model(held));
      return;
    }
    const facts =
      step.kind === 'retract' && step.held === true && held.size > 0
        ? step.facts.map((_, i) => [...held][(index * 7 + i * 3) % held.size] as string)
        : step.facts;
    const expected = facts.map((line, i) => {
      const first = facts.indexOf(line) === i;
      return step.kind === 'assert' ? first && !held.has(line) : first && held.has(line);
    });
    let results: boolean[];
    if (step.batch) {
      results = step.kind === 'assert' ? kernel.assertAll(facts) : kernel.retractAll(facts);
    } else {
      results = facts.map((line) =>
        step.kind === 'assert' ? kernel.assert(line) : kernel.retract(line),
      );
    }
    expect(results).toEqual(expected);
    for (const line of facts) {
      if (step.kind === 'assert') held.add(line);
      else held.delete(line);
    }
    expect(kernelModel(kernel, names), `after step ${index + 1}`).toEqual(model(held));
  });
}

describe('incremental maintenance = the reference evaluator, after every step', () => {
  const inputs = ['e0', 'e1', 'e2', 'num'];

  it('with recursion, mutual recursion, negation, aggregation and let transforms', () => {
    fc.assert(
      fc.property(
        programArb({ mutual: true }).chain((program) =>
          fc.record({
            program: fc.constant(program),
            facts: edbFacts,
            numbers: numberFacts,
            steps: stepsArb([...EDB, ...program.idb]),
          }),
        ),
        ({ program, facts, numbers, steps }) => {
          const predicates = [...program.idb.map((p) => p.name), ...inputs];
          checkSteps(program.rules, predicates, [...facts, ...numbers], steps);
        },
      ),
      { numRuns: 250 },
    );
  });

  it('with the naive strategy too (it recomputes what changed)', () => {
    fc.assert(
      fc.property(
        programArb({ mutual: true }).chain((program) =>
          fc.record({
            program: fc.constant(program),
            facts: edbFacts,
            steps: stepsArb([...EDB, ...program.idb]),
          }),
        ),
        ({ program, facts, steps }) => {
          const predicates = [...program.idb.map((p) => p.name), ...inputs];
          checkSteps(program.rules, predicates, facts, steps, { strategy: 'naive' });
        },
      ),
      { numRuns: 60 },
    );
  });

  // Each rule set is a way for a fact to lose its support: another path,
  // a cycle that supports itself, a negation, a group of an aggregation.
  const GRAPH_RULES = [
    'path(X, Y) :- e0(X, Y).',
    'path(X, Z) :- path(X, Y), e0(Y, Z).',
    'cyclic(X) :- path(X, X).',
    'same(X, Y) :- e1(P, X), e1(P, Y).',
    'same(X, Y) :- e1(P, X), same(P, Q), e1(Q, Y).',
    'open(X) :- path(X, _), !e2(X).',
    'sink(X) :- path(_, X), !path(X, _).',
    'degree(X, N) :- path(X, Y) |> do fn:group_by(X), let N = fn:count().',
    'reached(N) :- path(_, Y) |> do fn:group_by(), let N = fn:count_distinct(Y).',
    'weight(X, S) :- path(X, Y), num(Y, V) |> do fn:group_by(X), let S = fn:sum(V).',
    'hub(X) :- degree(X, N), N >= 4.',
    'tagged(X, T) :- path(X, Y) |> let T = fn:string:concat(X, "→", Y).',
  ];
  const GRAPH_PREDICATES = [
    'path',
    'cyclic',
    'same',
    'open',
    'sink',
    'degree',
    'reached',
    'weight',
    'hub',
    'tagged',
    ...inputs,
  ];
  const nodes = Array.from({ length: 14 }, (_, i) => `/n${i}`);
  const edge = fc
    .tuple(fc.constantFrom('e0', 'e1'), fc.constantFrom(...nodes), fc.constantFrom(...nodes))
    .map(([pred, a, b]) => `${pred}(${a}, ${b}).`);
  const other = fc.oneof(
    fc.constantFrom(...nodes).map((n) => `e2(${n}).`),
    fc
      .tuple(fc.constantFrom(...nodes), fc.integer({ min: 0, max: 3 }))
      .map(([n, v]) => `num(${n}, ${v}).`),
  );
  const graphFact = fc.oneof({ weight: 4, arbitrary: edge }, { weight: 1, arbitrary: other });

  it('on random graphs: closures, same generation, negation over recursion, aggregations over them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(graphFact, { minLength: 10, maxLength: 40 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom('assert' as const, 'retract' as const, 'with' as const),
            facts: fc.array(graphFact, { minLength: 1, maxLength: 5 }),
            batch: fc.boolean(),
            held: fc.boolean(),
            inner: fc.option(graphFact, { nil: null, freq: 3 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (initial, steps) => checkSteps(GRAPH_RULES, GRAPH_PREDICATES, initial, steps),
      ),
      { numRuns: 60 },
    );
  });

  it('on a long chain, where one retract reaches most of the closure (recomputed) or little of it', () => {
    const chain = Array.from({ length: 30 }, (_, i) => `e0(/c${i}, /c${i + 1}).`);
    const retractAt = fc.integer({ min: 0, max: chain.length - 1 });
    fc.assert(
      fc.property(fc.array(retractAt, { minLength: 1, maxLength: 3 }), (positions) =>
        checkSteps(
          GRAPH_RULES,
          GRAPH_PREDICATES,
          chain,
          // The middle edge first: the paths through it are most of the closure.
          [chain.length / 2, ...positions].flatMap((at) => [
            { kind: 'retract' as const, facts: [chain[at] as string], batch: false },
            { kind: 'assert' as const, facts: [chain[at] as string], batch: false },
          ]),
        ),
      ),
      { numRuns: 6 },
    );
  });
});
