/**
 * Kernel benchmarks. Every figure is printed beside a baseline measured in the
 * same run: the same work done by naive bottom-up evaluation (every rule re-run
 * on whole relations each round, same engine, same indexes), or, for asserting
 * and retracting, re-evaluating the whole program from scratch, for the
 * policy gate's decision, asserting and retracting its facts one at a time,
 * and for a fresh kernel, loading without the analyzed-program cache.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createKernel,
  type FactInput,
  type Kernel,
  type KernelOptions,
  loadKernel,
  nameValue,
  stringValue,
} from '../src/kernel/index.js';
import { decide, fileSystemRealpath, loadShippedRules, type World } from '../src/rules/index.js';
import {
  type GeneratedProgram,
  generateProgram,
  programSources,
  writeProgram,
} from '../test/support/generated-program.js';
import { type BenchRow, gc, measure } from './support.js';

const TC = 'path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).';
const REACH = 'reach(0).\nreach(Y) :- reach(X), edge(X, Y).';

const chain = (n: number): string =>
  Array.from({ length: n }, (_, i) => `edge(${i}, ${i + 1}).`).join('\n');

/** A random graph from a seeded generator, so every run builds the same one. */
function randomGraph(nodes: number, edges: number, seed: number): string {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const out = new Set<string>();
  while (out.size < edges) {
    out.add(`edge(${Math.floor(next() * nodes)}, ${Math.floor(next() * nodes)}).`);
  }
  return [...out].join('\n');
}

/**
 * Facts derived per second by loading `text` and evaluating it to fixpoint:
 * parsed and analyzed each time (the warm-up would otherwise leave the
 * analysis cached).
 */
function factsPerSecond(text: string, predicate: string, options: KernelOptions = {}): number {
  const started = performance.now();
  const kernel = createKernel(text, { ...options, cache: false });
  const seconds = (performance.now() - started) / 1000;
  return kernel.facts(predicate).length / seconds;
}

async function fixpointRow(name: string, text: string, predicate: string): Promise<BenchRow> {
  return measure(name, 'facts/s', () => factsPerSecond(text, predicate), {
    baselines: [
      {
        name: 'naive bottom-up, same engine',
        run: () => factsPerSecond(text, predicate, { strategy: 'naive' }),
      },
    ],
  });
}

/**
 * Routes one intent with the shipped rules: assert its `user_intent`, read the
 * persona and the tools, retract it. Returns routes per second.
 */
async function routesPerSecond(n: number, options: KernelOptions = {}): Promise<number> {
  const kernel = await loadShippedRules([], options);
  const verbs = ['/fix', '/test', '/review', '/research', '/dance'];
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `i${i}`;
    const fact = {
      predicate: 'user_intent',
      args: [
        stringValue(id),
        nameValue('/command'),
        nameValue(verbs[i % verbs.length] as string),
        stringValue('src/app.ts'),
        stringValue(''),
      ],
    };
    kernel.assert(fact);
    const persona = kernel.query(`persona("${id}", P)`);
    const tools = kernel.query(`intent_tool("${id}", T)`);
    if (persona.length !== 1 || tools.length === 0) throw new Error(`routing failed for ${id}`);
    kernel.retract(fact);
  }
  return n / ((performance.now() - started) / 1000);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Milliseconds to load, analyze (no cache) and evaluate the program in `dir`: the median of `runs` loads. */
