/**
 * Cleanup of what a test makes (temp dirs, servers, executors, processes):
 * by default when the test that made it finishes, pass or fail, the last made
 * first. Helpers that make something take a `Defer`, so a `beforeAll` can hand
 * them one of its own.
 */
import { onTestFinished } from 'vitest';

export type Cleanup = () => unknown;
export type Defer = (cleanup: Cleanup) => void;

/** Runs `cleanup` when the current test finishes (vitest's `onTestFinished`, last registered first). */
export const afterTest: Defer = (cleanup) => {
  onTestFinished(async () => {
    await cleanup();
  });
};

/**
 * For what a `beforeAll` makes: pass `defer` to the helpers, and return
 * `release` from the hook, which vitest then runs after the suite's tests.
 */
export function suiteCleanups(): { readonly defer: Defer; readonly release: () => Promise<void> } {
  const cleanups: Cleanup[] = [];
  return {
    defer: (cleanup) => {
      cleanups.push(cleanup);
    },
    release: async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}
