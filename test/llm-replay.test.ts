import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { lastValueFrom, type Observable, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmCancelled, LlmCassetteMiss } from '../src/llm/errors.js';
import {
  type ChatMessage,
  type CompletionRequest,
  defineTool,
  type StreamDelta,
} from '../src/llm/port.js';
import {
  canonicalRequest,
  LlmCassetteLoadError,
  readCassette,
  requestKey,
  withCassette,
} from '../src/llm/replay/index.js';
import { createScriptedModel, type Script } from '../src/llm/scripted/index.js';

const readTool = defineTool({
  name: 'read',
  description: 'read a file',
  parameters: z.object({ path: z.string() }),
});

const ask = (content: string, extra: Partial<CompletionRequest> = {}): CompletionRequest => ({
  messages: [
    { role: 'system', content: 'you are a coding agent' },
    { role: 'user', content },
  ],
  tools: [readTool],
  ...extra,
});

const script: Script = [
  { text: 'let me look', toolCalls: [{ name: 'read', arguments: { path: 'a.ts' } }] },
  { toolCalls: [{ name: 'read', arguments: { raw: '{"path": ' } }] },
  { text: 'all done', usage: { promptTokens: 120, completionTokens: 4 } },
];
const requests = [ask('read a.ts'), ask('now b.ts', { temperature: 0 }), ask('summarise')];

/** A model that must never be asked: replay has to answer everything itself. */
const unreachable = () => createScriptedModel([], { id: 'unreachable' });

let dir: string;
let cassettePath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nerdloop-cassette-'));
  cassettePath = join(dir, 'nested', 'run.cassette.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function recordAll(path: string) {
  const inner = createScriptedModel(script);
  const recorder = withCassette(inner, { mode: 'record', path });
  const answers = [];
  for (const request of requests) answers.push(await recorder.complete(request));
  inner.assertComplete();
  return answers;
}

describe('record then replay', () => {
  it('replays byte-identical completions without asking the model', async () => {
    const recorded = await recordAll(cassettePath);
    const inner = unreachable();
    const player = withCassette(inner, { mode: 'replay', path: cassettePath });
    for (const [index, request] of requests.entries()) {
      const replayed = await player.complete(request);
      expect(JSON.stringify(replayed)).toBe(JSON.stringify(recorded[index]));
    }
    expect(inner.requests).toHaveLength(0);
    // The unparseable call keeps its parseError and absent arguments across the file.
    expect(recorded[1]?.toolCalls[0]?.parseError).toBeDefined();
  });

  it('writes one pretty JSON file of { key, request, completion } with no signal and no temp files left', async () => {
    const controller = new AbortController();
    const inner = createScriptedModel([{ text: 'hi' }]);
    await withCassette(inner, { mode: 'record', path: cassettePath }).complete(
      ask('hello', { signal: controller.signal }),
    );
    const text = await readFile(cassettePath, 'utf8');
    expect(text).toContain('\n  "entries": [\n');
    const file = JSON.parse(text);
    expect(file.version).toBe(1);
    expect(file.entries).toHaveLength(1);
    const [entry] = file.entries;
    expect(entry.key).toBe(requestKey(ask('hello')));
    expect(entry.request).toEqual(canonicalRequest(ask('hello')));
    expect(entry.request).not.toHaveProperty('signal');
    expect(entry.request.tools[0].parameters).toMatchObject({ type: 'object' });
    expect(entry.completion.text).toBe('hi');
    expect(await readdir(join(dir, 'nested'))).toEqual(['run.cassette.json']);
  });

  it('record starts a fresh cassette instead of appending to a stale one', async () => {
    await recordAll(cassettePath);
    const inner = createScriptedModel([{ text: 'new answer' }]);
    await withCassette(inner, { mode: 'record', path: cassettePath }).complete(ask('read a.ts'));
    const entries = await readCassette(cassettePath);
    expect(entries?.map((e) => e.completion.text)).toEqual(['new answer']);
  });

  it('identical requests replay in recorded order, and one more is a miss', async () => {
    const inner = createScriptedModel([{ text: 'first try' }, { text: 'second try' }]);
    const recorder = withCassette(inner, { mode: 'record', path: cassettePath });
    await recorder.complete(ask('run the tests'));
    await recorder.complete(ask('run the tests'));
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    expect((await player.complete(ask('run the tests'))).text).toBe('first try');
    expect((await player.complete(ask('run the tests'))).text).toBe('second try');
    await expect(player.complete(ask('run the tests'))).rejects.toThrow(
      /only 2 answer\(s\) are recorded for it and this is request 3 like it/,
    );
  });

  it('auto replays what is recorded and records what is not', async () => {
    await recordAll(cassettePath);
    const inner = createScriptedModel([{ text: 'fresh' }]);
    const auto = withCassette(inner, { mode: 'auto', path: cassettePath });
    expect((await auto.complete(requests[2] ?? ask(''))).text).toBe('all done');
    expect((await auto.complete(ask('something new'))).text).toBe('fresh');
    inner.assertComplete();
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    expect((await player.complete(ask('something new'))).text).toBe('fresh');
    expect(await readCassette(cassettePath)).toHaveLength(4);
  });
});

