/** RxJS operators for picking events off `runtime.events$`. */
import { filter, type OperatorFunction } from 'rxjs';
import type { RuntimeEvent, RuntimeEventOf, RuntimeEventType } from './schema.js';

export function ofType<T extends RuntimeEventType>(
  ...types: T[]
): OperatorFunction<RuntimeEvent, RuntimeEventOf<T>> {
  const wanted = new Set<string>(types);
  return filter((event): event is RuntimeEventOf<T> => wanted.has(event.type));
}

/** Events of one agent, or of it and everything below it with `subtree`. */
export function forAgent(
  agentId: string,
  options: { subtree?: boolean } = {},
): OperatorFunction<RuntimeEvent, RuntimeEvent> {
  const prefix = `${agentId}/`;
  return filter(
    (event) =>
      event.agentId === agentId || (options.subtree === true && event.agentId.startsWith(prefix)),
  );
}
