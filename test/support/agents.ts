/** Helpers for driving real SubAgent and Spawner actors in tests. */
import { createActor, type EventObject, SimulatedClock } from 'xstate';
import type { SubAgentInit } from '../../machines/contracts.js';
import { createSubAgentLogic, type TaskFunction } from '../../src/session/index.js';

export function startSubAgent(
  init: SubAgentInit,
  runTask: TaskFunction,
  clock = new SimulatedClock(),
) {
  const logic = createSubAgentLogic({ runTask, clock });
  const actor = createActor(logic, { input: init, clock });
  const emitted: EventObject[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.subscribe({ error: () => {} });
  actor.start();
  return { actor, emitted, clock };
}

/** Lets settled promises deliver their events (task functions are async). */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise with its resolve/reject exposed, for tasks a test finishes by hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
