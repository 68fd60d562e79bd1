/**
 * The live page's server, on 127.0.0.1 only: `GET /` the page, `GET /events`
 * the runtime's events as Server-Sent Events (the buffered ones first), and
 * `GET /healthz`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import { NerdloopError } from '../core/index.js';
import type { RuntimeEvent } from '../events/index.js';
import { createEventHub, type EventHubOptions } from './hub.js';
import { pagePolicy, renderPage } from './page.js';

/** Events carry task prompts and results, so the page is never on another interface. */
export const INSPECT_PAGE_HOST = '127.0.0.1';

/** How long `close()` waits for ended responses to flush before cutting their sockets. */
const CLOSE_GRACE_MS = 250;

export type InspectPageOptions = EventHubOptions & {
  /** 0, the default, lets the system pick a free port; `url` tells which. */
  port?: number;
};

export type InspectPage = {
  /** The page, e.g. `http://127.0.0.1:43121/`. */
  url: string;
  /** Ends every SSE response, stops listening and unsubscribes. Safe to call twice. */
  close(): Promise<void>;
};

export class InspectPagePortInUseError extends NerdloopError {
  readonly code = 'inspect_page_port_in_use';
}
export class InspectPageListenError extends NerdloopError {
  readonly code = 'inspect_page_listen_failed';
}

/**
 * Subscribes to `events$` at once (it is hot, so subscribe before spawning),
 * then listens. If listening fails, the subscription is released and the
 * returned promise rejects with one of the errors above.
 */
export async function startInspectPage(
  events$: Observable<RuntimeEvent>,
  options: InspectPageOptions = {},
): Promise<InspectPage> {
  const hub = createEventHub(events$, options);
  let allowedHosts = new Set<string>();

  const server = createServer((request, response) => {
    // A page on another site can point a DNS name at 127.0.0.1 and read what
    // it fetches from there (DNS rebinding); such requests carry that name.
    if (!allowedHosts.has(request.headers.host ?? '')) {
      plain(response, 421, 'unknown host\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      plain(response, 405, 'method not allowed\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://page.invalid').pathname;
    if (path === '/') servePage(response);
    else if (path === '/events') serveEvents(request, response);
    else if (path === '/healthz') serveHealth(response);
    else plain(response, 404, 'not found\n');
  });

  const serveEvents = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    // A page that loses the stream retries after 1 s and resumes after the last id it saw.
    response.write('retry: 1000\n\n');
    const lastEventId = header(request, 'last-event-id');
    const detach = hub.attach(response, lastEventId);
    response.on('close', detach);
    // A socket error is one client's problem; `close` follows it and detaches.
    response.on('error', () => {});
  };

  const serveHealth = (response: ServerResponse) => {
    const body = `${JSON.stringify({ ok: true, ...hub.stats() })}\n`;
    response.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    response.end(body);
  };

  const servePage = (response: ServerResponse) => {
    const nonce = randomBytes(16).toString('base64');
    response.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': pagePolicy(nonce),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    response.end(renderPage(nonce));
  };

  const port = options.port ?? 0;
  try {
    await listen(server, port);
  } catch (error) {
    hub.close();
    throw error;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  allowedHosts = new Set([`${INSPECT_PAGE_HOST}:${actualPort}`, `localhost:${actualPort}`]);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      // Ending the SSE responses first lets their clients read the end frame
      // rather than a reset. Sockets that are idle once it is flushed close at
      // once; one still busy (a client not reading) is cut after a short grace.
      hub.close();
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url: `http://${INSPECT_PAGE_HOST}:${actualPort}/`, close };
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new InspectPagePortInUseError(`port ${port} is already in use`, { details: { port } })
          : new InspectPageListenError(
              `cannot listen on ${INSPECT_PAGE_HOST}:${port}: ${error.message}`,
              { cause: error, details: { port } },
            ),
      );
    };
    server.once('error', onError);
    server.listen(port, INSPECT_PAGE_HOST, () => {
      server.off('error', onError);
      // Later server errors concern one connection; the page goes on for the others.
      server.on('error', () => {});
      resolve();
    });
  });
}

function plain(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(body);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
