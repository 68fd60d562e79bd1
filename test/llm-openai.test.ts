/**
 * The OpenAI adapter, end to end: the real `openai` SDK over real HTTP to the
 * local scripted server. Retry waits go through an injected `sleep` that only
 * records what it was asked, so no test waits on backoff or depends on timing.
 */
import OpenAI from 'openai';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { systemClock } from '../src/core/index.js';
import {
  LlmAuth,
  LlmBadResponse,
  LlmCancelled,
  LlmRateLimited,
  LlmTimeout,
  LlmUnavailable,
} from '../src/llm/errors.js';
import {
  createOpenAiModel,
  fromEnv,
  InvalidOpenAiOptionsError,
  type OpenAiModelOptions,
  parseRetryAfter,
  type Sleep,
} from '../src/llm/openai/index.js';
import {
  type ChatMessage,
  type CompletionRequest,
  defineTool,
  type StreamDelta,
  toolJsonSchema,
} from '../src/llm/port.js';
import {
  type OpenAiServer,
  type OpenAiServerOptions,
  startOpenAiServer,
} from './support/openai-server.js';

const servers: OpenAiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: OpenAiServerOptions): Promise<OpenAiServer> {
  const server = await startOpenAiServer(options);
  servers.push(server);
  return server;
}

/** A sleep that returns at once and remembers every wait it was asked for. */
function recordingSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
}

function modelFor(server: OpenAiServer, options: OpenAiModelOptions = {}) {
  const { sleep, waits } = recordingSleep();
  const model = createOpenAiModel({
    baseURL: server.url,
    apiKey: 'sk-test',
    model: 'gpt-test',
    sleep,
    random: () => 0.5,
    ...options,
  });
  return { model, waits };
}

const ask = (content: string, extra: Partial<CompletionRequest> = {}): CompletionRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});

const collect = (source: ReturnType<ReturnType<typeof modelFor>['model']['stream']>) =>
  lastValueFrom(source.pipe(toArray()));

const readFile = defineTool({
  name: 'read_file',
  description: 'Reads a file of the workspace.',
  parameters: z.object({ path: z.string(), maxBytes: z.number().int().optional() }),
});
const search = defineTool({
  name: 'search',
  description: 'Searches the workspace.',
  parameters: z.object({ query: z.string() }),
});

describe('the local server', () => {
  it('lists models for the SDK and records the request', async () => {
    const server = await serve({
      models: ['gpt-a', 'gpt-b'],
      clock: { now: () => 1_700_000_000_000 },
    });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['gpt-a', 'gpt-b']);
    expect(server.requests).toMatchObject([{ method: 'GET', path: '/v1/models' }]);
  });

  it('gives deterministic ids and created timestamps from its clock', async () => {
    const server = await serve({
      clock: { now: () => 1_700_000_000_500 },
      script: [
        { toolCalls: [{ name: 'a', arguments: '{}' }] },
        { toolCalls: [{ name: 'b', arguments: '{}' }] },
      ],
    });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 });
    const first = await client.chat.completions.create({ model: 'm', messages: [] });
    const second = await client.chat.completions.create({ model: 'm', messages: [] });
    expect([first.id, second.id]).toEqual(['chatcmpl-1', 'chatcmpl-2']);
    expect(first.created).toBe(1_700_000_000);
    expect([
      first.choices[0]?.message.tool_calls?.[0]?.id,
      second.choices[0]?.message.tool_calls?.[0]?.id,
    ]).toEqual(['call_1', 'call_2']);
    expect(server.remainingSteps).toBe(0);
  });

  it('answers a 500 naming the request when the script runs out', async () => {
    const server = await serve({ script: [] });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'm', messages: [] })).rejects.toThrow(
      /script has no step for chat completion call 1/,
    );
  });

  it('refuses a wrong API key when it is given one', async () => {
    const server = await serve({ apiKey: 'sk-right', script: [{ text: 'never' }] });
    const { model } = modelFor(server, { apiKey: 'sk-wrong' });
    await expect(model.complete(ask('hi'))).rejects.toBeInstanceOf(LlmAuth);
  });
});

