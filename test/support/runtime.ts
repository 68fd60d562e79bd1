/** A Runtime on simulated time that records every event, for supervision tests. */
import { SimulatedClock } from 'xstate';
import type { SupervisorConfigInit } from '../../machines/contracts.js';
import type { RuntimeEvent } from '../../src/events/index.js';
import { createRuntime, type TaskFunction } from '../../src/session/index.js';
import type { SnapshotStore } from '../../src/snapshots/index.js';
import { flush } from './agents.js';

export function startRuntime(options: {
  runTask: TaskFunction;
  supervisor?: SupervisorConfigInit;
  snapshots?: SnapshotStore;
}) {
  const clock = new SimulatedClock();
  const runtime = createRuntime({ ...options, clock });
  const events: RuntimeEvent[] = [];
  runtime.events$.subscribe((event) => events.push(event));
  const of = <T extends RuntimeEvent['type']>(type: T, agentId?: string) =>
    events.filter(
      (e): e is Extract<RuntimeEvent, { type: T }> =>
        e.type === type && (agentId === undefined || e.agentId === agentId),
    );
  /** Moves simulated time forward in 1 ms steps so timers set by timers fire too. */
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      clock.increment(1);
      if (clock.now() % 10 === 0) await flush(1);
    }
    await flush();
  };
  return { runtime, clock, events, of, advance };
}
