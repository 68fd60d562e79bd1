import fc from 'fast-check';
import { firstValueFrom, lastValueFrom, type Observable, toArray } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LlmCancelled, LlmRateLimited, LlmScriptError } from '../src/llm/errors.js';
import type { CompletionRequest, StreamDelta } from '../src/llm/port.js';
import { splitEvery } from '../src/llm/scripted/deltas.js';
import { completionDeltas, createScriptedModel, splitText } from '../src/llm/scripted/index.js';

const ask = (content: string): CompletionRequest => ({
  messages: [
    { role: 'system', content: 'you are terse' },
    { role: 'user', content },
  ],
});

const collect = (stream: Observable<StreamDelta>) => lastValueFrom(stream.pipe(toArray()));

describe('scripted model: replies', () => {
  it('answers each request with the next step, in order', async () => {
    const model = createScriptedModel([{ text: 'one' }, { text: 'two' }]);
    expect((await model.complete(ask('a'))).text).toBe('one');
    expect((await model.complete(ask('b'))).text).toBe('two');
    model.assertComplete();
    expect(model.requests.map((r) => r.messages.at(-1)?.content)).toEqual(['a', 'b']);
  });

  it('fills in finish reason, model, usage and deterministic tool call ids', async () => {
    const model = createScriptedModel(
      [
        { toolCalls: [{ name: 'read', arguments: { path: 'a.ts' } }, { name: 'list' }] },
        {
          toolCalls: [{ name: 'read', arguments: { path: 'b.ts' } }],
          usage: { promptTokens: 7, completionTokens: 3 },
        },
        { text: 'done', finishReason: 'length', model: 'big-model' },
      ],
      { id: 'test-model' },
    );
    const first = await model.complete(ask('read a'));
    expect(first).toEqual({
      text: '',
      toolCalls: [
        {
          id: 'call_1',
          name: 'read',
          rawArguments: '{"path":"a.ts"}',
          arguments: { path: 'a.ts' },
        },
        { id: 'call_2', name: 'list', rawArguments: '{}', arguments: {} },
      ],
      finishReason: 'tool_calls',
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      model: 'test-model',
    });
    expect(first.usage.promptTokens).toBeGreaterThan(0);
    const second = await model.complete({ ...ask('read b'), model: 'asked-for' });
    expect(second.toolCalls[0]?.id).toBe('call_3');
    expect(second.usage).toEqual({ promptTokens: 7, completionTokens: 3 });
    expect(second.model).toBe('asked-for');
    const third = await model.complete(ask('and?'));
    expect(third).toMatchObject({ text: 'done', finishReason: 'length', model: 'big-model' });
  });

  it('sends { raw } arguments unchanged, so malformed JSON reaches the loop as parseError', async () => {
    const model = createScriptedModel([
      { toolCalls: [{ name: 'edit', arguments: { raw: '{"path": "a.ts",' } }] },
    ]);
    const [call] = (await model.complete(ask('edit'))).toolCalls;
    expect(call?.rawArguments).toBe('{"path": "a.ts",');
    expect(call?.arguments).toBeUndefined();
    expect(call?.parseError).toMatch(/arguments of edit are not valid JSON/);
  });

  it('a step whose arguments have no JSON form is a script error naming the step', async () => {
    const model = createScriptedModel([
      { text: 'ok' },
      { toolCalls: [{ name: 'x', arguments: 10n }] },
    ]);
    await model.complete(ask('a'));
    await expect(model.complete(ask('b'))).rejects.toThrow(/script step 2: .*tool call x/);
  });
});

describe('scripted model: function and error steps', () => {
  it('a function step sees the request and answers from it', async () => {
    const model = createScriptedModel([
      (request) => {
        expect(request.toolChoice).toBe('required');
        expect(request.messages).toHaveLength(2);
        return { text: `echo: ${request.messages.at(-1)?.content}` };
      },
      async () => ({ text: 'later' }),
    ]);
    expect((await model.complete({ ...ask('hi'), toolChoice: 'required' })).text).toBe('echo: hi');
    expect((await model.complete(ask('x'))).text).toBe('later');
  });

  it('an assertion failing inside a function step fails the call', async () => {
    const model = createScriptedModel([
      (request) => {
        expect(request.temperature).toBe(0.5);
        return { text: 'unreachable' };
      },
    ]);
    await expect(model.complete({ ...ask('hi'), temperature: 1 })).rejects.toThrow(
      /expected 1 to be 0.5/,
    );
  });

  it('an error step throws that error, and uses the step', async () => {
    const limited = new LlmRateLimited('slow down', 1000);
    const model = createScriptedModel([{ error: limited }, { text: 'after retry' }]);
    await expect(model.complete(ask('a'))).rejects.toBe(limited);
    expect((await model.complete(ask('a'))).text).toBe('after retry');
    model.assertComplete();
  });
});