describe('complete', () => {
  it('returns a plain answer', async () => {
    const server = await serve({
      script: [{ text: 'Hello there.', usage: { promptTokens: 12, completionTokens: 3 } }],
    });
    const { model } = modelFor(server);
    expect(model.id).toBe('openai:gpt-test');
    expect(await model.complete(ask('hi'))).toEqual({
      text: 'Hello there.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 3 },
      model: 'gpt-test',
    });
  });

  it('returns one tool call, parsed', async () => {
    const server = await serve({
      script: [{ toolCalls: [{ name: 'read_file', arguments: '{"path":"a.ts"}' }] }],
    });
    const { model } = modelFor(server);
    const completion = await model.complete(ask('read a.ts', { tools: [readFile] }));
    expect(completion.finishReason).toBe('tool_calls');
    expect(completion.text).toBe('');
    expect(completion.toolCalls).toEqual([
      {
        id: 'call_1',
        name: 'read_file',
        rawArguments: '{"path":"a.ts"}',
        arguments: { path: 'a.ts' },
      },
    ]);
  });

  it('returns several tool calls in order, with text beside them', async () => {
    const server = await serve({
      script: [
        {
          text: 'Looking.',
          toolCalls: [
            { name: 'read_file', arguments: '{"path":"a.ts"}' },
            { name: 'search', arguments: '{"query":"TODO"}' },
            { name: 'read_file', arguments: '' },
          ],
        },
      ],
    });
    const { model } = modelFor(server);
    const completion = await model.complete(ask('look', { tools: [readFile, search] }));
    expect(completion.text).toBe('Looking.');
    expect(completion.toolCalls.map((call) => [call.id, call.name, call.arguments])).toEqual([
      ['call_1', 'read_file', { path: 'a.ts' }],
      ['call_2', 'search', { query: 'TODO' }],
      ['call_3', 'read_file', {}],
    ]);
  });

  it('turns malformed tool-call arguments into a parseError, not a throw', async () => {
    const server = await serve({
      script: [{ toolCalls: [{ name: 'read_file', arguments: '{"path": "a.ts"' }] }],
    });
    const { model } = modelFor(server);
    const [call] = (await model.complete(ask('read', { tools: [readFile] }))).toolCalls;
    expect(call).toMatchObject({
      id: 'call_1',
      name: 'read_file',
      rawArguments: '{"path": "a.ts"',
      arguments: undefined,
    });
    expect(call?.parseError).toMatch(/arguments of read_file are not valid JSON/);
  });

  it('sends the converted messages and the tools JSON Schema', async () => {
    const server = await serve({ script: [{ text: 'ok' }] });
    const { model } = modelFor(server);
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Read a.ts' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [
          {
            id: 'call_9',
            name: 'read_file',
            rawArguments: '{"path":"a.ts"',
            arguments: undefined,
            parseError: 'bad',
          },
        ],
      },
      { role: 'tool', toolCallId: 'call_9', content: 'arguments are not valid JSON' },
      { role: 'assistant', content: 'Retrying.', toolCalls: [] },
    ];
    await model.complete({
      messages,
      tools: [readFile, search],
      toolChoice: { name: 'read_file' },
      model: 'gpt-override',
      temperature: 0.2,
      maxTokens: 256,
    });
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toEqual({
      model: 'gpt-override',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Read a.ts' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_9',
              type: 'function',
              function: { name: 'read_file', arguments: '{"path":"a.ts"' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_9', content: 'arguments are not valid JSON' },
        { role: 'assistant', content: 'Retrying.' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'read_file',
            description: 'Reads a file of the workspace.',
            parameters: toolJsonSchema(readFile),
          },
        },
        {
          type: 'function',
          function: {
            name: 'search',
            description: 'Searches the workspace.',
            parameters: toolJsonSchema(search),
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'read_file' } },
      temperature: 0.2,
      max_completion_tokens: 256,
      stream: false,
    });
    expect(toolJsonSchema(readFile)).toMatchObject({
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
    });
  });

  it('leaves tools and tool_choice out when there are none, and passes string choices through', async () => {
    const server = await serve({ script: [{ text: 'a' }, { text: 'b' }] });
    const { model } = modelFor(server);
    await model.complete(ask('x'));
    await model.complete(ask('y', { tools: [search], toolChoice: 'required' }));
    expect(server.requests[0]?.body).not.toHaveProperty('tools');
    expect(server.requests[0]?.body).not.toHaveProperty('tool_choice');
    expect(server.requests[1]?.body).toMatchObject({ tool_choice: 'required' });
  });

  it('waits out a delayed answer shorter than the timeout', async () => {
    const server = await serve({
      script: [{ fault: 'delay', ms: 20, step: { text: 'late but fine' } }],
    });
    const { model } = modelFor(server);
    expect((await model.complete(ask('hi'))).text).toBe('late but fine');
  });
});

