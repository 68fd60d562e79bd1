/**
 * Kernel benchmarks. Every figure is printed beside the same work done by
 * naive bottom-up evaluation (every rule re-run on whole relations each round,
 * same engine, same indexes) in the same run.
 */
import { createKernel, type KernelOptions, nameValue, stringValue } from '../src/kernel/index.js';
import { loadShippedRules } from '../src/rules/index.js';
import { type BenchRow, measure } from './support.js';

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

/** Facts derived per second by loading `text` and evaluating it to fixpoint. */
function factsPerSecond(text: string, predicate: string, options: KernelOptions = {}): number {
  const started = performance.now();
  const kernel = createKernel(text, options);
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
}
