/** Small timing and memory helpers shared by the benchmarks. */
import { setImmediate as tick } from 'node:timers/promises';

export type BenchRow = {
  name: string;
  unit: string;
  value: number;
  baseline: string;
  baselineValue: number;
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
  options: { baseline: string; baselineValue: () => Promise<number> | number; target?: string },
): Promise<BenchRow> {
  await run(); // warm-up, so both sides are measured with optimised code
  const value = await run();
  await options.baselineValue();
  const baselineValue = await options.baselineValue();
  return {
    name,
    unit,
    value,
    baseline: options.baseline,
    baselineValue,
    ...(options.target ? { target: options.target } : {}),
  };
}

export async function gc(): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run benchmarks with --expose-gc (npm run bench does)');
  for (let i = 0; i < 3; i++) {
    collect();
    await tick();
  }
}

export const heapUsed = (): number => process.memoryUsage().heapUsed;

export function printRows(rows: BenchRow[]): void {
  const format = (value: number) => Math.round(value).toLocaleString('en');
  for (const row of rows) {
    const ratio = row.baselineValue > 0 ? row.value / row.baselineValue : Number.NaN;
    console.log(`${row.name}`);
    console.log(
      `  nerdloop: ${format(row.value)} ${row.unit}${row.target ? `   (target ${row.target})` : ''}`,
    );
    console.log(
      `  baseline: ${format(row.baselineValue)} ${row.unit}   (${row.baseline}; ratio ${ratio.toFixed(2)})`,
    );
  }
}
