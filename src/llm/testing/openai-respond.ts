/** Writes one script step to an HTTP response: a reply, streamed or not, or a fault. */
import type { ServerResponse } from 'node:http';
import { isFault, type ScriptedReply, type ScriptStep } from './openai-script.js';
import {
  completionBody,
  completionChunks,
  errorBody,
  field,
  SSE_DONE,
  settleReply,
  sseEvent,
  type WireIds,
} from './openai-wire.js';

export type RespondContext = {
  readonly res: ServerResponse;
  /** The parsed request body. */
  readonly body: unknown;
  readonly ids: WireIds;
  readonly defaults: { readonly model: string; readonly chunkSize: number };
  /** Resolves after `ms`, or early when the response closes; cleared when the server closes. */
  readonly wait: (ms: number) => Promise<void>;
  /** Destroys the socket on purpose, so it is not counted as the client hanging up. */
  readonly destroy: () => void;
};

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

const TRUNCATED_REPLY: ScriptedReply = { text: 'this answer is cut short before it ends' };

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_test_${status}`,
    ...headers,
  });
  res.end(text);
}

/** Resolves once `text` is handed to the kernel, so a following destroy cannot drop it. */
const flushed = (res: ServerResponse, text: string) =>
  new Promise<void>((resolve) => {
    res.write(text, () => resolve());
  });

export async function respond(step: ScriptStep, context: RespondContext): Promise<void> {
  const { res, body } = context;
  if (res.destroyed) return;
  const streaming = field(body, 'stream') === true;
  const includeUsage = field(field(body, 'stream_options'), 'include_usage') === true;

  if (!isFault(step)) {
    const reply = settleReply(step, body, context.ids, context.defaults);
    if (!streaming) return sendJson(res, 200, completionBody(reply));
    res.writeHead(200, SSE_HEADERS);
    // One write per event, as a server generating tokens would send them.
    for (const chunk of completionChunks(reply, includeUsage)) res.write(sseEvent(chunk));
    res.end(SSE_DONE);
    return;
  }

  switch (step.fault) {
    case 'rate_limit': {
      const retryAfter =
        step.retryAfter ??
        (step.retryAfterSeconds === undefined ? undefined : String(step.retryAfterSeconds));
      return sendJson(
        res,
        429,
        errorBody(
          'Rate limit reached for requests (local OpenAI test server).',
          'requests',
          'rate_limit_exceeded',
        ),
        retryAfter === undefined ? {} : { 'retry-after': retryAfter },
      );
    }
    case 'server_error':
      return sendJson(
        res,
        step.status ?? 500,
        errorBody(
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
        ),
        step.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(step.retryAfterSeconds) },
      );
    case 'auth':
      return sendJson(
        res,
        step.status ?? 401,
        errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
      );
    case 'http_error':
      return sendJson(
        res,
        step.status,
        errorBody(step.message ?? `HTTP ${step.status}`, 'invalid_request_error'),
      );
    case 'invalid_json': {
      const text = step.body ?? '<html>this is not JSON</html>';
      if (streaming) {
        res.writeHead(200, SSE_HEADERS);
        res.end(`data: ${text}\n\n${SSE_DONE}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text);
      return;
    }
    case 'stall':
    case 'truncate': {
      const reply = settleReply(step.reply ?? TRUNCATED_REPLY, body, context.ids, context.defaults);
      const afterChunks = step.afterChunks ?? (step.fault === 'truncate' ? 2 : 0);
      const pieces = streaming
        ? completionChunks(reply, includeUsage).slice(0, afterChunks).map(sseEvent)
        : [JSON.stringify(completionBody(reply)).slice(0, afterChunks * 16)];
      res.writeHead(200, streaming ? SSE_HEADERS : { 'content-type': 'application/json' });
      res.flushHeaders();
      for (const piece of pieces) if (piece !== '') await flushed(res, piece);
      if (step.fault === 'stall') return; // the client's hang-up closes the response
      // Let the client read what was sent before the connection drops under it.
      await new Promise((resolve) => setImmediate(resolve));
      context.destroy();
      return;
    }
    case 'delay':
      await context.wait(step.ms);
      return respond(step.step, context);
  }
}
