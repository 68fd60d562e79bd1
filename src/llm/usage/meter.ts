/**
 * Counts the tokens and cost of every call through the models it wraps, and
 * refuses calls once a budget is spent.
 *
 * The budget is checked before each call against what earlier calls used: a
 * call's size is only known once it answered. So a run overshoots its budget
 * by at most one call (the one that crossed it), or, when calls run
 * concurrently, by at most the calls that were already in flight.
 */
import { defer, finalize, type Observable, Subject, tap, throwError } from 'rxjs';
import { z } from 'zod';
import { LlmBudgetExceeded } from '../errors.js';
import type { ChatModel, CompletionRequest, StreamDelta, Usage } from '../port.js';
import { InvalidUsageMeterOptionsError } from './errors.js';
import { costOf, modelPriceSchema, type PriceTable, priceFor } from './prices.js';

export type UsageBudget = {
  /** Prompt plus completion tokens; calls are refused once the total reaches it. */
  readonly maxTokens?: number;
  /** Calls are refused once the cost reaches it, or once a call's cost is unknown. */
  readonly maxCostUsd?: number;
};

export type UsageMeterOptions = {
  readonly prices?: PriceTable;
  readonly budget?: UsageBudget;
};

export type CallUsage = {
  /** 1-based, in the order calls finished. */
  readonly call: number;
  /** The wrapped ChatModel's id. */
  readonly modelId: string;
  /** The model that answered; the requested one when a stream ended before `done`. */
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** `null` when the price table has no price for the model. */
  readonly costUsd: number | null;
  readonly streamed: boolean;
};

export type UsageTotals = {
  readonly calls: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** `null` as soon as one call's cost is unknown: a partial sum would understate it. */
  readonly costUsd: number | null;
};

export type UsageUpdate = { readonly call: CallUsage; readonly totals: UsageTotals };

export interface UsageMeter {
  /** The same model, counted; every model wrapped by one meter shares its totals and budget. */
  wrap(model: ChatModel): ChatModel;
  totals(): UsageTotals;
  /** Every counted call, in order. A copy: the meter's own list cannot be changed through it. */
  readonly perCall: readonly CallUsage[];
  /** Hot: one update per counted call after subscribing. */
  readonly usage$: Observable<UsageUpdate>;
}

const optionsSchema = z.object({
  prices: z.record(z.string(), modelPriceSchema).optional(),
  budget: z
    .object({
      maxTokens: z.number().int().nonnegative().optional(),
      maxCostUsd: z.number().nonnegative().finite().optional(),
    })
    .optional(),
});

/** One finished call, as the wrapper saw it. */
type Answered = {
  readonly model: ChatModel;
  readonly request: CompletionRequest;
  /** The completion's `model`; unknown when a stream ended before `done`. */
  readonly answeredBy: string | undefined;
  readonly usage: Usage;
  readonly streamed: boolean;
};

const usd = (amount: number) => `$${amount.toFixed(6)}`;

export function createUsageMeter(options: UsageMeterOptions = {}): UsageMeter {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidUsageMeterOptionsError(
      `invalid usage meter options: ${z.prettifyError(parsed.error)}`,
    );
  }
  const prices: PriceTable = options.prices ?? {};
  const budget: UsageBudget = options.budget ?? {};
  const calls: CallUsage[] = [];
  const updates = new Subject<UsageUpdate>();
  let totals: UsageTotals = { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };

  function count({ model, request, answeredBy, usage, streamed }: Answered): void {
    const names = [answeredBy, request.model, model.id];
    const price = priceFor(prices, names);
    const call: CallUsage = {
      call: calls.length + 1,
      modelId: model.id,
      model: answeredBy ?? request.model ?? model.id,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      costUsd: price === undefined ? null : costOf(usage, price),
      streamed,
    };
    calls.push(call);
    totals = {
      calls: totals.calls + 1,
      promptTokens: totals.promptTokens + call.promptTokens,
      completionTokens: totals.completionTokens + call.completionTokens,
      costUsd:
        totals.costUsd === null || call.costUsd === null ? null : totals.costUsd + call.costUsd,
    };
    updates.next({ call, totals });
  }

  function refusal(): LlmBudgetExceeded | null {
    const tokens = totals.promptTokens + totals.completionTokens;
    const spent = `${tokens} tokens in ${totals.calls} calls`;
    if (budget.maxTokens !== undefined && tokens >= budget.maxTokens) {
      return new LlmBudgetExceeded(
        `token budget spent: ${spent}, budget ${budget.maxTokens} tokens`,
        { details: { ...totals, maxTokens: budget.maxTokens } },
      );
    }
    if (budget.maxCostUsd === undefined) return null;
    if (totals.costUsd === null) {
      const unpriced = [...new Set(calls.filter((c) => c.costUsd === null).map((c) => c.model))];
      return new LlmBudgetExceeded(
        `cost budget of ${usd(budget.maxCostUsd)} cannot be enforced: no price for ${unpriced.join(', ')}`,
        { details: { ...totals, maxCostUsd: budget.maxCostUsd, unpriced } },
      );
    }
    if (totals.costUsd >= budget.maxCostUsd) {
      return new LlmBudgetExceeded(
        `cost budget spent: ${usd(totals.costUsd)} for ${spent}, budget ${usd(budget.maxCostUsd)}`,
        { details: { ...totals, maxCostUsd: budget.maxCostUsd } },
      );
    }
    return null;
  }

  function wrap(model: ChatModel): ChatModel {
    return {
      id: model.id,
      async complete(request) {
        const refused = refusal();
        if (refused !== null) throw refused;
        const completion = await model.complete(request);
        const { usage, model: answeredBy } = completion;
        count({ model, request, answeredBy, usage, streamed: false });
        return completion;
      },
      stream: (request) => countedStream(model, request),
    };
  }

  function countedStream(model: ChatModel, request: CompletionRequest): Observable<StreamDelta> {
    return defer(() => {
      const refused = refusal();
      if (refused !== null) return throwError(() => refused);
      let announced: Usage | undefined;
      let counted = false;
      return model.stream(request).pipe(
        tap((delta) => {
          if (delta.type === 'usage') announced = delta.usage;
          if (delta.type !== 'done') return;
          counted = true;
          const { usage, model: answeredBy } = delta.completion;
          count({ model, request, answeredBy, usage, streamed: true });
        }),
        // A stream cut after `usage` but before `done` was still paid for.
        finalize(() => {
          if (counted || announced === undefined) return;
          count({ model, request, answeredBy: undefined, usage: announced, streamed: true });
        }),
      );
    });
  }

  return {
    wrap,
    totals: () => totals,
    get perCall() {
      return [...calls];
    },
    usage$: updates.asObservable(),
  };
}
