/**
 * A signal that follows a parent signal and, once started, aborts by itself
 * after `ms` on an injectable clock. Built by hand rather than with
 * `AbortSignal.timeout`, which only the real clock drives.
 */
import type { Clock } from './clock.js';

export type Deadline = {
  readonly signal: AbortSignal;
  /** The timer ran out (as opposed to the parent aborting). */
  readonly expired: boolean;
  /** Starts the timer; later calls do nothing. Without `ms` there is no timer. */
  start(): void;
  /** Stops following the parent and clears the timer. */
  dispose(): void;
};

export function deadline(options: {
  readonly parent?: AbortSignal | undefined;
  readonly ms: number | undefined;
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The abort reason when the time runs out. */
  readonly reason: () => unknown;
}): Deadline {
  const { parent, ms, clock } = options;
  const controller = new AbortController();
  let expired = false;
  let timer: unknown;
  let started = false;
  const follow = () => controller.abort(parent?.reason);
  if (parent?.aborted) follow();
  else parent?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    start() {
      if (started || ms === undefined) return;
      started = true;
      timer = clock.setTimeout(() => {
        expired = true;
        controller.abort(options.reason());
      }, ms);
    },
    dispose() {
      if (timer !== undefined) clock.clearTimeout(timer);
      parent?.removeEventListener('abort', follow);
    },
  };
}
