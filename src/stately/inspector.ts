/**
 * A live bridge from a running runtime to the Stately inspector: a small
 * server on 127.0.0.1:`port` serves a page that embeds the hosted inspector
 * (https://stately.ai/inspect) and relays, over a WebSocket, what the
 * WebSocket inspector in this process sends it.
 *
 * Offline the hosted page cannot load, so nothing is drawn, but the bridge
 * itself still runs: the local server accepts the connection, relays and
 * buffers events, and any WebSocket client on the port receives them.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { platform } from 'node:os';
import type { Duplex } from 'node:stream';
import { createWebSocketInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { NerdloopError } from '../core/index.js';
import type { InspectorSettings } from './manifest.js';

/** The only interface the bridge listens on: inspection events carry task data. */
export const INSPECTOR_HOST = '127.0.0.1';

const INSPECTOR_PAGE = 'https://stately.ai/inspect';

/** Messages kept for a client that connects late, as many as @statelyai/inspect's own bridge keeps. */
const RELAY_BUFFER = 200;

export type LiveInspector = {
  /** Pass it in `RuntimeOptions.inspect`. */
  inspect: Observer<InspectionEvent>;
  /** The WebSocket the events go to; the bridge page is the same address over http. */
  url: string;
  /** Closes the WebSocket inspector, then every bridge connection and the server. Safe to call twice. */
  stop(): void;
};

export type LiveInspectorOptions = Pick<
  InspectorSettings,
  'port' | 'autoOpen' | 'redactContextKeys' | 'maxDeferredEvents'
> & {
  /** How long to wait for the WebSocket to the bridge to open. */
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
 * The bridge is nerdloop's own rather than `createInspectorServer` from
 * `@statelyai/inspect/server` 0.7.2, which cannot be told a host (it listens on
 * every interface) and has no `error` listener (a port in use crashes the
 * process with an uncaught EADDRINUSE). The page it serves does what that one does.
 *
 * Async on purpose: 0.7.2's WebSocket adapter reconnects every 5 s after any
 * socket error and never cancels that timer, and closing a socket mid-handshake
 * is such an error. A `stop()` before the connection opened would keep the
 * process alive forever, so this resolves only once the connection is open.
 */
export async function createLiveInspector(options: LiveInspectorOptions): Promise<LiveInspector> {
  const { port } = options;
  const timeoutMs = options.connectTimeoutMs ?? 3_000;
  const bridge = await startBridge(port);
  const url = `ws://${INSPECTOR_HOST}:${port}`;
  let inspector: ReturnType<typeof createWebSocketInspector> | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    inspector?.stop();
    bridge.stop();
  };
  try {
    inspector = createWebSocketInspector({
      url,
      maxDeferredEvents: options.maxDeferredEvents,
      serialize: redactingSerializer(options.redactContextKeys),
    });
    const adapter = inspector.adapter;
    await waitUntil(async () => adapterIsOpen(adapter), timeoutMs, `a WebSocket to ${url}`);
  } catch (error) {
    stop();
    throw error;
  }
  if (options.autoOpen) openBrowser(`http://${INSPECTOR_HOST}:${port}`);
  return { inspect: inspector.inspect, url, stop };
}

// ------------------------------------------------------------------ redaction

/**
 * Replaces each listed key of `context`, at any depth, with a short marker of
 * its size, e.g. `"[redacted: 12 items]"`. Conversation history, task prompts
 * and results are what make contexts large, and they are what should not reach
 * whoever watches the bridge.
 *
 * Only plain objects and arrays are searched; class instances (actor refs,
 * Sets, Dates) are left as they are. Listed keys holding null or undefined are
 * left alone. The input is not changed: objects on the way to a redacted key
 * are copied, the rest is shared.
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
  return redactValue(context, new Set(keys), new Map()) as Record<string, unknown>;
}

/**
 * An inspection event with `redactContext` applied to its whole `snapshot`
 * (context, but also output and error) and its `event` payload (a `START`'s
 * task, a done event's output, a `SPAWN`'s child spec).
 */
export function redactInspectionEvent(
  event: StatelyInspectionEvent,
  keys: readonly string[],
): StatelyInspectionEvent {
  const listed = new Set(keys);
  // Shared, so an object found in both the snapshot and the event is copied once.
  const copies = new Map<object, unknown>();
  const redacted: Record<string, unknown> = { ...event };
  if ('snapshot' in event) redacted.snapshot = redactValue(event.snapshot, listed, copies);
  if ('event' in event) redacted.event = redactValue(event.event, listed, copies);
  // Same fields as `event`, only values replaced, so it is still that event type.
  return redacted as unknown as StatelyInspectionEvent;
}

/**
 * The inspector's `serialize` hook, the one place every event passes before it
 * is sent. (`sanitizeContext` and `sanitizeEvent` would miss a snapshot's output
 * and error.) 0.7.2's adapter runs `serialize` a second time on the events it
 * deferred while disconnected; those are recognised and passed through, or their
 * markers would be redacted again into markers of the markers.
 */
function redactingSerializer(keys: readonly string[]) {
  const redacted = new WeakSet<object>();
  return (event: StatelyInspectionEvent): StatelyInspectionEvent => {
    if (keys.length === 0 || redacted.has(event)) return event;
    const result = redactInspectionEvent(event, keys);
    redacted.add(result);
    return result;
  };
}

/**
 * `copies` maps each object visited to its result. It is filled before an
 * object's children are visited, so a cycle leads to the copy, never back to an
 * unredacted original.
 */
