/** Turns whatever the SDK or the wire threw into one of the typed LLM errors. */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import { describeUnknownError } from '../../core/errors.js';
import {
  LlmAuth,
  LlmBadResponse,
  LlmCancelled,
  LlmError,
  LlmRateLimited,
  LlmTimeout,
  LlmUnavailable,
} from '../errors.js';
import type { AbortCause } from './attempt.js';
import { parseRetryAfter } from './retry.js';

export function abortError(cause: AbortCause, timeoutMs: number, error?: unknown): LlmError {
  const options = error === undefined ? {} : { cause: error };
  return cause === 'cancelled'
    ? new LlmCancelled('the call was cancelled', options)
    : new LlmTimeout(`no answer within ${timeoutMs} ms`, { ...options, details: { timeoutMs } });
}

/** Undici reports a connection that broke mid-body as a TypeError ("terminated", socket errors). */
function isBrokenConnection(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const cause = (error as { cause?: unknown }).cause;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  return (
    error.message === 'terminated' ||
    error.message === 'fetch failed' ||
    code.startsWith('UND_ERR') ||
    code.startsWith('ECONN') ||
    code === 'EPIPE'
  );
}

function fromStatus(error: APIError, status: number, now: number): LlmError {
  const retryAfterMs = parseRetryAfter(error.headers, now);
  const details = { status, ...(retryAfterMs === null ? {} : { retryAfterMs }) };
  const options = { cause: error, details };
  if (status === 401 || status === 403) return new LlmAuth(error.message, options);
  if (status === 429) return new LlmRateLimited(error.message, retryAfterMs, { cause: error });
  // 408 and 409 are the server asking to be tried again, as the SDK treats them.
  if (status >= 500 || status === 408 || status === 409) {
    return new LlmUnavailable(error.message, options);
  }
  return new LlmBadResponse(error.message, options);
}

/**
 * Maps an attempt's failure. An abort the attempt caused itself (cancel or
 * timeout) wins over whatever error the abort surfaced as.
 */
export function toLlmError(
  error: unknown,
  context: { cause: AbortCause | null; timeoutMs: number; now: number },
): LlmError {
  if (error instanceof LlmError) return error;
  if (context.cause !== null) return abortError(context.cause, context.timeoutMs, error);
  if (error instanceof APIUserAbortError) return new LlmCancelled(error.message, { cause: error });
  if (error instanceof APIConnectionTimeoutError) {
    return abortError('timeout', context.timeoutMs, error);
  }
  if (error instanceof APIConnectionError) {
    return new LlmUnavailable(`cannot reach the server: ${error.message}`, { cause: error });
  }
  if (error instanceof APIError) {
    if (error.status !== undefined) return fromStatus(error, error.status, context.now);
    // An error event inside an SSE stream: the server failed while answering.
    return new LlmUnavailable(`the server reported an error mid-stream: ${error.message}`, {
      cause: error,
    });
  }
  if (isBrokenConnection(error)) {
    return new LlmUnavailable(
      `the connection broke before the answer was complete: ${describeUnknownError(error)}`,
      { cause: error },
    );
  }
  if (error instanceof SyntaxError) {
    return new LlmBadResponse(`the server sent invalid JSON: ${error.message}`, { cause: error });
  }
  if (error instanceof OpenAIError) return new LlmBadResponse(error.message, { cause: error });
  return new LlmBadResponse(`unexpected failure: ${describeUnknownError(error)}`, { cause: error });
}
