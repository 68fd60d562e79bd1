/**
 * Time and identity are injected so that every run can be replayed exactly in
 * tests. `setTimeout`/`clearTimeout` make a Clock usable as XState's actor clock;
 * XState's own `SimulatedClock` satisfies this interface and is what tests use.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type IdGenerator = (prefix: string) => string;

/** Deterministic ids: `prefix-1`, `prefix-2`, ... per prefix. */
export function sequentialIds(): IdGenerator {
  const counters = new Map<string, number>();
  return (prefix) => {
    const next = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, next);
    return `${prefix}-${next}`;
  };
}

export const randomIds: IdGenerator = (prefix) => `${prefix}-${crypto.randomUUID()}`;
