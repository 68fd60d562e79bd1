/**
 * What the local OpenAI-compatible server answers: a script of steps, each a
 * reply or a fault. Kept free of dependencies so users can ship it in their
 * own tests.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type ScriptedToolCall = {
  readonly name: string;
  /** Sent verbatim, so a test can send malformed JSON. */
  readonly arguments: string;
  /** Defaults to the next `call_N`. */
  readonly id?: string;
};

export type ScriptedFinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter';

export type ScriptedReply = {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: ScriptedFinishReason;
  /** Defaults to an estimate from the request and reply sizes (about 4 characters a token). */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
  /** Defaults to the model the request named. */
  readonly model?: string;
  /** Characters per streamed content or arguments delta; overrides the server's `chunkSize`. */
  readonly chunkSize?: number;
};

export type ScriptedFault =
  /** 429 with `Retry-After` (`retryAfter` is the raw header value, e.g. an HTTP date, and wins). */
  | {
      readonly fault: 'rate_limit';
      readonly retryAfterSeconds?: number;
      readonly retryAfter?: string;
    }
  /** 500 (or `status`), optionally with `Retry-After`. */
  | {
      readonly fault: 'server_error';
      readonly status?: number;
      readonly retryAfterSeconds?: number;
    }
  /** 401 (or 403). */
  | { readonly fault: 'auth'; readonly status?: 401 | 403 }
  /** Any other error status with an OpenAI error body, e.g. 400, 404, 422. */
  | { readonly fault: 'http_error'; readonly status: number; readonly message?: string }
  /** Response headers, then `afterChunks` chunks of `reply`, then nothing until the client hangs up. */
  | { readonly fault: 'stall'; readonly afterChunks?: number; readonly reply?: ScriptedReply }
  /** `afterChunks` chunks of `reply` (default 2), then the socket is destroyed. */
  | { readonly fault: 'truncate'; readonly afterChunks?: number; readonly reply?: ScriptedReply }
  /** 200 with a body that is not JSON. */
  | { readonly fault: 'invalid_json'; readonly body?: string }
  /** Waits `ms`, then answers with `step` (not `then`: an object with `then` looks like a promise). */
  | { readonly fault: 'delay'; readonly ms: number; readonly step: ScriptStep };

export type ScriptStep = ScriptedReply | ScriptedFault;

export type RecordedRequest = {
  /** 0-based, over every request the server received. */
  readonly index: number;
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or `undefined` when there was none. */
  readonly body: unknown;
  /** From the server's clock. */
  readonly receivedAt: number;
};

/** Steps in order, or a function of each chat completion request and its 0-based number. */
export type Script =
  | readonly ScriptStep[]
  | ((request: RecordedRequest, call: number) => ScriptStep | Promise<ScriptStep>);

export const isFault = (step: ScriptStep): step is ScriptedFault => 'fault' in step;

/** Hands out the script's steps; `undefined` once an array script is used up. */
export class ScriptCursor {
  #calls = 0;

  constructor(private readonly script: Script) {}

  /** Steps of an array script not consumed yet (0 for a function script). */
  get remaining(): number {
    return typeof this.script === 'function' ? 0 : Math.max(0, this.script.length - this.#calls);
  }

  /** Chat completion calls asked for so far. */
  get calls(): number {
    return this.#calls;
  }

  get length(): number | null {
    return typeof this.script === 'function' ? null : this.script.length;
  }

  async next(request: RecordedRequest): Promise<ScriptStep | undefined> {
    const call = this.#calls++;
    if (typeof this.script === 'function') return this.script(request, call);
    return this.script[call];
  }
}
