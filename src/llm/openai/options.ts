/** The adapter's options, their defaults, and their validation. */
import type { ClientOptions } from 'openai';
import { type Clock, systemClock } from '../../core/clock.js';
import { NerdloopError } from '../../core/errors.js';
import { LlmAuth } from '../errors.js';
import { clockSleep, DEFAULT_RETRY, type RetryOptions, type Sleep } from './retry.js';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/**
 * OpenAI's own endpoint, always passed explicitly: left out, the SDK reads
 * `process.env.OPENAI_BASE_URL` itself, behind the caller's back.
 */
export const OPENAI_API_URL = 'https://api.openai.com/v1';

export type OpenAiModelOptions = {
  /** Default: the SDK's, `https://api.openai.com/v1`. */
  readonly baseURL?: string;
  /** Required; `fromEnv` reads it from `OPENAI_API_KEY`. */
  readonly apiKey?: string;
  /** Default `gpt-4o-mini`; a request's `model` overrides it. */
  readonly model?: string;
  /**
   * Per HTTP attempt (default 60 s). A stream times out when nothing arrives
   * for this long, so a long answer that keeps flowing is not cut off.
   */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  readonly maxRetries?: number;
  readonly retry?: Partial<RetryOptions>;
  /** Drives timeouts, the default `sleep`, and HTTP-date `Retry-After` (default: system clock). */
  readonly clock?: Clock;
  /** In [0, 1); drives jitter (default `Math.random`). */
  readonly random?: () => number;
  /** Waits between retries (default: a timer on `clock`). */
  readonly sleep?: Sleep;
  /** Passed to the SDK, e.g. to route requests through a proxy or a recorder. */
  readonly fetch?: ClientOptions['fetch'];
};

export class InvalidOpenAiOptionsError extends NerdloopError {
  readonly code = 'invalid_openai_options';
}

export type Settings = {
  readonly client: ClientOptions;
  readonly model: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retry: Required<RetryOptions>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly sleep: Sleep;
};

function check(ok: boolean, message: string, value: unknown): void {
  if (!ok) throw new InvalidOpenAiOptionsError(message, { details: { value } });
}

export function resolveSettings(options: OpenAiModelOptions): Settings {
  if (!options.apiKey) {
    throw new LlmAuth('no OpenAI API key: pass `apiKey`, or set OPENAI_API_KEY and use fromEnv()');
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxRetries = options.maxRetries ?? 3;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  check(Number.isFinite(timeoutMs) && timeoutMs > 0, 'timeoutMs must be positive', timeoutMs);
  check(
    Number.isInteger(maxRetries) && maxRetries >= 0,
    'maxRetries must be an integer ≥ 0',
    maxRetries,
  );
  check(
    retry.initialMs >= 0 && retry.maxMs >= retry.initialMs,
    'retry needs 0 ≤ initialMs ≤ maxMs',
    retry,
  );
  check(retry.jitter >= 0 && retry.jitter <= 1, 'retry.jitter must be within [0, 1]', retry.jitter);
  const clock = options.clock ?? systemClock;
  return {
    client: {
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? OPENAI_API_URL,
      // The SDK would also read these from process.env; nerdloop's configuration is explicit.
      organization: null,
      project: null,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      // Our retry loop owns retries, so their timing is injectable and testable.
      maxRetries: 0,
      // A backstop while waiting for headers; our own timer covers the body, which the SDK's does not.
      timeout: Math.ceil(timeoutMs),
    },
    model: options.model ?? DEFAULT_OPENAI_MODEL,
    timeoutMs,
    maxRetries,
    retry,
    clock,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? clockSleep(clock),
  };
}
