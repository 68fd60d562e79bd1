/** Typed LLM errors: an embedding app and the loop branch on `code`. */
import { NerdloopError } from '../core/errors.js';

export abstract class LlmError extends NerdloopError {
  /** Whether trying the same call again may succeed. */
  abstract readonly retryable: boolean;
}

/** 429: too many requests. `retryAfterMs` from the server's Retry-After, when it sent one. */
export class LlmRateLimited extends LlmError {
  readonly code = 'llm_rate_limited';
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** The call took longer than its timeout. */
export class LlmTimeout extends LlmError {
  readonly code = 'llm_timeout';
  readonly retryable = true;
}

/** 5xx, or the connection failed or broke mid-answer. */
export class LlmUnavailable extends LlmError {
  readonly code = 'llm_unavailable';
  readonly retryable = true;
}

/** 401/403: the key is missing, wrong or not allowed. */
export class LlmAuth extends LlmError {
  readonly code = 'llm_auth';
  readonly retryable = false;
}

/** 400/404/422, or a response that is not what the API promises (bad JSON, no choices). */
export class LlmBadResponse extends LlmError {
  readonly code = 'llm_bad_response';
  readonly retryable = false;
}

/** The caller's AbortSignal fired. */
export class LlmCancelled extends LlmError {
  readonly code = 'llm_cancelled';
  readonly retryable = false;
}

/** A run's token or cost budget is spent. */
export class LlmBudgetExceeded extends LlmError {
  readonly code = 'llm_budget_exceeded';
  readonly retryable = false;
}

/** Replay found no recorded response for a request. */
export class LlmCassetteMiss extends LlmError {
  readonly code = 'llm_cassette_miss';
  readonly retryable = false;
}

/** A scripted model was asked for more than its script, or the script was not used up. */
export class LlmScriptError extends LlmError {
  readonly code = 'llm_script';
  readonly retryable = false;
}
