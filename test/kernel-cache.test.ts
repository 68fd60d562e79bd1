/**
 * The analyzed-program cache: kernels built from sources seen before share
 * their analyzed program (and its plans), and are independent all the same —
 * base facts, derived facts, external callbacks and their answers, warnings.
 * A changed text or file name is a different program; the cache stays within
 * its limits; `cache: false` leaves it alone.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nameValue, type Value, valueKey } from '../src/kernel/ast.js';
import {
  clearKernelCache,
  type KernelCacheLimits,
  kernelCacheStats,
  setKernelCacheLimits,
} from '../src/kernel/cache.js';
import type { KernelWarning } from '../src/kernel/engine.js';
import { KernelCacheOptionError, MangleBoundError } from '../src/kernel/errors.js';
import { createKernel, type Kernel, loadKernel, pattern } from '../src/kernel/kernel.js';
import { MangleSyntaxError, parseProgram } from '../src/kernel/parse/index.js';
import { decide, loadShippedRules, type World } from '../src/rules/index.js';
import { naiveModel } from './support/naive-datalog.js';

let limits: KernelCacheLimits;

beforeEach(() => {
  clearKernelCache();
  limits = setKernelCacheLimits({});
});

afterEach(() => {
  setKernelCacheLimits(limits);
  clearKernelCache();
});

const GRAPH = `
  Decl edge(A, B).
  edge(/a, /b). edge(/b, /c).
  path(X, Y) :- edge(X, Y).
  path(X, Z) :- path(X, Y), edge(Y, Z).
  blocked(/z).
  open(X) :- path(_, X), !blocked(X).
  fanout(X, N) :- path(X, _) |> do fn:group_by(X), let N = fn:count().
`;

const show = (kernel: Kernel, predicate: string): string[] =>
  kernel
    .facts(predicate)
    .map((values) => values.map(valueKey).join(' '))
    .sort();

describe('kernels from the same sources', () => {
  it('share one analysis: the second load is a hit', () => {
    createKernel(GRAPH);
    expect(kernelCacheStats()).toMatchObject({ programs: 1, hits: 0, misses: 1 });
    createKernel(GRAPH);
    createKernel({ file: '<input>', text: GRAPH });
    expect(kernelCacheStats()).toMatchObject({ programs: 1, hits: 2, misses: 1 });
  });

  it('are independent: asserts, retracts and withFacts in one never show in another', () => {
    const a = createKernel(GRAPH);
    const b = createKernel(GRAPH);
    expect(kernelCacheStats().hits).toBe(1);
    expect(a.assert('edge(/c, /d).')).toBe(true);
    expect(a.retract('edge(/a, /b).')).toBe(true);
    expect(a.holds('path(/b, /d)')).toBe(true);
    expect(b.holds('path(/b, /d)')).toBe(false);
    expect(b.holds('path(/a, /c)')).toBe(true);
    expect(show(b, 'fanout')).toEqual(['/a 2', '/b 1']);
    expect(show(a, 'fanout')).toEqual(['/b 2', '/c 1']);
    // A source fact retracted in one kernel is still a base fact of the other.
    expect(b.retract('edge(/a, /b).')).toBe(true);
    expect(b.assert('edge(/a, /b).')).toBe(true);
    b.withFacts(['blocked(/c).'], (k) => {
      expect(k.holds('open(/c)')).toBe(false);
      expect(a.holds('open(/c)')).toBe(true);
    });
    expect(b.holds('open(/c)')).toBe(true);
    // A third kernel starts from the sources, whatever the others did.
    const c = createKernel(GRAPH);
    expect(show(c, 'path')).toEqual(['/a /b', '/a /c', '/b /c']);
    expect(show(c, 'fanout')).toEqual(['/a 2', '/b 1']);
  });

  it('ask their own external callbacks and keep their own answers', () => {
    const text = `
      Decl size(F, N) descr [external(), mode("+", "-")].
      file("a"). file("b").
      big(F) :- file(F), size(F, N), N > 10.
    `;
    const sizes = (table: Record<string, number>, calls: string[]) => ({
      size: (inputs: readonly Value[]) => {
        const name = inputs[0]?.type === 'string' ? inputs[0].value : '';
        calls.push(name);
        const n = table[name];
        return n === undefined ? [] : [[{ type: 'int' as const, value: BigInt(n) }]];
      },
    });
    const callsA: string[] = [];
    const callsB: string[] = [];
    const tableA: Record<string, number> = { a: 50, b: 1 };
    const a = createKernel(text, { externals: sizes(tableA, callsA) });
    const b = createKernel(text, { externals: sizes({ a: 1, b: 50 }, callsB) });
    expect(kernelCacheStats().hits).toBe(1);
    expect(show(a, 'big')).toEqual(['"a"']);
    expect(show(b, 'big')).toEqual(['"b"']);
    expect(callsA.sort()).toEqual(['a', 'b']);
    expect(callsB.sort()).toEqual(['a', 'b']);
    tableA.b = 99;
    a.refreshExternal('size');
    expect(show(a, 'big')).toEqual(['"a"', '"b"']);
    expect(show(b, 'big')).toEqual(['"b"']);
    expect(callsB).toHaveLength(2);
  });

  it('each report their own warnings, under their own bounds mode', () => {
    const text = 'Decl p(X) bound [/string].\np("ok").\np(/bad).';
    const warningsA: KernelWarning[] = [];
    const a = createKernel(text, { bounds: 'warn', onWarning: (w) => warningsA.push(w) });
    const b = createKernel(text, { bounds: 'warn' });
    const streamedB: KernelWarning[] = [];
    b.warnings$.subscribe((w) => streamedB.push(w));
    expect(a.warnings).toHaveLength(1);
    expect(b.warnings).toHaveLength(1);
    expect(streamedB).toHaveLength(1);
    a.assert('p(/worse).');
    expect(a.warnings).toHaveLength(2);
    expect(warningsA).toHaveLength(2);
    expect(b.warnings).toHaveLength(1);
    expect(streamedB).toHaveLength(1);
    // The same analyzed program, enforced: the source fact out of bounds throws.
    expect(() => createKernel(text)).toThrow(MangleBoundError);
    expect(createKernel(text, { bounds: 'ignore' }).warnings).toEqual([]);
    expect(kernelCacheStats()).toMatchObject({ programs: 1, misses: 1, hits: 3 });
  });

  it('may use different strategies over one analysis', () => {
    const naive = createKernel(GRAPH, { strategy: 'naive' });
    const seminaive = createKernel(GRAPH);
    expect(kernelCacheStats().hits).toBe(1);
    naive.assert('edge(/c, /a).');
    seminaive.assert('edge(/c, /a).');
    expect(show(naive, 'path')).toEqual(show(seminaive, 'path'));
    expect(show(naive, 'path')).toHaveLength(9);
  });

  it('decide independently on the shipped rules', async () => {
    const world: World = { workspaceRoot: '/ws', realpath: (path) => path };
    const first = await loadShippedRules();
    const second = await loadShippedRules();
    expect(kernelCacheStats()).toMatchObject({ programs: 1, hits: 1, misses: 1 });
    const action = {
      id: 'c1',
      action: 'read_file',
      target: 'src/app.ts',
      payload: '',
      time: 1,
      persona: 'coder',
    };
    expect(decide(first, action, world).permitted).toBe(true);
    first.assert('user_intent("i1", /command, /fix, "a.ts", "").');
    expect(first.query('persona("i1", P)')).toHaveLength(1);
    expect(second.query('persona("i1", P)')).toHaveLength(0);
    expect(decide(second, { ...action, id: 'c2' }, world).permitted).toBe(true);
  });
});

describe('what makes a program different', () => {
  it('a changed text is analyzed anew, also at the same length', () => {
    const a = createKernel('p(/a).');
    const b = createKernel('p(/b).');
    expect(kernelCacheStats()).toMatchObject({ programs: 2, hits: 0, misses: 2 });
    expect(show(a, 'p')).toEqual(['/a']);
    expect(show(b, 'p')).toEqual(['/b']);
    expect(show(createKernel('p(/a).'), 'p')).toEqual(['/a']);
    expect(show(createKernel('p(/b).'), 'p')).toEqual(['/b']);
    expect(kernelCacheStats()).toMatchObject({ programs: 2, hits: 2, misses: 2 });
  });

  it('another file name is another program: positions name the right file', () => {
    const text = 'Decl p(X) bound [/string].\np(1).';
    expect(() => createKernel({ file: 'one.mg', text })).toThrow(/^one\.mg:2:1/);
    expect(() => createKernel({ file: 'two.mg', text })).toThrow(/^two\.mg:2:1/);
    expect(kernelCacheStats()).toMatchObject({ programs: 2, hits: 0, misses: 2 });
  });

  it('the same texts split into other files, or in another order, are other programs', () => {
    const q = 'q(X) :- p(X).';
    createKernel([
      { file: 'a.mg', text: 'p(/a).' },
      { file: 'b.mg', text: q },
    ]);
    createKernel([
      { file: 'b.mg', text: q },
      { file: 'a.mg', text: 'p(/a).' },
    ]);
    createKernel([{ file: 'a.mg', text: `p(/a).${q}` }]);
    expect(kernelCacheStats()).toMatchObject({ programs: 3, hits: 0, misses: 3 });
  });

  it('an edited rule file is re-read and re-analyzed by loadKernel', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nerdloop-cache-'));
    try {
      const file = join(dir, 'rules.mg');
      await writeFile(file, 'p(/a).\n');
      expect(show(await loadKernel([dir]), 'p')).toEqual(['/a']);
      expect(show(await loadKernel([dir]), 'p')).toEqual(['/a']);
      await writeFile(file, 'p(/b).\n');
      expect(show(await loadKernel([dir]), 'p')).toEqual(['/b']);
      expect(kernelCacheStats()).toMatchObject({ hits: 1, misses: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no load option changes the analysis: every combination reuses it', () => {
    createKernel(GRAPH, { bounds: 'warn', strategy: 'naive', onWarning: () => {} });
    createKernel(GRAPH, { bounds: 'ignore' });
    createKernel(GRAPH, { externals: {} });
    expect(kernelCacheStats()).toMatchObject({ programs: 1, hits: 2, misses: 1 });
  });

  it('failures are not kept: a syntax error is found again each time', () => {
    expect(() => createKernel('p(/a)')).toThrow(MangleSyntaxError);
    expect(() => createKernel('p(/a)')).toThrow(MangleSyntaxError);
    expect(kernelCacheStats()).toMatchObject({ programs: 0, misses: 2 });
  });
});

describe('cache: false', () => {
  it('analyzes anew and leaves the cache alone', () => {
    const kernel = createKernel(GRAPH, { cache: false });
    expect(kernel.holds('path(/a, /c)')).toBe(true);
    expect(kernelCacheStats()).toMatchObject({ programs: 0, hits: 0, misses: 0 });
    createKernel(GRAPH);
    createKernel(GRAPH, { cache: false });
    expect(kernelCacheStats()).toMatchObject({ programs: 1, hits: 0, misses: 1 });
  });
});

describe('bounds', () => {
  const program = (i: number) => `p(${i}).\nq(X) :- p(X).`;

  it('keeps at most maxPrograms, the least recently used going first', () => {
    setKernelCacheLimits({ maxPrograms: 3 });
    for (let i = 0; i < 3; i++) createKernel(program(i));
    createKernel(program(0)); // now the most recent
    createKernel(program(3)); // evicts program(1)
    expect(kernelCacheStats()).toMatchObject({ programs: 3, misses: 4, hits: 1 });
    createKernel(program(0));
    createKernel(program(2));
    createKernel(program(3));
    expect(kernelCacheStats()).toMatchObject({ programs: 3, misses: 4, hits: 4 });
    createKernel(program(1));
    expect(kernelCacheStats()).toMatchObject({ programs: 3, misses: 5 });
  });

  it('keeps at most maxChars of source text, and never a program larger than that', () => {
    const size = program(0).length + '<input>'.length;
    setKernelCacheLimits({ maxChars: 2 * size });
    for (let i = 0; i < 5; i++) createKernel(program(i));
    const stats = kernelCacheStats();
    expect(stats.programs).toBe(2);
    expect(stats.chars).toBeLessThanOrEqual(2 * size);
    const large = `${'# padding\n'.repeat(size)}p(1).`;
    createKernel(large);
    createKernel(large);
    expect(kernelCacheStats()).toMatchObject({ programs: 2, misses: 7, hits: 0 });
  });

  it('stays bounded however many different programs are loaded', () => {
    setKernelCacheLimits({ maxPrograms: 4, maxChars: 10_000 });
    for (let i = 0; i < 200; i++) createKernel(program(i));
    const stats = kernelCacheStats();
    expect(stats.programs).toBeLessThanOrEqual(4);
    expect(stats.chars).toBeLessThanOrEqual(10_000);
  });

  it('shrinking the limits evicts at once; maxPrograms 0 turns the cache off', () => {
    for (let i = 0; i < 5; i++) createKernel(program(i));
    expect(kernelCacheStats().programs).toBe(5);
    const before = setKernelCacheLimits({ maxPrograms: 2 });
    expect(before.maxPrograms).toBe(limits.maxPrograms);
    expect(kernelCacheStats().programs).toBe(2);
    setKernelCacheLimits({ maxPrograms: 0 });
    expect(kernelCacheStats().programs).toBe(0);
    createKernel(program(0));
    createKernel(program(0));
    expect(kernelCacheStats()).toMatchObject({ programs: 0, hits: 0 });
  });

  it('rejects limits that are not non-negative integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        setKernelCacheLimits({ maxChars: bad });
        expect.unreachable(`maxChars ${bad} was accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(KernelCacheOptionError);
        expect((error as KernelCacheOptionError).code).toBe('kernel_cache_option');
      }
    }
    expect(kernelCacheStats().maxChars).toBe(limits.maxChars);
  });

  it('a kernel outlives the eviction of its program', () => {
    setKernelCacheLimits({ maxPrograms: 1 });
    const kernel = createKernel(GRAPH);
    createKernel(program(1));
    clearKernelCache();
    expect(kernel.assert('edge(/c, /d).')).toBe(true);
    expect(kernel.holds('path(/a, /d)')).toBe(true);
  });
});

/**
 * Two kernels of one cached program, each maintained through its own random
 * steps, interleaved: after every step both equal the reference evaluator on
 * their own facts. Plans compiled lazily for one (delta, negation, group,
 * head-bound, query plans) are then used by the other.
 */