async function loadMs(dir: string, runs: number, options: KernelOptions = {}): Promise<number> {
  // The rows before this one leave large heaps behind: collect them first, so
  // both sides pay only for the garbage their own loads make.
  await gc();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await loadKernel([dir], { ...options, cache: false });
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Every `step`-th item, starting at an offset, so a sample spreads over the whole program. */
const sample = <T>(items: readonly T[], count: number): T[] => {
  const step = Math.max(1, Math.floor(items.length / count));
  return Array.from(
    { length: Math.min(count, items.length) },
    (_, i) => items[(i * step + 7) % items.length] as T,
  );
};

/**
 * The generated program at the scale (100 files, 1,500 Decls, 500
 * rules, 4,000 facts): loading it, and keeping its model up to date when one
 * base fact comes and goes, incrementally vs re-evaluating from scratch.
 */
async function generatedProgramRows(
  quick: boolean,
  report: (row: BenchRow) => void,
): Promise<void> {
  const program = generateProgram();
  const { files, declarations, rules, facts } = program.counts;
  const size = `${files} files, ${declarations.toLocaleString('en')} Decls, ${rules} rules, ${facts.toLocaleString('en')} facts`;
  const dir = await mkdtemp(join(tmpdir(), 'nerdloop-bench-'));
  try {
    await writeProgram(program, dir);
    const runs = quick ? 3 : 9;
    report(
      await measure(
        `load, analyze and evaluate a generated program from a directory (${size})`,
        'ms',
        () => loadMs(dir, runs),
        {
          baselines: [
            {
              name: 'naive bottom-up, same engine',
              run: () => loadMs(dir, runs, { strategy: 'naive' }),
            },
          ],
          target: 'well under 1,000 ms',
        },
      ),
    );
    const incremental = quick ? 50 : 200;
    const scratch = quick ? 3 : 10;
    report(
      await churnRow(
        'assert a new base fact, then retract it',
        program,
        sample(program.freshFacts, incremental),
        sample(program.freshFacts, scratch),
        (fact) => ({ add: [fact] }),
        { first: 'assert' },
      ),
    );
    report(
      await churnRow(
        'retract a base fact of the program, then assert it again',
        program,
        sample(program.facts, incremental),
        sample(program.facts, scratch),
        (fact) => ({ remove: [fact] }),
        { first: 'retract' },
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * µs per operation of keeping one kernel's model current through a pair of
 * operations on each fact, against building a new kernel for each operation
 * (the program with the change, then the program as it was).
 */
async function churnRow(
  what: string,
  program: GeneratedProgram,
  facts: readonly string[],
  scratchFacts: readonly string[],
  change: (fact: string) => { add?: string[]; remove?: string[] },
  order: { first: 'assert' | 'retract' },
): Promise<BenchRow> {
  const kernel = createKernel(program.sources);
  const incremental = () => {
    const started = performance.now();
    for (const fact of facts) {
      const ok =
        order.first === 'assert'
          ? kernel.assert(fact) && kernel.retract(fact)
          : kernel.retract(fact) && kernel.assert(fact);
      if (!ok) throw new Error(`${fact} was not ${order.first}ed and undone`);
    }
    return ((performance.now() - started) * 1000) / (2 * facts.length);
  };
  const fromScratch = () => {
    const started = performance.now();
    // Without the cache: the baseline is the whole load, as before it existed.
    for (const fact of scratchFacts) {
      createKernel(programSources(program, change(fact)), { cache: false });
      createKernel(program.sources, { cache: false });
    }
    return ((performance.now() - started) * 1000) / (2 * scratchFacts.length);
  };
  return measure(
    `${what}, in the generated 100-file program (${facts.length} facts, 2 operations each)`,
    'µs/op',
    incremental,
    {
      baselines: [
        { name: 'full re-evaluation: a new kernel for each operation', run: fromScratch },
      ],
      target: 'orders of magnitude below full re-evaluation',
    },
  );
}

/**
 * µs per policy decision as the gate makes one for each tool call: `decide`
 * on a long-lived kernel with the shipped rules, for a read_file of an
 * existing file in a real workspace (symlinks followed), permitted, with the
 * explanation. `oneByOne` asserts and retracts the action's facts one at a
 * time, each its own pass over the model, as decide did before withFacts.
 */
async function decisionMicros(world: World, n: number, oneByOne: boolean): Promise<number> {
  const shipped = await loadShippedRules();
  const kernel = oneByOne ? factByFact(shipped) : shipped;
  let id = 0;
  const one = () => decideRead(kernel, world, `call-${id++}`);
  for (let i = 0; i < 200; i++) one();
  const started = performance.now();
  for (let i = 0; i < n; i++) one();
  return ((performance.now() - started) * 1000) / n;
}

/** The gate's decision on a read_file of src/app.ts, checked: permitted, with one proof. */
function decideRead(kernel: Kernel, world: World, id: string): void {
  const decision = decide(
    kernel,
    {
      id,
      action: 'read_file',
      target: 'src/app.ts',
      payload: '',
      time: 1_700_000_000_000,
      persona: 'coder',
    },
    world,
    { explain: true },
  );
  if (!decision.permitted || decision.proofs?.length !== 1)
    throw new Error(`read_file of src/app.ts was not permitted: ${decision.reasons.join(', ')}`);
}

/**
 * µs to build a fresh kernel from the shipped rules, as each agent task does
 * (loadShippedRules: the files read, the program analyzed or taken from the
 * cache, its facts evaluated), then make one policy decision on it.
 */
async function freshDecisionMicros(world: World, n: number, cache: boolean): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    decideRead(await loadShippedRules([], { cache }), world, `call-${i}`);
  }
  return ((performance.now() - started) * 1000) / n;
}

/** The kernel, with withFacts asserting and retracting fact by fact. */
function factByFact(kernel: Kernel): Kernel {
  const withFacts = <T>(facts: Iterable<string | FactInput>, inspect: (k: Kernel) => T): T => {
    const asserted: (string | FactInput)[] = [];
    try {
      for (const fact of facts) if (kernel.assert(fact)) asserted.push(fact);
      return inspect(kernel);
    } finally {
      for (const fact of asserted.reverse()) kernel.retract(fact);
    }
  };
  return new Proxy(kernel, {
    get: (target, property) => {
      if (property === 'withFacts') return withFacts;
      const value: unknown = Reflect.get(target, property, target);
      // Methods use private fields: they must run on the kernel, not the proxy.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function decisionRows(quick: boolean, report: (row: BenchRow) => void): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'nerdloop-bench-gate-'));
  try {
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'src', 'app.ts'), 'export {};\n');
    const world: World = { workspaceRoot: root, realpath: fileSystemRealpath };
    const n = quick ? 2_000 : 20_000;
    const decision = await measure(
      'one policy decision (decide read_file, permitted, with explanation) on the shipped rules',
      'µs',
      () => decisionMicros(world, n, false),
      {
        baselines: [
          {
            name: 'the same decision, its facts asserted and retracted one at a time',
            run: () => decisionMicros(world, n, true),
          },
        ],
        target: 'well under 100 µs',
      },
    );
    report(decision);
    const fresh = quick ? 100 : 500;
    report(
      await measure(
        'fresh kernel from the shipped rules (files read), then one policy decision (decide read_file, permitted, with explanation)',
        'µs',
        () => freshDecisionMicros(world, fresh, true),
        {
          baselines: [
            {
              name: 'the same without the analyzed-program cache (cache: false)',
              run: () => freshDecisionMicros(world, fresh, false),
            },
          ],
        },
      ),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function kernelBench(options: {
  quick: boolean;
  report: (row: BenchRow) => void;
}): Promise<void> {
  const routes = options.quick ? 2_000 : 20_000;
  const row = await measure(
    'route one intent with the shipped rules (assert, query persona and tools, retract)',
    'routes/s',
    () => routesPerSecond(routes),
    {
      baselines: [
        {
          name: 'naive bottom-up, same engine',
          run: () => routesPerSecond(Math.ceil(routes / 10), { strategy: 'naive' }),
        },
      ],
      target: '≥ 20,000 (under 50 µs a route)',
    },
  );
  options.report(row);
  await decisionRows(options.quick, options.report);
  const chainLength = options.quick ? 2_000 : 10_000;
  options.report(
    await fixpointRow(
      `closure from one node of a ${chainLength.toLocaleString('en')}-edge chain (${chainLength.toLocaleString('en')} rounds)`,
      `${chain(chainLength)}\n${REACH}`,
      'reach',
    ),
  );
  // The all-pairs closure of a 10,000-edge chain has 50,005,000 facts: more than
  // fits a Node heap as tuples. All pairs are measured on a shorter chain.
  const pairsLength = options.quick ? 150 : 300;
  options.report(
    await fixpointRow(
      `all-pairs transitive closure of a ${pairsLength}-edge chain`,
      `${chain(pairsLength)}\n${TC}`,
      'path',
    ),
  );
  options.report(
    await fixpointRow(
      'transitive closure of a 1,000-node random graph (1,200 edges, 62,782 paths)',
      `${randomGraph(1_000, 1_200, 42)}\n${TC}`,
      'path',
    ),
  );
  await generatedProgramRows(options.quick, options.report);
}