describe('misses and bad files', () => {
  it('a miss names the request, the key and the cassette', async () => {
    await recordAll(cassettePath);
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    const long = `please refactor the parser ${'so that it is faster '.repeat(10)}`;
    const error = await player.complete(ask(long)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmCassetteMiss);
    const message = String(error);
    expect(message).toContain('"please refactor the parser so that it is faster');
    expect(message).toContain('…"');
    expect(message).not.toContain(long.trim());
    expect(message).toContain(requestKey(ask(long)));
    expect(message).toContain(cassettePath);
    expect(message).toContain('nothing is recorded for it');
  });

  it('a replay with no cassette file says so', async () => {
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    await expect(player.complete(ask('x'))).rejects.toThrow(/the cassette file does not exist/);
  });

  it.each([
    ['not JSON', '{"version": 1, "entries": [', /not JSON/],
    ['not a cassette', '{"version": 2, "entries": []}', /not a cassette/],
    [
      'a bad completion',
      JSON.stringify({
        version: 1,
        entries: [{ key: 'a'.repeat(64), request: {}, completion: { text: 1 } }],
      }),
      /entry 0 \(key a+\) is not a completion/,
    ],
  ])('a file that is %s is a load error naming the file', async (_, content, reason) => {
    await recordAll(cassettePath);
    await writeFile(cassettePath, content);
    for (const mode of ['replay', 'auto'] as const) {
      const player = withCassette(unreachable(), { mode, path: cassettePath });
      const error = await player.complete(ask('x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LlmCassetteLoadError);
      expect(String(error)).toContain(cassettePath);
      expect(String(error)).toMatch(reason);
      const streamError = await lastValueFrom(player.stream(ask('x'))).catch((e: unknown) => e);
      expect(streamError).toBeInstanceOf(LlmCassetteLoadError);
    }
  });

  it('a cancelled call is LlmCancelled and does not use up a recorded answer', async () => {
    await recordAll(cassettePath);
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    const controller = new AbortController();
    controller.abort();
    const request = requests[0] ?? ask('');
    await expect(player.complete({ ...request, signal: controller.signal })).rejects.toBeInstanceOf(
      LlmCancelled,
    );
    expect((await player.complete(request)).text).toBe('let me look');
  });
});

describe('streams', () => {
  const collect = (stream: Observable<StreamDelta>) => lastValueFrom(stream.pipe(toArray()));

  it('replay streams deltas rebuilt from the recorded completion, in the port order', async () => {
    const recorded = await recordAll(cassettePath);
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    const deltas = await collect(player.stream(requests[0] ?? ask('')));
    const types = deltas.map((d) => d.type);
    expect(types.slice(-2)).toEqual(['usage', 'done']);
    expect(types).toContain('tool_call_delta');
    expect(types.indexOf('tool_call')).toBeGreaterThan(types.lastIndexOf('text'));
    const text = deltas.flatMap((d) => (d.type === 'text' ? [d.text] : [])).join('');
    expect(text).toBe('let me look');
    const done = deltas.at(-1);
    expect(JSON.stringify(done?.type === 'done' ? done.completion : null)).toBe(
      JSON.stringify(recorded[0]),
    );
  });

  it('a recorded stream replays through complete, and the stream is cold', async () => {
    const inner = createScriptedModel([{ text: 'streamed answer' }]);
    const recorder = withCassette(inner, { mode: 'record', path: cassettePath });
    const stream = recorder.stream(ask('stream it'));
    expect(inner.requests).toHaveLength(0);
    const deltas = await collect(stream);
    const done = deltas.at(-1);
    const player = withCassette(unreachable(), { mode: 'replay', path: cassettePath });
    const replayed = await player.complete(ask('stream it'));
    expect(JSON.stringify(replayed)).toBe(
      JSON.stringify(done?.type === 'done' ? done.completion : null),
    );
  });
});

// ---------------------------------------------------------------------------
// Key stability
// ---------------------------------------------------------------------------

const text = fc.string({ maxLength: 20 });
const toolCall = fc.record({
  id: text,
  name: text,
  rawArguments: text,
  arguments: fc.jsonValue({ maxDepth: 2 }),
});
const message: fc.Arbitrary<ChatMessage> = fc.oneof(
  fc.record({ role: fc.constant('system' as const), content: text }),
  fc.record({ role: fc.constant('user' as const), content: text }),
  fc.record(
    {
      role: fc.constant('assistant' as const),
      content: fc.option(text, { nil: null }),
      toolCalls: fc.array(toolCall, { maxLength: 2 }),
    },
    { requiredKeys: ['role', 'content'] },
  ),
  fc.record({ role: fc.constant('tool' as const), toolCallId: text, content: text }),
);
const request: fc.Arbitrary<CompletionRequest> = fc.record(
  {
    messages: fc.array(message, { minLength: 1, maxLength: 5 }),
    toolChoice: fc.constantFrom('auto' as const, 'none' as const, { name: 'read' }),
    model: text,
    temperature: fc.integer({ min: 0, max: 20 }).map((n) => n / 10),
    maxTokens: fc.nat(),
  },
  { requiredKeys: ['messages'] },
);

/** Rebuilds every object with its keys in an order drawn from `order`. */
function reorderKeys(value: unknown, order: number[]): unknown {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, order));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const shuffled: [string, unknown][] = [];
  let turn = 0;
  while (entries.length > 0) {
    const pick = (order[turn % Math.max(1, order.length)] ?? 0) % entries.length;
    turn += 1;
    const [entry] = entries.splice(pick, 1);
    if (entry !== undefined) shuffled.push([entry[0], reorderKeys(entry[1], order)]);
  }
  return Object.fromEntries(shuffled);
}

