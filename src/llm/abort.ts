/** How every model adapter and wrapper turns an AbortSignal into the port's error. */
import { describeUnknownError } from '../core/index.js';
import { LlmCancelled } from './errors.js';

export function cancelledError(signal: AbortSignal): LlmCancelled {
  return new LlmCancelled(`the call was cancelled: ${describeUnknownError(signal.reason)}`, {
    cause: signal.reason,
  });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

/**
 * Settles like `work`, unless `signal` fires first: then rejects with
 * LlmCancelled. `work` keeps running; the caller just stops waiting for it.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(cancelledError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