function redactValue(
  value: unknown,
  keys: ReadonlySet<string>,
  copies: Map<object, unknown>,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (copies.has(value)) return copies.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    let changed = false;
    for (const item of value) {
      const next = redactValue(item, keys, copies);
      copy.push(next);
      if (next !== item) changed = true;
    }
    return settle(value, copy, changed, copies);
  }
  if (!isPlainObject(value)) return value;
  // A spread keeps functions such as a snapshot's `toJSON`, which serialises the copy.
  const copy: Record<string, unknown> = { ...value };
  copies.set(value, copy);
  let changed = false;
  for (const key of Object.keys(copy)) {
    const original = copy[key];
    const next =
      keys.has(key) && original !== null && original !== undefined
        ? `[redacted: ${describeSize(original)}]`
        : redactValue(original, keys, copies);
    if (next !== original) {
      copy[key] = next;
      changed = true;
    }
  }
  return settle(value, copy, changed, copies);
}

/** Unchanged objects are returned as they are, so redaction allocates only on the way to a key. */
function settle(original: object, copy: object, changed: boolean, copies: Map<object, unknown>) {
  if (changed) return copy;
  copies.set(original, original);
  return original;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describeSize(value: unknown): string {
  if (Array.isArray(value)) return plural(value.length, 'item');
  if (typeof value === 'string') return `string ${plural(value.length, 'char')}`;
  if (typeof value === 'object' && value !== null)
    return `object ${plural(Object.keys(value).length, 'key')}`;
  return typeof value;
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

// ------------------------------------------------------------------ the bridge

type Bridge = { stop(): void };

/** Listens on 127.0.0.1 only; resolves once listening, rejects when it cannot. */
function startBridge(port: number): Promise<Bridge> {
  const page = bridgePage(port);
  // Browsers send an Origin with every WebSocket handshake, and unlike fetch, a
  // WebSocket is not limited by CORS: without this check any web page open in
  // the browser could connect to 127.0.0.1 and read the events. Only the
  // bridge page's own origins are let in; Node clients send no Origin.
  const pageOrigins = new Set([`http://${INSPECTOR_HOST}:${port}`, `http://localhost:${port}`]);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  const sockets = new WebSocketServer({ noServer: true });
  const recent: string[] = [];

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !pageOrigins.has(origin)) {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => {
      sockets.emit('connection', client, request);
    });
  });
  sockets.on('connection', (client: WebSocket) => {
    // A client that goes away mid-frame is its own problem, not a crash of the run.
    client.on('error', () => client.terminate());
    for (const message of recent) client.send(message);
    client.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      const message = text(data);
      recent.push(message);
      if (recent.length > RELAY_BUFFER) recent.shift();
      for (const other of sockets.clients) {
        if (other !== client && other.readyState === WebSocket.OPEN) other.send(message);
      }
    });
  });

  const stop = () => {
    // Terminated, not closed: a browser tab still connected must not keep the process alive.
    for (const client of sockets.clients) client.terminate();
    sockets.close();
    server.closeAllConnections();
    server.close();
  };

  return new Promise((resolve, reject) => {
    const onListenError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new InspectorPortInUseError(
              `port ${port} is already in use; set inspector.port in stately.config.json to a free port`,
              { details: { port } },
            )
          : new InspectorConnectError(
              `cannot listen on ${INSPECTOR_HOST}:${port}: ${error.message}`,
              { cause: error, details: { port } },
            ),
      );
    };
    server.once('error', onListenError);
    server.listen(port, INSPECTOR_HOST, () => {
      server.off('error', onListenError);
      // Later server errors concern one connection; the run goes on without that client.
      server.on('error', () => {});
      resolve({ stop });
    });
  });
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}

/**
 * The page embeds the hosted inspector in an iframe and forwards each relayed
 * event to it once it says it is ready, as @statelyai/inspect's bridge page
 * does, but only to and from the inspector's own origin.
 */
function bridgePage(port: number): string {
  const inspectorOrigin = new URL(INSPECTOR_PAGE).origin;
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>Stately Inspector (nerdloop)</title>
  <style>
    * { margin: 0; padding: 0; }
    html, body { height: 100%; }
    iframe { width: 100%; height: 100%; border: none; }
  </style>
</head>
<body>
  <iframe id="inspector" src="${INSPECTOR_PAGE}"></iframe>
  <script>
    const iframe = document.getElementById('inspector');
    const inspectorOrigin = '${inspectorOrigin}';
    const buffer = [];
    let connected = false;
    window.addEventListener('message', (e) => {
      if (e.origin !== inspectorOrigin) return;
      if (e.data && e.data.type === '@statelyai.connected') {
        connected = true;
        for (const event of buffer) iframe.contentWindow.postMessage(event, inspectorOrigin);
        buffer.length = 0;
      }
    });
    const ws = new WebSocket('ws://${INSPECTOR_HOST}:${port}');
    ws.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (connected) iframe.contentWindow.postMessage(data, inspectorOrigin);
      else buffer.push(data);
    };
  </script>
</body>
</html>
`;
}

function openBrowser(url: string): void {
  const [command, args] =
    platform() === 'darwin'
      ? ['open', [url]]
      : platform() === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  // Best effort: no browser, or no opener installed, leaves the URL printed by the caller.
  const child = execFile(command, args, () => {});
  child.on('error', () => {});
  child.unref();
}

/** 0.7.2's adapter has no public "connected" signal; its private `status` is read defensively. */
function adapterIsOpen(adapter: object): boolean {
  // A future version without the field is not waited for rather than never started.
  if (!('status' in adapter)) return true;
  return adapter.status === 'open';
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
