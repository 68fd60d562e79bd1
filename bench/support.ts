/** Small timing and memory helpers shared by the benchmarks. */
import { setImmediate as tick } from 'node:timers/promises';

export type Baseline = { name: string; value: number };

export type BenchRow = {
  name: string;
  unit: string;
  value: number;
  /** Measured in the same run, on the same machine; the first is the named baseline. */
  baselines: Baseline[];
  target?: string;
};

/** Operations per second of a synchronous loop of `n` operations. */
export function timeIt(n: number, body: () => void): number {
  const started = performance.now();
  body();
  return n / ((performance.now() - started) / 1000);
}

export async function measure(
  name: string,
  unit: string,
  run: () => Promise<number> | number,
  options: {
    baselines: Array<{ name: string; run: () => Promise<number> | number }>;
    target?: string;
  },
): Promise<BenchRow> {
  await run(); // warm-up, so every side is measured with optimised code
  const value = await run();
  const baselines: Baseline[] = [];
  for (const baseline of options.baselines) {
    await baseline.run();
    baselines.push({ name: baseline.name, value: await baseline.run() });
  }
  return { name, unit, value, baselines, ...(options.target ? { target: options.target } : {}) };
}

type Collect = (options?: { type: 'major' | 'minor' }) => void;

/** V8's collector, as `--expose-gc` exposes it. */
function collector(): Collect {
  const collect = (globalThis as { gc?: Collect }).gc;
  if (!collect) throw new Error('run benchmarks with --expose-gc (npm run bench does)');
  return collect;
}

export async function gc(): Promise<void> {
  const collect = collector();
  for (let i = 0; i < 3; i++) {
    collect();
    await tick();
  }
}

/**
 * A young-generation collection only: it empties the nursery, where a run's
 * short-lived garbage is, without the full collection that `gc` makes. After
 * a full collection V8 compiles regular expressions again on their next use
 * (measured: the transducer's first call after one takes ~0.6 ms instead of
 * ~30 µs), so a full collection before every run of every side would make
 * each run pay that, which a process running tasks back to back does not.
 */
export async function scavenge(): Promise<void> {
  collector()({ type: 'minor' });
  await tick();
}

export const heapUsed = (): number => process.memoryUsage().heapUsed;

export function printRows(rows: BenchRow[]): void {
  // Small figures (ratios, ×, ms) keep their decimals; large ones read better whole.
  const format = (value: number) =>
    Math.abs(value) < 10
      ? value.toFixed(2)
      : Math.abs(value) < 100
        ? value.toFixed(1)
        : Math.round(value).toLocaleString('en');
  for (const row of rows) {
    console.log(`${row.name}`);
    console.log(
      `  nerdloop: ${format(row.value)} ${row.unit}${row.target ? `   (target ${row.target})` : ''}`,
    );
    for (const baseline of row.baselines) {
      const ratio = baseline.value > 0 ? row.value / baseline.value : Number.NaN;
      // Two significant digits when the ratio is tiny (µs against a full re-evaluation), not 0.00.
      const shown = Math.abs(ratio) < 0.01 ? ratio.toPrecision(2) : ratio.toFixed(2);
      console.log(
        `  baseline: ${format(baseline.value)} ${row.unit}   (${baseline.name}; nerdloop/baseline ${shown})`,
      );
    }
  }
}
