/**
 * One HTTP attempt's abort signal: it fires when the caller cancels or when the
 * attempt times out, and remembers which, because the SDK reports both as the
 * same abort.
 */
import type { Clock } from '../../core/clock.js';

export type AbortCause = 'cancelled' | 'timeout';

export interface AttemptScope {
  /** Passed to the SDK, so firing it aborts the real HTTP request. */
  readonly signal: AbortSignal;
  /** Why `signal` fired; `null` while it has not. */
  readonly cause: AbortCause | null;
  /** Restarts the timeout: a stream times out on silence, not on its length. */
  touch(): void;
  dispose(): void;
}

export function openAttempt(
  parent: AbortSignal | undefined,
  timeoutMs: number,
  clock: Clock,
): AttemptScope {
  const controller = new AbortController();
  let cause: AbortCause | null = null;
  let lastActivity = clock.now();
  let timer: unknown;

  const abort = (why: AbortCause) => {
    if (cause !== null) return;
    cause = why;
    controller.abort(why);
  };
  const onParentAbort = () => abort('cancelled');
  // Re-arming on every chunk would churn timers; the timer checks for activity when it fires instead.
  const arm = (ms: number) => {
    timer = clock.setTimeout(() => {
      const idle = clock.now() - lastActivity;
      if (idle >= timeoutMs) abort('timeout');
      else arm(timeoutMs - idle);
    }, ms);
  };

  if (parent?.aborted) abort('cancelled');
  else {
    parent?.addEventListener('abort', onParentAbort, { once: true });
    arm(timeoutMs);
  }

  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    touch() {
      lastActivity = clock.now();
    },
    dispose() {
      clock.clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