describe('stream', () => {
  it('streams text deltas, then usage, then done with the whole completion', async () => {
    const server = await serve({
      chunkSize: 4,
      script: [{ text: 'Streaming works.', usage: { promptTokens: 5, completionTokens: 4 } }],
    });
    const { model } = modelFor(server);
    const deltas = await collect(model.stream(ask('go')));
    expect(deltas.filter((d) => d.type === 'text').map((d) => d.text)).toEqual([
      'Stre',
      'amin',
      'g wo',
      'rks.',
    ]);
    expect(deltas.slice(-2)).toEqual([
      { type: 'usage', usage: { promptTokens: 5, completionTokens: 4 } },
      {
        type: 'done',
        completion: {
          text: 'Streaming works.',
          toolCalls: [],
          finishReason: 'stop',
          usage: { promptTokens: 5, completionTokens: 4 },
          model: 'gpt-test',
        },
      },
    ]);
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('assembles tool calls whose arguments are split across chunks', async () => {
    const first = '{"path":"src/index.ts","maxBytes":4096}';
    const second = '{"query":"TODO: fix"}';
    const server = await serve({
      chunkSize: 5,
      script: [
        {
          text: 'On it.',
          toolCalls: [
            { name: 'read_file', arguments: first },
            { name: 'search', arguments: second },
          ],
        },
      ],
    });
    const { model } = modelFor(server);
    const deltas = await collect(model.stream(ask('go', { tools: [readFile, search] })));
    const pieces = deltas.filter(
      (d): d is Extract<StreamDelta, { type: 'tool_call_delta' }> => d.type === 'tool_call_delta',
    );
    for (const index of [0, 1]) {
      const mine = pieces.filter((piece) => piece.index === index);
      expect(mine.length).toBeGreaterThan(2);
      // Only the first piece of a call names it, as OpenAI streams them.
      expect(mine[0]).toMatchObject({
        id: `call_${index + 1}`,
        name: index === 0 ? 'read_file' : 'search',
      });
      for (const later of mine.slice(1)) {
        expect(later).not.toHaveProperty('id');
        expect(later).not.toHaveProperty('name');
      }
      expect(mine.map((piece) => piece.argumentsDelta).join('')).toBe(index === 0 ? first : second);
    }
    const types = deltas.map((d) => d.type);
    expect(types.slice(-4)).toEqual(['tool_call', 'tool_call', 'usage', 'done']);
    expect(types.lastIndexOf('tool_call_delta')).toBeLessThan(types.indexOf('tool_call'));
    const calls = deltas.flatMap((d) => (d.type === 'tool_call' ? [d.call] : []));
    expect(calls).toEqual([
      {
        id: 'call_1',
        name: 'read_file',
        rawArguments: first,
        arguments: { path: 'src/index.ts', maxBytes: 4096 },
      },
      { id: 'call_2', name: 'search', rawArguments: second, arguments: { query: 'TODO: fix' } },
    ]);
    const done = deltas.at(-1);
    expect(done?.type === 'done' && done.completion).toMatchObject({
      text: 'On it.',
      toolCalls: calls,
      finishReason: 'tool_calls',
    });
  });

  it('gives a streamed tool call with malformed arguments a parseError', async () => {
    const server = await serve({
      chunkSize: 3,
      script: [{ toolCalls: [{ name: 'search', arguments: '{"query": tru' }] }],
    });
    const { model } = modelFor(server);
    const deltas = await collect(model.stream(ask('go', { tools: [search] })));
    const call = deltas.find((d) => d.type === 'tool_call');
    expect(call?.type === 'tool_call' && call.call).toMatchObject({
      rawArguments: '{"query": tru',
      arguments: undefined,
    });
    expect(call?.type === 'tool_call' && call.call.parseError).toMatch(/not valid JSON/);
  });

  it('is cold: each subscription makes its own call', async () => {
    const server = await serve({ script: [{ text: 'one' }, { text: 'two' }] });
    const { model } = modelFor(server);
    const stream = model.stream(ask('go'));
    expect(server.requests).toHaveLength(0);
    const texts = [await collect(stream), await collect(stream)].map((deltas) => {
      const done = deltas.at(-1);
      return done?.type === 'done' ? done.completion.text : undefined;
    });
    expect(texts).toEqual(['one', 'two']);
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds on 429, then succeeds', async () => {
    const server = await serve({
      script: [
        { fault: 'rate_limit', retryAfterSeconds: 2 },
        { fault: 'rate_limit', retryAfterSeconds: 7 },
        { text: 'finally' },
      ],
    });
    const { model, waits } = modelFor(server);
    expect((await model.complete(ask('hi'))).text).toBe('finally');
    expect(waits).toEqual([2_000, 7_000]);
    expect(server.requests).toHaveLength(3);
  });

  it('honours Retry-After as an HTTP date, measured on the injected clock', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const server = await serve({
      script: [
        { fault: 'rate_limit', retryAfter: new Date(now + 5_000).toUTCString() },
        { text: 'ok' },
      ],
    });
    const { model, waits } = modelFor(server, { clock: { ...systemClock, now: () => now } });
    await model.complete(ask('hi'));
    expect(waits).toEqual([5_000]);
  });

  it('throws LlmRateLimited with the server’s Retry-After once retries run out', async () => {
    const server = await serve({
      script: [1, 2, 3].map(() => ({ fault: 'rate_limit' as const, retryAfterSeconds: 1 })),
    });
    const { model, waits } = modelFor(server, { maxRetries: 2 });
    const error = await model.complete(ask('hi')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LlmRateLimited);
    expect(error).toMatchObject({ code: 'llm_rate_limited', retryAfterMs: 1_000, retryable: true });
    expect(waits).toEqual([1_000, 1_000]);
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs', async () => {
    const server = await serve({
      script: [{ fault: 'rate_limit', retryAfterSeconds: 3_600 }, { text: 'unused' }],
    });
    const { model, waits } = modelFor(server);
    await expect(model.complete(ask('hi'))).rejects.toMatchObject({ retryAfterMs: 3_600_000 });
    expect(waits).toEqual([]);
    expect(server.remainingSteps).toBe(1);
  });

  it('retries a 500 with exponential backoff and jitter, then succeeds', async () => {
    const server = await serve({
      script: [{ fault: 'server_error' }, { fault: 'server_error', status: 503 }, { text: 'up' }],
    });
    const { model, waits } = modelFor(server, {
      retry: { initialMs: 100, maxMs: 150, jitter: 0.2 },
      random: () => 0.5,
    });
    expect((await model.complete(ask('hi'))).text).toBe('up');
    // 100 then 200 capped at 150, each less 0.2 × 0.5 of itself.
    expect(waits).toEqual([90, 135]);
  });

  it('honours Retry-After on a 5xx too', async () => {
    const server = await serve({
      script: [{ fault: 'server_error', status: 503, retryAfterSeconds: 3 }, { text: 'up' }],
    });
    const { model, waits } = modelFor(server);
    await model.complete(ask('hi'));
    expect(waits).toEqual([3_000]);
  });

  it('throws LlmUnavailable once 5xx retries run out', async () => {
    const server = await serve({ script: [{ fault: 'server_error' }, { fault: 'server_error' }] });
    const { model } = modelFor(server, { maxRetries: 1 });
    await expect(model.complete(ask('hi'))).rejects.toMatchObject({
      code: 'llm_unavailable',
      details: { status: 500 },
    });
    expect(server.requests).toHaveLength(2);
  });

  it('retries when the server cannot be reached at all', async () => {
    const server = await startOpenAiServer();
    await server.close();
    const { model, waits } = modelFor(server, { maxRetries: 2 });
    await expect(model.complete(ask('hi'))).rejects.toBeInstanceOf(LlmUnavailable);
    expect(waits).toHaveLength(2);
  });

  it('does not retry LlmAuth (401 or 403)', async () => {
    const server = await serve({
      script: [{ fault: 'auth' }, { fault: 'auth', status: 403 }, { text: 'unused' }],
    });
    const { model, waits } = modelFor(server);
    await expect(model.complete(ask('hi'))).rejects.toMatchObject({
      code: 'llm_auth',
      retryable: false,
      details: { status: 401 },
    });
    await expect(model.complete(ask('hi'))).rejects.toMatchObject({
      code: 'llm_auth',
      details: { status: 403 },
    });
    expect(waits).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it.each([400, 404, 422])('maps %i to LlmBadResponse without retrying', async (status) => {
    const server = await serve({
      script: [{ fault: 'http_error', status, message: 'nope' }, { text: 'unused' }],
    });
    const { model } = modelFor(server);
    await expect(model.complete(ask('hi'))).rejects.toMatchObject({
      code: 'llm_bad_response',
      details: { status },
    });
    expect(server.requests).toHaveLength(1);
  });

  it('maps a body that is not JSON to LlmBadResponse without retrying', async () => {
    const server = await serve({ script: [{ fault: 'invalid_json' }, { text: 'unused' }] });
    const { model } = modelFor(server);
    await expect(model.complete(ask('hi'))).rejects.toBeInstanceOf(LlmBadResponse);
    expect(server.requests).toHaveLength(1);
  });

  it('maps an SSE event that is not JSON to LlmBadResponse', async () => {
    const server = await serve({ script: [{ fault: 'invalid_json', body: '{oops' }] });
    const { model } = modelFor(server);
    await expect(collect(model.stream(ask('hi')))).rejects.toBeInstanceOf(LlmBadResponse);
  });

  it('cancels while waiting between retries', async () => {
    const server = await serve({ script: [{ fault: 'server_error' }, { text: 'unused' }] });
    const controller = new AbortController();
    const { model } = modelFor(server, {
      // Never resolves by itself: only the abort can end the wait.
      sleep: () => {
        controller.abort();
        return new Promise<void>(() => {});
      },
    });
    await expect(model.complete(ask('hi', { signal: controller.signal }))).rejects.toBeInstanceOf(
      LlmCancelled,
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe('broken streams, cancellation and timeouts', () => {
  it('fails a stream truncated after text with LlmUnavailable, without retrying', async () => {
    const server = await serve({
      chunkSize: 4,
      script: [{ fault: 'truncate', afterChunks: 3 }, { text: 'unused' }],
    });
    const { model } = modelFor(server);
    const seen: StreamDelta[] = [];
    const failure = await new Promise<unknown>((resolve) => {
      model
        .stream(ask('go'))
        .subscribe({ next: (d) => seen.push(d), error: resolve, complete: () => resolve(null) });
    });
    expect(failure).toBeInstanceOf(LlmUnavailable);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((d) => d.type === 'text')).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a stream that broke before emitting anything', async () => {
    const server = await serve({
      script: [{ fault: 'truncate', afterChunks: 1 }, { text: 'second try' }],
    });
    const { model, waits } = modelFor(server);
    const deltas = await collect(model.stream(ask('go')));
    expect(deltas.at(-1)).toMatchObject({ type: 'done', completion: { text: 'second try' } });
    expect(waits).toHaveLength(1);
  });

  it('maps a truncated non-streamed body to LlmUnavailable', async () => {
    const server = await serve({ script: [{ fault: 'truncate', afterChunks: 4 }] });
    const { model } = modelFor(server, { maxRetries: 0 });
    await expect(model.complete(ask('go'))).rejects.toBeInstanceOf(LlmUnavailable);
  });

  it('aborts the HTTP request when the subscriber unsubscribes mid-stream', async () => {
    const server = await serve({ chunkSize: 4, script: [{ fault: 'stall', afterChunks: 3 }] });
    const { model } = modelFor(server);
    const seen: StreamDelta[] = [];
    await new Promise<void>((resolve) => {
      const subscription = model.stream(ask('go')).subscribe((delta) => {
        seen.push(delta);
        subscription.unsubscribe();
        resolve();
      });
    });
    await server.waitForHangUps(1);
    expect(server.hangUps).toMatchObject([{ requestIndex: 0, path: '/v1/chat/completions' }]);
    expect(seen).toEqual([{ type: 'text', text: 'this' }]);
  });

  it('errors a stream with LlmCancelled when the caller’s signal aborts, and hangs up', async () => {
    const server = await serve({ script: [{ fault: 'stall', afterChunks: 2 }] });
    const { model } = modelFor(server);
    const controller = new AbortController();
    const failure = new Promise<unknown>((resolve) => {
      model.stream(ask('go', { signal: controller.signal })).subscribe({
        next: () => controller.abort(),
        error: resolve,
        complete: () => resolve(null),
      });
    });
    expect(await failure).toBeInstanceOf(LlmCancelled);
    await server.waitForHangUps(1);
  });

  it('cancels complete() on a stalled answer and hangs up', async () => {
    const server = await serve({ script: [{ fault: 'stall' }] });
    const { model } = modelFor(server);
    const controller = new AbortController();
    const call = model.complete(ask('go', { signal: controller.signal }));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(LlmCancelled);
    await server.waitForHangUps(1);
  });

  it('refuses to start with an already aborted signal', async () => {
    const server = await serve({ script: [] });
    const { model } = modelFor(server);
    await expect(model.complete(ask('go', { signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(
      LlmCancelled,
    );
    await expect(
      collect(model.stream(ask('go', { signal: AbortSignal.abort() }))),
    ).rejects.toBeInstanceOf(LlmCancelled);
    expect(server.requests).toHaveLength(0);
  });

  // Timeouts run on a SimulatedClock: they fire when the test moves time, never on a loaded machine's whim.
  it('times out a stalled answer with LlmTimeout and hangs up', async () => {
    const server = await serve({ script: [{ fault: 'stall' }] });
    const clock = new SimulatedClock();
    const { model } = modelFor(server, { clock, timeoutMs: 10_000, maxRetries: 0 });
    const call = model.complete(ask('go'));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    clock.increment(9_999);
    clock.increment(1);
    await expect(call).rejects.toMatchObject({
      code: 'llm_timeout',
      details: { timeoutMs: 10_000 },
    });
    await server.waitForHangUps(1);
  });

  it('times out a stream that goes silent mid-answer, counting from its last chunk', async () => {
    const server = await serve({ script: [{ fault: 'stall', afterChunks: 2 }] });
    const clock = new SimulatedClock();
    const { model } = modelFor(server, { clock, timeoutMs: 10_000, maxRetries: 0 });
    const seen: StreamDelta[] = [];
    let failure: unknown;
    model.stream(ask('go')).subscribe({
      next: (delta) => seen.push(delta),
      error: (error: unknown) => {
        failure = error;
      },
    });
    clock.increment(6_000);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    // The chunk at t=6 s restarted the silence: t=10 s is only 4 s of it.
    clock.increment(4_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(failure).toBeUndefined();
    clock.increment(6_000);
    await vi.waitFor(() => expect(failure).toBeInstanceOf(LlmTimeout));
    await server.waitForHangUps(1);
  });

  it('retries a timed-out attempt', async () => {
    const server = await serve({ script: [{ fault: 'stall' }, { text: 'awake' }] });
    const clock = new SimulatedClock();
    const { model, waits } = modelFor(server, { clock, timeoutMs: 10_000 });
    const call = model.complete(ask('go'));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    clock.increment(10_000);
    expect((await call).text).toBe('awake');
    expect(waits).toHaveLength(1);
  });
});

describe('configuration', () => {
  it('fromEnv reads OPENAI_BASE_URL, OPENAI_API_KEY and NERDLOOP_MODEL', async () => {
    const server = await serve({ script: [{ text: 'from env' }] });
    const model = fromEnv({
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-env', NERDLOOP_MODEL: 'env-model' },
    });
    expect(model.id).toBe('openai:env-model');
    expect((await model.complete(ask('hi'))).text).toBe('from env');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-env');
    expect(server.requests[0]?.body).toMatchObject({ model: 'env-model' });
  });

  it('fromEnv reads process.env by default, and explicit options win', async () => {
    const server = await serve({ script: [{ text: 'ok' }] });
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:9/v1');
    vi.stubEnv('OPENAI_API_KEY', 'sk-process');
    vi.stubEnv('NERDLOOP_MODEL', 'process-model');
    try {
      expect(fromEnv().id).toBe('openai:process-model');
      const model = fromEnv({ baseURL: server.url, model: undefined });
      await model.complete(ask('hi'));
      expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-process');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses to start without an API key, and with invalid options', () => {
    expect(() => fromEnv({ env: { OPENAI_API_KEY: '' } })).toThrow(LlmAuth);
    expect(() => createOpenAiModel({ apiKey: 'k', timeoutMs: 0 })).toThrow(
      InvalidOpenAiOptionsError,
    );
    expect(() => createOpenAiModel({ apiKey: 'k', maxRetries: -1 })).toThrow(
      InvalidOpenAiOptionsError,
    );
  });

  it('parses Retry-After forms', () => {
    const headers = (entries: Record<string, string>) => new Headers(entries);
    expect(parseRetryAfter(headers({ 'retry-after': '1.5' }), 0)).toBe(1_500);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), 0)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(
      6_000,
    );
    expect(parseRetryAfter(headers({ 'retry-after': new Date(0).toUTCString() }), 4_000)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), 0)).toBeNull();
    expect(parseRetryAfter(headers({}), 0)).toBeNull();
  });
});
