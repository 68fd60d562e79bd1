import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LlmBudgetExceeded, LlmRateLimited } from '../src/llm/errors.js';
import type { CompletionRequest } from '../src/llm/port.js';
import { createScriptedModel, type ScriptReply } from '../src/llm/scripted/index.js';
import {
  createUsageMeter,
  InvalidUsageMeterOptionsError,
  type UsageUpdate,
} from '../src/llm/usage/index.js';

const ask = (content: string): CompletionRequest => ({ messages: [{ role: 'user', content }] });

const reply = (promptTokens: number, completionTokens: number, model = 'small'): ScriptReply => ({
  text: 'ok',
  usage: { promptTokens, completionTokens },
  model,
});

const prices = {
  small: { promptPerMillion: 0.15, completionPerMillion: 0.6 },
  big: { promptPerMillion: 2.5, completionPerMillion: 10 },
};

describe('usage totals', () => {
  it('counts calls and tokens across every wrapped model, with cost from the price table', async () => {
    const meter = createUsageMeter({ prices });
    const a = meter.wrap(createScriptedModel([reply(1000, 200), reply(500, 100)], { id: 'a' }));
    const b = meter.wrap(createScriptedModel([reply(2000, 1000, 'big')], { id: 'b' }));
    await a.complete(ask('1'));
    await b.complete(ask('2'));
    await a.complete(ask('3'));
    const totals = meter.totals();
    expect(totals).toMatchObject({ calls: 3, promptTokens: 3500, completionTokens: 1300 });
    const expected = (1500 * 0.15 + 300 * 0.6 + 2000 * 2.5 + 1000 * 10) / 1e6;
    expect(totals.costUsd).toBeCloseTo(expected, 12);
    expect(meter.perCall.map((c) => [c.call, c.modelId, c.model, c.streamed])).toEqual([
      [1, 'a', 'small', false],
      [2, 'b', 'big', false],
      [3, 'a', 'small', false],
    ]);
    expect(meter.perCall[1]?.costUsd).toBeCloseTo((2000 * 2.5 + 1000 * 10) / 1e6, 12);
  });

  it('a model with no price has cost null, and so do the totals', async () => {
    const meter = createUsageMeter({ prices });
    const model = meter.wrap(createScriptedModel([reply(10, 10), reply(10, 10, 'mystery')]));
    await model.complete(ask('1'));
    expect(meter.totals().costUsd).not.toBeNull();
    await model.complete(ask('2'));
    expect(meter.perCall[1]?.costUsd).toBeNull();
    expect(meter.totals().costUsd).toBeNull();
    expect(meter.totals().promptTokens).toBe(20);
  });

  it('without a price table every cost is null; with no calls the totals are zero', async () => {
    const meter = createUsageMeter();
    expect(meter.totals()).toEqual({ calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
    await meter.wrap(createScriptedModel([reply(1, 1)])).complete(ask('x'));
    expect(meter.totals().costUsd).toBeNull();
  });

  it('a model named like an Object.prototype member is still unpriced', async () => {
    const meter = createUsageMeter({ prices });
    await meter.wrap(createScriptedModel([reply(1, 1, 'constructor')])).complete(ask('x'));
    expect(meter.totals().costUsd).toBeNull();
  });

  it('failed calls are not counted; perCall is a copy', async () => {
    const meter = createUsageMeter();
    const model = meter.wrap(createScriptedModel([{ error: new LlmRateLimited('busy') }]));
    await expect(model.complete(ask('x'))).rejects.toBeInstanceOf(LlmRateLimited);
    expect(meter.totals().calls).toBe(0);
    const copy = meter.perCall as unknown[];
    copy.push('nope');
    expect(meter.perCall).toHaveLength(0);
  });

  it('usage$ emits each call with the totals after it', async () => {
    const meter = createUsageMeter({ prices });
    const model = meter.wrap(createScriptedModel([reply(10, 1), reply(20, 2)]));
    const updates: UsageUpdate[] = [];
    meter.usage$.subscribe((update) => updates.push(update));
    await model.complete(ask('1'));
    await model.complete(ask('2'));
    expect(updates.map((u) => [u.call.call, u.totals.calls, u.totals.promptTokens])).toEqual([
      [1, 1, 10],
      [2, 2, 30],
    ]);
  });

  it('rejects price tables and budgets that cannot be right', () => {
    expect(() =>
      createUsageMeter({ prices: { m: { promptPerMillion: -1, completionPerMillion: 1 } } }),
    ).toThrow(InvalidUsageMeterOptionsError);
    expect(() => createUsageMeter({ budget: { maxTokens: 1.5 } })).toThrow(
      InvalidUsageMeterOptionsError,
    );
  });
});

describe('budgets', () => {
  it('refuses the call after the token budget is spent, overshooting by at most one call', async () => {
    const meter = createUsageMeter({ budget: { maxTokens: 1000 } });
    const inner = createScriptedModel(Array.from({ length: 10 }, () => reply(300, 100)));
    const model = meter.wrap(inner);
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      await model.complete(ask(`step ${i}`)).catch((error: unknown) => {
        refused = error;
      });
    }
    expect(refused).toBeInstanceOf(LlmBudgetExceeded);
    expect(String(refused)).toMatch(/token budget spent: 1200 tokens in 3 calls, budget 1000/);
    // 400 tokens a call: after 2 calls (800) a third is allowed and crosses; the fourth is refused.
    expect(meter.totals().calls).toBe(3);
    const tokens = meter.totals().promptTokens + meter.totals().completionTokens;
    expect(tokens - 1000).toBeLessThanOrEqual(400);
    // The refused call never reached the model.
    expect(inner.requests).toHaveLength(3);
    await expect(model.complete(ask('again'))).rejects.toBeInstanceOf(LlmBudgetExceeded);
  });

  it('overshoot is at most one call whatever the call sizes', async () => {
    for (const sizes of [
      [1, 1, 1, 5000, 1],
      [999, 1, 1],
      [1000, 1],
      [10, 20, 30, 40, 50, 60, 70, 80],
    ]) {
      const meter = createUsageMeter({ budget: { maxTokens: 1000 } });
      const model = meter.wrap(createScriptedModel(sizes.map((n) => reply(n, 0))));
      for (const _ of sizes) await model.complete(ask('x')).catch(() => undefined);
      const spent = meter.totals().promptTokens;
      const last = meter.perCall.at(-1)?.promptTokens ?? 0;
      // Before the last counted call the budget was not yet spent.
      expect(spent - last).toBeLessThan(1000);
    }
  });

  it('refuses once the cost budget is spent', async () => {
    const meter = createUsageMeter({ prices, budget: { maxCostUsd: 0.02 } });
    // 1000 prompt + 1000 completion on big = $0.0125 a call.
    const model = meter.wrap(
      createScriptedModel([reply(1000, 1000, 'big'), reply(1000, 1000, 'big'), reply(1, 1, 'big')]),
    );
    await model.complete(ask('1'));
    await model.complete(ask('2'));
    await expect(model.complete(ask('3'))).rejects.toThrow(/cost budget spent/);
  });

  it('a cost budget with an unpriced model refuses further calls rather than guess', async () => {
    const meter = createUsageMeter({ prices, budget: { maxCostUsd: 100 } });
    const model = meter.wrap(createScriptedModel([reply(1, 1, 'mystery'), reply(1, 1)]));
    await model.complete(ask('1'));
    await expect(model.complete(ask('2'))).rejects.toThrow(
      /cannot be enforced: no price for mystery/,
    );
  });

  it('refuses a stream at subscription once spent', async () => {
    const meter = createUsageMeter({ budget: { maxTokens: 10 } });
    const inner = createScriptedModel([reply(10, 5), reply(1, 1)]);
    const model = meter.wrap(inner);
    await lastValueFrom(model.stream(ask('1')));
    await expect(lastValueFrom(model.stream(ask('2')))).rejects.toBeInstanceOf(LlmBudgetExceeded);
    expect(inner.remaining).toBe(1);
  });
});

describe('streams', () => {
  it('count usage from the stream, once, before done reaches the consumer', async () => {
    const meter = createUsageMeter({ prices });
    const model = meter.wrap(createScriptedModel([reply(100, 50)]));
    const seenAtDone: number[] = [];
    await lastValueFrom(
      model.stream(ask('s')).pipe(
        tap((delta) => {
          if (delta.type === 'done') seenAtDone.push(meter.totals().calls);
        }),
        toArray(),
      ),
    );
    expect(seenAtDone).toEqual([1]);
    expect(meter.totals()).toMatchObject({ calls: 1, promptTokens: 100, completionTokens: 50 });
    expect(meter.perCall[0]?.streamed).toBe(true);
    expect(meter.totals().costUsd).toBeCloseTo((100 * 0.15 + 50 * 0.6) / 1e6, 12);
  });

  it('a stream cut after its usage delta is still counted', async () => {
    const meter = createUsageMeter();
    const model = meter.wrap(
      createScriptedModel([{ text: '', usage: { promptTokens: 9, completionTokens: 3 } }]),
    );
    // Empty text: the stream is usage then done; take(1) stops right after usage.
    const first = await lastValueFrom(model.stream({ ...ask('s'), model: 'asked' }).pipe(take(1)));
    expect(first.type).toBe('usage');
    expect(meter.totals()).toMatchObject({ calls: 1, promptTokens: 9, completionTokens: 3 });
    expect(meter.perCall[0]?.model).toBe('asked');
  });
});
