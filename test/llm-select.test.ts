/**
 * createModelFromEnv: the offline model without an endpoint, the openai
 * adapter with one, and a base URL alone reaching a keyless local server.
 * Imports go through the module's public surface, as an embedding app's would.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CompletionRequest,
  createModelFromEnv,
  OFFLINE_DISCLAIMER,
  type OpenAiServer,
  type OpenAiServerOptions,
  PLACEHOLDER_API_KEY,
  startOpenAiServer,
} from '../src/llm/index.js';

const servers: OpenAiServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: OpenAiServerOptions): Promise<OpenAiServer> {
  const server = await startOpenAiServer(options);
  servers.push(server);
  return server;
}

const ask = (content: string): CompletionRequest => ({ messages: [{ role: 'user', content }] });

describe('createModelFromEnv: offline', () => {
  it('chooses the offline model with an empty env, and says why', async () => {
    const { model, source, reason } = createModelFromEnv({ env: {} });
    expect(source).toBe('offline');
    expect(model.id).toBe('offline');
    expect(reason).toContain('no OPENAI_BASE_URL or OPENAI_API_KEY set');
    const answer = await model.complete(ask('hello'));
    expect(answer.text.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
  });

  it('whitespace-only values count as unset', () => {
    const { source, reason } = createModelFromEnv({
      env: { OPENAI_BASE_URL: '   ', OPENAI_API_KEY: '\t', NERDLOOP_MODEL: ' \n' },
    });
    expect(source).toBe('offline');
    expect(reason).toContain('no OPENAI_BASE_URL or OPENAI_API_KEY set');
    expect(reason).not.toContain('NERDLOOP_MODEL');
  });

  it('passes offline options on, and notes a NERDLOOP_MODEL that has no endpoint to go to', async () => {
    const { model, reason } = createModelFromEnv({
      env: { NERDLOOP_MODEL: 'llama3.2' },
      offline: { model: 'offline-rules' },
    });
    expect(reason).toMatch(/NERDLOOP_MODEL \(llama3\.2\) applies only once an endpoint is set/);
    expect((await model.complete(ask('hello'))).model).toBe('offline-rules');
  });

  it('reads process.env only when env is omitted', () => {
    vi.stubEnv('OPENAI_API_KEY', 'sk-from-process');
    vi.stubEnv('OPENAI_BASE_URL', '');
    vi.stubEnv('NERDLOOP_MODEL', '');
    expect(createModelFromEnv({ env: {} }).source).toBe('offline');
    expect(createModelFromEnv().source).toBe('openai');
  });
});

describe('createModelFromEnv: openai', () => {
  it('chooses the openai adapter when OPENAI_API_KEY is set, without leaking the key', () => {
    const { model, source, reason } = createModelFromEnv({
      env: { OPENAI_API_KEY: 'sk-secret-123' },
    });
    expect(source).toBe('openai');
    expect(model.id).toBe('openai:gpt-4o-mini');
    expect(reason).toContain('model gpt-4o-mini (the default; set NERDLOOP_MODEL to choose)');
    expect(reason).toContain('the API key from OPENAI_API_KEY');
    expect(reason).not.toContain('sk-secret-123');
  });

  it('with a key and no base URL, calls OpenAI itself even when process.env names another server', async () => {
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:9/v1');
    const urls: string[] = [];
    const fetch = async (input: string | URL | Request): Promise<Response> => {
      urls.push(input instanceof Request ? input.url : String(input));
      return Response.json({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 0,
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    };
    const { model, reason } = createModelFromEnv({
      env: { OPENAI_API_KEY: 'sk-test' },
      openai: { fetch, maxRetries: 0 },
    });
    expect(reason).toContain('at https://api.openai.com/v1 (the default');
    expect((await model.complete(ask('hi'))).text).toBe('hi');
    expect(urls).toEqual(['https://api.openai.com/v1/chat/completions']);
  });

  it('sends the key from OPENAI_API_KEY to the configured server', async () => {
    const server = await serve({ apiKey: 'sk-real', script: [{ text: 'keyed' }] });
    const { model, source } = createModelFromEnv({
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: ' sk-real ', NERDLOOP_MODEL: 'gpt-x' },
    });
    expect(source).toBe('openai');
    expect((await model.complete(ask('hi'))).text).toBe('keyed');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-real');
    expect(server.requests[0]?.body).toMatchObject({ model: 'gpt-x' });
  });

  it('with only OPENAI_BASE_URL, reaches a keyless local server with a placeholder key', async () => {
    const server = await serve({ script: [{ text: 'hello from the local server' }] });
    const { model, source, reason } = createModelFromEnv({
      env: { OPENAI_BASE_URL: server.url, NERDLOOP_MODEL: 'llama3.2:3b', OPENAI_API_KEY: '  ' },
    });
    expect(source).toBe('openai');
    expect(model.id).toBe('openai:llama3.2:3b');
    expect(reason).toContain(`at ${server.url} (from OPENAI_BASE_URL)`);
    expect(reason).toContain('model llama3.2:3b (from NERDLOOP_MODEL)');
    expect(reason).toContain('placeholder API key');

    const answer = await model.complete(ask('are you there?'));
    expect(answer.text).toBe('hello from the local server');
    expect(answer.model).toBe('llama3.2:3b');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.body).toMatchObject({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'are you there?' }],
    });
    expect(request?.headers.authorization).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
  });

  it('explicit openai options win over the environment, and a blank one does not hide it', async () => {
    const server = await serve({ script: [{ text: 'ok' }] });
    const { model, reason } = createModelFromEnv({
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', NERDLOOP_MODEL: 'env-model' },
      openai: { baseURL: server.url, model: ' ', maxRetries: 0 },
    });
    expect(model.id).toBe('openai:env-model');
    expect(reason).toContain('(from options.openai.baseURL)');
    await model.complete(ask('hi'));
    expect(server.requests[0]?.body).toMatchObject({ model: 'env-model' });
  });

  it('an explicit baseURL alone counts as a configured endpoint', () => {
    const { source } = createModelFromEnv({
      env: {},
      openai: { baseURL: 'http://localhost:11434/v1' },
    });
    expect(source).toBe('openai');
  });

  it('masks credentials in the base URL shown in the reason', () => {
    const { reason } = createModelFromEnv({
      env: { OPENAI_BASE_URL: 'https://user:hunter2@proxy.example/v1' },
    });
    expect(reason).not.toContain('hunter2');
    expect(reason).toContain('proxy.example/v1');
  });
});
