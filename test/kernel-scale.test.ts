/**
 * The kernel at the scale of a real rule set: a generated program of 100
 * files, 1,500 Decls, 500 rules and 4,000 base facts (shared schema files,
 * per-domain data and rule files), loaded from a directory with bounds
 * enforced. Its model must equal the naive reference evaluator's, and after
 * asserting or retracting base facts the incrementally maintained model must
 * equal a from-scratch load of the changed program exactly. How fast this is
 * is the benchmark's business (bench/kernel.bench.ts), not this test's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Literal, type SourceUnit, valueKey } from '../src/kernel/ast.js';
import { createKernel, type Kernel, loadKernel } from '../src/kernel/kernel.js';
import { parseProgram } from '../src/kernel/parse/index.js';
import { generateProgram, programSources, writeProgram } from './support/generated-program.js';
import { naiveModel } from './support/naive-datalog.js';

type Model = Map<string, Set<string>>;

const program = generateProgram();

/** Every predicate's facts as text keys (the naive evaluator's form); empty relations are left out. */
function modelOf(kernel: Kernel): Model {
  const model: Model = new Map();
  for (const name of program.predicates) {
    const facts = kernel.facts(name);
    if (facts.length > 0) model.set(name, new Set(facts.map((f) => f.map(valueKey).join('|'))));
  }
  return model;
}

/** What differs, predicate by predicate, in a form that reads well in a failure. */
function differences(actual: Model, expected: Model): string[] {
  const out: string[] = [];
  for (const name of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(name) ?? new Set<string>();
    const e = expected.get(name) ?? new Set<string>();
    const extra = [...a].filter((key) => !e.has(key));
    const missing = [...e].filter((key) => !a.has(key));
    if (extra.length > 0 || missing.length > 0) {
      out.push(
        `${name}: ${extra.length} extra ${extra.slice(0, 3).join(' ')}; ${missing.length} missing ${missing.slice(0, 3).join(' ')}`,
      );
    }
  }
  return out;
}

const units = (): SourceUnit[] =>
  program.sources.map((source) => parseProgram(source.text, source.file));