describe('two kernels of one program, maintained side by side', () => {
  const RULES = [
    'path(X, Y) :- e(X, Y).',
    'path(X, Z) :- path(X, Y), e(Y, Z).',
    'open(X) :- path(X, _), !mark(X).',
    'degree(X, N) :- path(X, Y) |> do fn:group_by(X), let N = fn:count().',
    'label(X, L) :- mark(X) |> let L = fn:string:concat("m", X).',
    'hub(X) :- degree(X, N), N >= 3.',
  ];
  const PREDICATES = ['e', 'mark', 'path', 'open', 'degree', 'label', 'hub'];
  const nodes = ['/a', '/b', '/c', '/d', '/e'];
  const factArb = fc.oneof(
    fc
      .tuple(fc.constantFrom(...nodes), fc.constantFrom(...nodes))
      .map(([x, y]) => `e(${x}, ${y}).`),
    fc.constantFrom(...nodes).map((x) => `mark(${x}).`),
  );
  const INITIAL = ['e(/a, /b).', 'e(/b, /c).', 'mark(/c).'];
  const text = ['Decl e(X, Y).', 'Decl mark(X).', ...INITIAL, ...RULES].join('\n');

  const modelOf = (kernel: Kernel) => {
    const model = new Map<string, Set<string>>();
    for (const name of PREDICATES) {
      const facts = kernel.facts(name);
      if (facts.length > 0)
        model.set(name, new Set(facts.map((values) => values.map(valueKey).join('|'))));
    }
    return model;
  };
  const reference = (held: Iterable<string>) => {
    const source = ['Decl e(X, Y).', 'Decl mark(X).', ...held, ...RULES].join('\n');
    const full = naiveModel([parseProgram(source, 'ref.mg')]);
    const model = new Map<string, Set<string>>();
    for (const name of PREDICATES) {
      const facts = full.get(name);
      if (facts && facts.size > 0) model.set(name, facts);
    }
    return model;
  };

  it('each equals the reference evaluator on its own facts after every step', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            which: fc.constantFrom(0, 1),
            kind: fc.constantFrom('assert' as const, 'retract' as const, 'with' as const),
            facts: fc.array(factArb, { minLength: 1, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        (steps) => {
          clearKernelCache();
          const kernels = [createKernel(text), createKernel(text)];
          expect(kernelCacheStats().hits).toBe(1);
          const held = [new Set(INITIAL), new Set(INITIAL)];
          for (const step of steps) {
            const kernel = kernels[step.which] as Kernel;
            const own = held[step.which] as Set<string>;
            if (step.kind === 'with') {
              kernel.withFacts(step.facts, (k) => {
                expect(modelOf(k)).toEqual(reference(new Set([...own, ...step.facts])));
                const other = 1 - step.which;
                expect(modelOf(kernels[other] as Kernel)).toEqual(
                  reference(held[other] as Set<string>),
                );
              });
            } else if (step.kind === 'assert') {
              kernel.assertAll(step.facts);
              for (const fact of step.facts) own.add(fact);
            } else {
              kernel.retractAll(step.facts);
              for (const fact of step.facts) own.delete(fact);
            }
            for (let i = 0; i < 2; i++) {
              const kernel = kernels[i] as Kernel;
              const expected = reference(held[i] as Set<string>);
              expect(modelOf(kernel)).toEqual(expected);
              // Query plans are shared per program too; answers are each kernel's own.
              const fromA = [...(expected.get('path') ?? [])].filter((key) =>
                key.startsWith('/a|'),
              );
              expect(kernel.query('path(/a, Y)')).toHaveLength(fromA.length);
              expect(kernel.query(pattern('path', [nameValue('/a'), 'Y']))).toHaveLength(
                fromA.length,
              );
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers Atom queries per kernel from shared plans', () => {
    const a = createKernel(text);
    const b = createKernel(text);
    const atom = pattern('path', [nameValue('/a'), 'Y']);
    a.assert('e(/c, /d).');
    expect(a.query(atom).map((answer) => valueKey(answer.bindings.Y as Value))).toEqual([
      '/b',
      '/c',
      '/d',
    ]);
    expect(b.query(atom).map((answer) => valueKey(answer.bindings.Y as Value))).toEqual([
      '/b',
      '/c',
    ]);
  });
});
