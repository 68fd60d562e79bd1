/**
 * A local OpenAI-compatible HTTP server for tests: it answers
 * `POST /v1/chat/completions` (plain and streamed) and `GET /v1/models` from a
 * script, records every request, and notices when a client hangs up. Lives in
 * src/ so apps can test their own agents against it; it needs nothing but node.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { respond, sendJson } from './openai-respond.js';
import { type RecordedRequest, type Script, ScriptCursor } from './openai-script.js';
import { errorBody, field, modelsBody, WireIds } from './openai-wire.js';

export type {
  RecordedRequest,
  Script,
  ScriptedFault,
  ScriptedFinishReason,
  ScriptedReply,
  ScriptedToolCall,
  ScriptStep,
} from './openai-script.js';

export type OpenAiServerOptions = {
  /** The chat completion answers, in order (default: none, so every call gets a 500). */
  readonly script?: Script;
  /** For `created` timestamps and `receivedAt` (default: `Date.now`). */
  readonly clock?: { now(): number };
  /** What `GET /v1/models` lists (default: `['gpt-4o-mini']`). */
  readonly models?: readonly string[];
  /** Characters per streamed delta (default 8). */
  readonly chunkSize?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  readonly apiKey?: string;
};

/** A client closed its connection before the server finished its answer. */
export type HangUp = { readonly requestIndex: number; readonly path: string; readonly at: number };

export interface OpenAiServer {
  /** `http://127.0.0.1:PORT/v1`, ready for the SDK's `baseURL`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Answers the client abandoned (aborts, timeouts), in order. */
  readonly hangUps: readonly HangUp[];
  /** TCP connections closed so far, by either side. */
  readonly connectionsClosed: number;
  /** Steps of an array script not used yet. */
  readonly remainingSteps: number;
  /** Resolves once `count` hang-ups have been seen. */
  waitForHangUps(count?: number): Promise<void>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const clock = options.clock ?? { now: () => Date.now() };
  const models = options.models ?? ['gpt-4o-mini'];
  const defaults = { model: models[0] ?? 'gpt-4o-mini', chunkSize: options.chunkSize ?? 8 };
  const cursor = new ScriptCursor(options.script ?? []);
  const ids = new WireIds(() => clock.now());
  const requests: RecordedRequest[] = [];
  const hangUps: HangUp[] = [];
  const hangUpWaiters = new Set<{ count: number; resolve: () => void }>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let connectionsClosed = 0;
  let closing = false;

  const noteHangUp = (hangUp: HangUp) => {
    hangUps.push(hangUp);
    for (const waiter of hangUpWaiters) {
      if (hangUps.length >= waiter.count) {
        hangUpWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const text = await readBody(req);
    let body: unknown;
    let malformed = false;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      malformed = true;
    }
    const request: RecordedRequest = {
      index: requests.length,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: malformed ? text : body,
      receivedAt: clock.now(),
    };
    requests.push(request);

    let destroyedByServer = false;
    res.on('close', () => {
      if (!res.writableFinished && !destroyedByServer && !closing) {
        noteHangUp({ requestIndex: request.index, path, at: clock.now() });
      }
    });

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(
        res,
        401,
        errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
      );
    }
    if (malformed) {
      return sendJson(
        res,
        400,
        errorBody('The request body is not valid JSON.', 'invalid_request_error'),
      );
    }
    if (request.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, modelsBody(models, ids.created()));
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendJson(
        res,
        404,
        errorBody(
          `Unknown endpoint ${request.method} ${path}.`,
          'invalid_request_error',
          'unknown_url',
        ),
      );
    }

    const step = await cursor.next(request);
    if (step === undefined) {
      return sendJson(
        res,
        500,
        errorBody(
          `openai test server: the script has no step for chat completion call ${cursor.calls} ` +
            `(request ${request.index}, model ${String(field(body, 'model'))}); ` +
            `it had ${cursor.length ?? 0} step(s)`,
          'script_exhausted',
        ),
      );
    }
    await respond(step, {
      res,
      body,
      ids,
      defaults,
      wait: (ms) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.add(timer);
          res.once('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
            resolve();
          });
        }),
      destroy: () => {
        destroyedByServer = true;
        res.destroy();
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, errorBody(`openai test server failed: ${message}`, 'server_error'));
    });
  });
  server.on('connection', (socket) => {
    socket.on('close', () => {
      connectionsClosed++;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    hangUps,
    get connectionsClosed() {
      return connectionsClosed;
    },
    get remainingSteps() {
      return cursor.remaining;
    },
    waitForHangUps(count = 1) {
      if (hangUps.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => {
        hangUpWaiters.add({ count, resolve });
      });
    },
    close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Stalled answers never end by themselves; close must not wait for them.
        server.closeAllConnections();
      });
    },
  };
}
