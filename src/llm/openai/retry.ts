/**
 * Our own retry policy: the SDK's retries are off so that backoff, jitter and
 * the waits themselves are injectable and the loop can be tested without
 * waiting on the wall clock.
 */
import type { Clock } from '../../core/clock.js';
import { LlmCancelled, LlmError, LlmRateLimited } from '../errors.js';

export type RetryOptions = {
  /** The first backoff, before jitter (default 500 ms); doubles each retry. */
  readonly initialMs: number;
  /** The longest backoff (default 8 s). */
  readonly maxMs: number;
  /** Up to this fraction of a backoff is taken off at random (default 0.25), so clients spread out. */
  readonly jitter: number;
  /**
   * A `Retry-After` longer than this is not waited out inside the call: the
   * error is thrown at once with `retryAfterMs` so the caller decides (default 60 s).
   */
  readonly maxRetryAfterMs?: number;
};

export const DEFAULT_RETRY: Required<RetryOptions> = {
  initialMs: 500,
  maxMs: 8_000,
  jitter: 0.25,
  maxRetryAfterMs: 60_000,
};

/** Waits `ms`; may reject early when `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export function clockSleep(clock: Clock): Sleep {
  return (ms, signal) =>
    new Promise<void>((resolve) => {
      const handle = clock.setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      }, ms);
      const stop = () => {
        clock.clearTimeout(handle);
        resolve();
      };
      signal.addEventListener('abort', stop, { once: true });
    });
}

/** Backoff before retry number `retry` (0-based). */
export function backoffMs(retry: number, options: RetryOptions, random: () => number): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** retry);
  return base * (1 - options.jitter * random());
}

/**
 * How long the server asked us to wait: `retry-after-ms` (OpenAI's own), else
 * `Retry-After` in seconds or as an HTTP date; `null` when absent or unreadable.
 */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
  now: number,
): number | null {
  const millis = headers?.get('retry-after-ms');
  if (millis) {
    const value = Number(millis);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers?.get('retry-after')?.trim();
  if (!header) return null;
  if (/^\d+(\.\d+)?$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The server's requested wait carried by a mapped error, if any. */
export function retryAfterOf(error: LlmError): number | null {
  if (error instanceof LlmRateLimited) return error.retryAfterMs;
  const hinted = error.details.retryAfterMs;
  return typeof hinted === 'number' ? hinted : null;
}

export type RetryLoop = {
  readonly maxRetries: number;
  readonly retry: Required<RetryOptions>;
  readonly random: () => number;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  /** Asked before each retry; streams say no once they emitted anything. */
  readonly mayRetry?: () => boolean;
};

/** Runs `attempt` until it succeeds, fails for good, or the retries run out. */
export async function withRetries<T>(
  attempt: (retry: number) => Promise<T>,
  loop: RetryLoop,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry);
    } catch (error) {
      if (!(error instanceof LlmError)) throw error;
      if (!error.retryable || retry >= loop.maxRetries || loop.mayRetry?.() === false) throw error;
      const asked = retryAfterOf(error);
      if (asked !== null && asked > loop.retry.maxRetryAfterMs) throw error;
      await abortableSleep(asked ?? backoffMs(retry, loop.retry, loop.random), loop);
    }
  }
}

async function abortableSleep(ms: number, loop: RetryLoop): Promise<void> {
  const cancelled = () => new LlmCancelled('the call was cancelled while waiting to retry');
  if (loop.signal.aborted) throw cancelled();
  // An injected sleep may ignore the signal; the race keeps cancellation prompt anyway.
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled());
    loop.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([loop.sleep(ms, loop.signal), aborted]);
  } finally {
    loop.signal.removeEventListener('abort', onAbort);
  }
  if (loop.signal.aborted) throw cancelled();
}
