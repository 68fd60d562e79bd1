/**
 * The SSE hub: one subscription to a runtime's events, a bounded buffer of the
 * latest ones for late clients, and the set of open clients.
 *
 * Each event is serialised once, when it arrives, and the same frame goes to
 * the buffer and to every client, so a slow page costs memory only up to its
 * own limit, never a second copy of the stream.
 */
import type { Observable, Subscription } from 'rxjs';
import type { RuntimeEvent } from '../events/index.js';

/** Events kept for a page that connects late. */
export const DEFAULT_REPLAY_SIZE = 5_000;

/**
 * A client whose socket has this much unsent data is dropped: its page will
 * reconnect and catch up from the buffer, instead of the process buffering an
 * unbounded backlog for a tab that is not reading.
 */
export const DEFAULT_CLIENT_BACKLOG_BYTES = 8 * 1024 * 1024;

/** What the hub needs of a client; an `http.ServerResponse` after its SSE headers. */
export type SseClient = {
  write(chunk: string): boolean;
  end(): void;
  readonly writableLength: number;
};

export type EventHub = {
  /**
   * Sends the buffered events after `lastEventId` (all of them without one),
   * then live events. Returns a function that forgets the client without ending it.
   */
  attach(client: SseClient, lastEventId?: string): () => void;
  /** How many events are buffered and how many clients are attached. */
  stats(): { buffered: number; clients: number; ended: boolean };
  /** Unsubscribes from the events and ends every client. */
  close(): void;
};

export type EventHubOptions = {
  replaySize?: number;
  clientBacklogBytes?: number;
};

type Frame = { seq: number; text: string };

/** Why a stream ended: the runtime's events completed, or the page server closed. */
export type EndReason = 'completed' | 'closed';

/** The last frame of every stream; the page stops reconnecting on it. */
export const endFrame = (reason: EndReason): string =>
  `event: end\ndata: ${JSON.stringify({ reason })}\n\n`;

export function createEventHub(
  events$: Observable<RuntimeEvent>,
  options: EventHubOptions = {},
): EventHub {
  const replaySize = Math.max(1, options.replaySize ?? DEFAULT_REPLAY_SIZE);
  const backlogLimit = options.clientBacklogBytes ?? DEFAULT_CLIENT_BACKLOG_BYTES;
  const buffer: Frame[] = [];
  const clients = new Set<SseClient>();
  let seq = 0;
  let ended = false;
  let closed = false;

  const send = (client: SseClient, text: string) => {
    client.write(text);
    if (client.writableLength > backlogLimit) {
      clients.delete(client);
      client.end();
    }
  };

  const publish = (event: RuntimeEvent) => {
    const data = serialise(event);
    if (data === null) return;
    seq += 1;
    const frame = { seq, text: `id: ${seq}\ndata: ${data}\n\n` };
    buffer.push(frame);
    // Removing from the front of a 5,000-item array is cheap next to serialising the event.
    if (buffer.length > replaySize) buffer.shift();
    for (const client of [...clients]) send(client, frame.text);
  };

  const endAll = (reason: EndReason) => {
    for (const client of clients) {
      client.write(endFrame(reason));
      client.end();
    }
    clients.clear();
  };
  const finish = () => {
    ended = true;
    endAll('completed');
  };

  // Subscribed synchronously: `events$` is hot, so what is published before
  // this returns would otherwise be lost.
  const subscription: Subscription = events$.subscribe({
    next: publish,
    complete: finish,
    // The runtime's stream does not error today; treat it as an end if it ever does.
    error: finish,
  });

  return {
    attach(client, lastEventId) {
      const after = parseEventId(lastEventId);
      for (const frame of buffer) {
        if (frame.seq > after) send(client, frame.text);
      }
      if (ended || closed) {
        client.write(endFrame(ended ? 'completed' : 'closed'));
        client.end();
        return () => {};
      }
      clients.add(client);
      return () => {
        clients.delete(client);
      };
    },
    stats: () => ({ buffered: buffer.length, clients: clients.size, ended }),
    close() {
      if (closed) return;
      closed = true;
      subscription.unsubscribe();
      endAll('closed');
    },
  };
}

/**
 * One event as a single JSON line, or null if it cannot be one. Only
 * `task.completed.result` holds arbitrary task data; a result JSON cannot hold
 * is described instead of dropping the whole event, and an `undefined` one is
 * sent as `null` so the line still matches `runtimeEventSchema`.
 */
export function serialise(event: RuntimeEvent): string | null {
  try {
    if (event.type === 'task.completed' && event.result === undefined) {
      return JSON.stringify({ ...event, result: null });
    }
    return JSON.stringify(event);
  } catch (error) {
    if (event.type !== 'task.completed') return null;
    const reason = error instanceof Error ? error.message : String(error);
    return JSON.stringify({ ...event, result: `[result not serialisable: ${reason}]` });
  }
}

/** A Last-Event-ID the hub did not hand out replays everything rather than nothing. */
function parseEventId(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) return 0;
  return Number(value);
}