describe('request keys', () => {
  it('do not depend on key order or on the signal', () => {
    fc.assert(
      fc.property(request, fc.array(fc.nat(), { minLength: 1 }), (base, order) => {
        const reordered = reorderKeys(base, order) as CompletionRequest;
        const signalled = { ...reordered, signal: new AbortController().signal, tools: [readTool] };
        expect(requestKey(reordered)).toBe(requestKey(base));
        expect(requestKey(signalled)).toBe(requestKey({ ...base, tools: [readTool] }));
      }),
    );
  });

  it('differ when any message differs', () => {
    fc.assert(
      fc.property(request, fc.nat(), (base, at) => {
        const index = at % base.messages.length;
        const messages = base.messages.map(
          (m, i): ChatMessage => (i === index ? { ...m, content: `${m.content ?? ''}!` } : m),
        );
        expect(requestKey({ ...base, messages })).not.toBe(requestKey(base));
      }),
    );
  });

  it('differ when a tool schema, the tool choice or the sampling differs', () => {
    const wider = defineTool({
      ...readTool,
      parameters: z.object({ path: z.string(), line: z.number() }),
    });
    const base = requestKey(ask('q'));
    expect(requestKey(ask('q', { tools: [wider] }))).not.toBe(base);
    expect(requestKey(ask('q', { toolChoice: 'required' }))).not.toBe(base);
    expect(requestKey(ask('q', { temperature: 0.2 }))).not.toBe(base);
    expect(requestKey(ask('q', { maxTokens: 10 }))).not.toBe(base);
    expect(requestKey(ask('q', { model: 'other' }))).not.toBe(base);
    expect(requestKey(ask('q'))).toMatch(/^[0-9a-f]{64}$/);
  });
});