describe('scripted model: the script must be used exactly', () => {
  it('asking past the end is a script error naming the last user message', async () => {
    const model = createScriptedModel([{ text: 'only' }]);
    await model.complete(ask('first'));
    const error = await model
      .complete(ask('what about the second question?'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmScriptError);
    expect(String(error)).toMatch(/request 2 asked past the end of its 1-step script/);
    expect(String(error)).toContain('"what about the second question?"');
  });

  it('assertComplete throws naming how many steps were left unused', async () => {
    const model = createScriptedModel([{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
    expect(model.remaining).toBe(3);
    await model.complete(ask('x'));
    expect(model.remaining).toBe(2);
    expect(() => model.assertComplete()).toThrow(LlmScriptError);
    expect(() => model.assertComplete()).toThrow(/2 of 3 script steps were left unused/);
  });

  // This test is expected to fail: it shows that a test which does not use up
  // its script fails, through the assertComplete it registers at its end.
  it.fails('a test that leaves script steps unused fails', async () => {
    const model = createScriptedModel([{ text: 'plan' }, { text: 'never asked' }]);
    onTestFinished(() => model.assertComplete());
    expect((await model.complete(ask('plan it'))).text).toBe('plan');
  });

  it('the same test passes once it uses the whole script', async () => {
    const model = createScriptedModel([{ text: 'plan' }, { text: 'do it' }]);
    onTestFinished(() => model.assertComplete());
    await model.complete(ask('plan it'));
    await model.complete(ask('go'));
  });
});

describe('scripted model: streams', () => {
  it('streams the reply as text pieces, tool call pieces, usage, then done', async () => {
    const model = createScriptedModel([
      {
        text: 'I will read the file now.',
        toolCalls: [{ name: 'read', arguments: { path: 'src/index.ts' } }],
        usage: { promptTokens: 10, completionTokens: 5 },
      },
    ]);
    const deltas = await collect(model.stream(ask('read it')));
    const types = deltas.map((d) => d.type);
    expect(types.filter((t) => t === 'text').length).toBeGreaterThan(1);
    expect(types.filter((t) => t === 'tool_call_delta').length).toBeGreaterThan(1);
    expect(types.slice(-2)).toEqual(['usage', 'done']);
    expect(types.indexOf('tool_call')).toBeGreaterThan(types.lastIndexOf('text'));
    const text = deltas.flatMap((d) => (d.type === 'text' ? [d.text] : [])).join('');
    expect(text).toBe('I will read the file now.');
    const args = deltas.flatMap((d) => (d.type === 'tool_call_delta' ? [d.argumentsDelta] : []));
    expect(args.join('')).toBe('{"path":"src/index.ts"}');
    const done = deltas.at(-1);
    expect(done?.type === 'done' && done.completion.toolCalls[0]?.id).toBe('call_1');
  });

  it('stream and complete give the same completion', async () => {
    const reply = { text: 'same', toolCalls: [{ name: 't', arguments: [1, 2] }] };
    const viaComplete = await createScriptedModel([reply]).complete(ask('q'));
    const deltas = await collect(createScriptedModel([reply]).stream(ask('q')));
    const done = deltas.at(-1);
    expect(done).toEqual({ type: 'done', completion: viaComplete });
  });

  it('is cold: nothing is asked until subscription, and each subscription takes a step', async () => {
    const model = createScriptedModel([{ text: 'one' }, { text: 'two' }]);
    const stream = model.stream(ask('q'));
    expect(model.requests).toHaveLength(0);
    const first = await lastValueFrom(stream);
    const second = await lastValueFrom(stream);
    expect(first.type === 'done' && first.completion.text).toBe('one');
    expect(second.type === 'done' && second.completion.text).toBe('two');
    model.assertComplete();
  });

  it('an error step errors the stream', async () => {
    const model = createScriptedModel([{ error: new LlmRateLimited('busy') }]);
    await expect(firstValueFrom(model.stream(ask('q')))).rejects.toBeInstanceOf(LlmRateLimited);
  });

  it('splitEvery cuts into parts of at most n code points that join back exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 80 }), (text, n) => {
        const parts = splitEvery(text, n);
        expect(parts.join('')).toBe(text);
        for (const part of parts) expect(Array.from(part).length).toBeLessThanOrEqual(n);
        expect(parts.length).toBe(Math.ceil(Array.from(text).length / n));
      }),
    );
  });

  it('completionDeltas rebuilds text and arguments exactly, surrogate pairs included', () => {
    expect(splitText('', 3)).toEqual([]);
    expect(splitText('ab', 3)).toEqual(['a', 'b']);
    expect(splitText('😀😀😀😀', 3).join('')).toBe('😀😀😀😀');
    const deltas = completionDeltas({
      text: '',
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 0, completionTokens: 0 },
      model: 'm',
    });
    expect(deltas.map((d) => d.type)).toEqual(['usage', 'done']);
  });
});

describe('scripted model: cancellation', () => {
  it('an already aborted signal is LlmCancelled and uses no step', async () => {
    const model = createScriptedModel([{ text: 'kept' }]);
    const controller = new AbortController();
    controller.abort(new Error('user pressed ctrl-c'));
    const error = await model
      .complete({ ...ask('q'), signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmCancelled);
    expect(String(error)).toContain('user pressed ctrl-c');
    await expect(
      firstValueFrom(model.stream({ ...ask('q'), signal: controller.signal })),
    ).rejects.toBeInstanceOf(LlmCancelled);
    expect(model.remaining).toBe(1);
    expect(model.requests).toHaveLength(2);
    expect((await model.complete(ask('q'))).text).toBe('kept');
  });

  it('aborting while a function step is pending cancels the call', async () => {
    const model = createScriptedModel([() => new Promise<never>(() => undefined)]);
    const controller = new AbortController();
    const pending = model.complete({ ...ask('q'), signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(LlmCancelled);
  });
});
