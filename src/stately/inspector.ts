/**
 * A live bridge from a running runtime to the Stately inspector:
 * `@statelyai/inspect/server` serves a small page on `port` that embeds the
 * hosted inspector (https://stately.ai/inspect) and relays what the
 * WebSocket inspector in this process sends it.
 *
 * Offline the hosted page cannot load, so nothing is drawn, but the bridge
 * itself still runs: the local server accepts the connection, relays and
 * buffers events, and any WebSocket client on the port receives them.
 */
import { createConnection, createServer } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { InspectionEvent, Observer } from 'xstate';
import { NerdloopError } from '../core/index.js';
import type { InspectorSettings } from './manifest.js';

export type LiveInspector = {
  /** Pass it in `RuntimeOptions.inspect`. */
  inspect: Observer<InspectionEvent>;
  /** The WebSocket the events go to; the bridge page is the same port over http. */
  url: string;
  /** Closes the WebSocket inspector, then the server. Safe to call twice. */
  stop(): void;
};

export type LiveInspectorOptions = Pick<
  InspectorSettings,
  'port' | 'autoOpen' | 'redactContextKeys' | 'maxDeferredEvents'
> & {
  /** How long to wait for the server and the WebSocket to come up. */
  connectTimeoutMs?: number;
};

export class InspectorPortInUseError extends NerdloopError {
  readonly code = 'inspector_port_in_use';
}
export class InspectorConnectError extends NerdloopError {
  readonly code = 'inspector_connect_failed';
}

/**
 * Starts the bridge server and a WebSocket inspector connected to it.
 *
 * Async on purpose, for two weaknesses of @statelyai/inspect 0.7.2:
 * - its server has no `error` listener, so a port already in use would crash the
 *   process with an uncaught EADDRINUSE; the port is probed first instead;
 * - its WebSocket adapter reconnects every 5 s after any socket error and never
 *   cancels that timer, and closing a socket mid-handshake is such an error. A
 *   `stop()` before the connection opened would keep the process alive forever,
 *   so this resolves only once the connection is open.
 */
export async function createLiveInspector(options: LiveInspectorOptions): Promise<LiveInspector> {
  const { port } = options;
  const timeoutMs = options.connectTimeoutMs ?? 3_000;
  await assertPortFree(port);
  const server = createInspectorServer({ port, autoOpen: options.autoOpen });
  const url = `ws://localhost:${port}`;
  const keys = [...options.redactContextKeys];
  let inspector: ReturnType<typeof createWebSocketInspector> | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    inspector?.stop();
    server.stop();
  };
  try {
    await waitUntil(() => acceptsConnections(port), timeoutMs, `the bridge on port ${port}`);
    inspector = createWebSocketInspector({
      url,
      maxDeferredEvents: options.maxDeferredEvents,
      sanitizeContext: (context) => redactContext(context, keys),
    });
    const adapter = inspector.adapter;
    await waitUntil(async () => adapterIsOpen(adapter), timeoutMs, `a WebSocket to ${url}`);
  } catch (error) {
    stop();
    throw error;
  }
  return { inspect: inspector.inspect, url, stop };
}

/**
 * Replaces each listed key of `context` with a short marker of its size, e.g.
 * `"[redacted: 12 items]"`. Conversation history and task results are what
 * make contexts large; serialising them made every inspection event about 15x
 * slower and would send conversation text to whoever watches the bridge.
 * Keys not listed, and listed keys holding null or undefined, are left as they are.
 */
export function redactContext(
  context: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): Record<string, unknown> {
  const value: unknown = context;
  // Inspection passes whatever a snapshot has: callback and promise actors have no context.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return context as Record<string, unknown>;
  }
  const redacted: Record<string, unknown> = { ...context };
  for (const key of keys) {
    if (!Object.hasOwn(context, key)) continue;
    const original = context[key];
    if (original === null || original === undefined) continue;
    redacted[key] = `[redacted: ${describeSize(original)}]`;
  }
  return redacted;
}

function describeSize(value: unknown): string {
  if (Array.isArray(value)) return plural(value.length, 'item');
  if (typeof value === 'string') return `string ${plural(value.length, 'char')}`;
  if (typeof value === 'object' && value !== null)
    return `object ${plural(Object.keys(value).length, 'key')}`;
  return typeof value;
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** 0.7.2's adapter has no public "connected" signal; its private `status` is read defensively. */
function adapterIsOpen(adapter: object): boolean {
  // A future version without the field is not waited for rather than never started.
  if (!('status' in adapter)) return true;
  return adapter.status === 'open';
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new InspectorPortInUseError(
              `port ${port} is already in use; set inspector.port in stately.config.json to a free port`,
              { details: { port } },
            )
          : new InspectorConnectError(`cannot listen on port ${port}: ${error.message}`, {
              cause: error,
              details: { port },
            }),
      );
    });
    // Same address as the inspector server will use (all interfaces), or the probe could pass
    // on a port that is only taken on another interface.
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(
  ready: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() >= deadline) {
      throw new InspectorConnectError(`${what} did not come up within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