let dir: string;
let kernel: Kernel;
let loaded: Model;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nerdloop-scale-'));
  await writeProgram(program, dir);
  kernel = await loadKernel([dir], { bounds: 'enforce' });
  loaded = modelOf(kernel);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a generated 100-file program', () => {
  it('has the size of the issue and every construct real rule files use', () => {
    expect(program.counts).toEqual({ files: 100, declarations: 1_500, rules: 500, facts: 4_000 });
    const parsed = units();
    const clauses = parsed.flatMap((unit) => unit.clauses);
    const rules = clauses.filter((clause) => clause.body.length > 0);
    const declarations = parsed.flatMap((unit) => unit.declarations);
    expect(parsed).toHaveLength(100);
    expect(declarations).toHaveLength(1_500);
    expect(rules).toHaveLength(500);
    expect(clauses.length - rules.length).toBe(4_000);

    const literals = rules.flatMap((rule) => rule.body);
    const has = (test: (literal: Literal) => boolean) => literals.some(test);
    const atoms = literals.flatMap((literal) =>
      literal.kind === 'comparison' ? [] : [literal.atom],
    );
    const applied = new Set(
      program.sources.flatMap((source) =>
        [...source.text.matchAll(/fn:[a-z_:]+/g)].map((m) => m[0]),
      ),
    );
    expect(has((literal) => literal.kind === 'negation')).toBe(true);
    expect(
      has(
        (literal) => literal.kind === 'comparison' && ['<', '<=', '>', '>='].includes(literal.op),
      ),
    ).toBe(true);
    expect(has((literal) => literal.kind === 'comparison' && literal.op === '!=')).toBe(true);
    for (const builtin of [':string:starts_with', ':string:ends_with', ':string:contains']) {
      expect(atoms.some((atom) => atom.predicate === builtin)).toBe(true);
    }
    for (const fn of [
      'fn:plus',
      'fn:string:concat',
      'fn:group_by',
      'fn:count',
      'fn:sum',
      'fn:pair',
    ]) {
      expect(applied.has(fn)).toBe(true);
    }
    expect(atoms.some((atom) => atom.args.some((arg) => arg.kind === 'wildcard'))).toBe(true);
    expect(atoms.some((atom) => atom.args.length === 0)).toBe(true);
    // Aggregations and let-only transforms.
    expect(rules.some((rule) => rule.transforms.some((stage) => stage.groupBy !== null))).toBe(
      true,
    );
    expect(rules.some((rule) => rule.transforms.some((stage) => stage.groupBy === null))).toBe(
      true,
    );
    // Several bound alternatives on some Decls, none on others.
    expect(declarations.some((decl) => decl.bounds.length > 1)).toBe(true);
    expect(declarations.some((decl) => decl.bounds.length === 0)).toBe(true);
    // Recursion: a rule reading its own head, and a stratum of more than one predicate.
    expect(
      rules.some((rule) =>
        rule.body.some((l) => l.kind === 'atom' && l.atom.predicate === rule.head.predicate),
      ),
    ).toBe(true);
    const strata = new Map<number, number>();
    for (const info of kernel.predicates)
      strata.set(info.stratum, (strata.get(info.stratum) ?? 0) + 1);
    expect([...strata.values()].some((size) => size > 1)).toBe(true);
    // Rules of a predicate spread over several files, as user files extend shipped ones.
    const filesOf = new Map<string, Set<string>>();
    for (const rule of rules) {
      const set = filesOf.get(rule.head.predicate) ?? new Set<string>();
      set.add(rule.at.file);
      filesOf.set(rule.head.predicate, set);
    }
    expect([...filesOf.values()].some((files) => files.size > 1)).toBe(true);
  });

  it('is the same program for the same seed and another one for another seed', () => {
    expect(generateProgram().sources).toEqual(program.sources);
    expect(generateProgram({ seed: 2 }).sources).not.toEqual(program.sources);
  });

  it('loads from a directory, bounds enforced, to the naive reference model', () => {
    const reference: Model = new Map();
    for (const [name, facts] of naiveModel(units())) {
      if (facts.size > 0) reference.set(name, facts);
    }
    expect(differences(loaded, reference)).toEqual([]);
    // Enough of the program derives something for the comparison to mean something.
    const derived = [...loaded.values()].reduce((sum, facts) => sum + facts.size, 0);
    expect(derived).toBeGreaterThan(2 * program.counts.facts);
  });

  it('evaluates to the same model semi-naively and naively', () => {
    const naive = createKernel(program.sources, { strategy: 'naive' });
    expect(differences(loaded, modelOf(naive))).toEqual([]);
  });

  it('maintains the model through asserts and retracts exactly as a from-scratch load computes it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(program.facts.length - 1), { maxLength: 4 }),
        fc.uniqueArray(fc.nat(program.freshFacts.length - 1), { maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (removeAt, addAt, assertFirst, batch) => {
          const remove = removeAt.map((i) => program.facts[i] as string);
          const add = addAt.map((i) => program.freshFacts[i] as string);
          // One at a time, or each list as one batch (one pass over the strata).
          const retractAll = () => {
            if (batch) expect(kernel.retractAll(remove)).toEqual(remove.map(() => true));
            else for (const fact of remove) expect(kernel.retract(fact)).toBe(true);
          };
          const assertAll = () => {
            if (batch) expect(kernel.assertAll(add)).toEqual(add.map(() => true));
            else for (const fact of add) expect(kernel.assert(fact)).toBe(true);
          };
          if (assertFirst) {
            assertAll();
            retractAll();
          } else {
            retractAll();
            assertAll();
          }
          const scratch = createKernel(programSources(program, { add, remove }));
          expect(differences(modelOf(kernel), modelOf(scratch))).toEqual([]);
          // Undone in reverse order, the model is the loaded one again.
          for (const fact of [...add].reverse()) expect(kernel.retract(fact)).toBe(true);
          for (const fact of [...remove].reverse()) expect(kernel.assert(fact)).toBe(true);
          expect(differences(modelOf(kernel), loaded)).toEqual([]);
        },
      ),
      { numRuns: 16 },
    );
  });
});
