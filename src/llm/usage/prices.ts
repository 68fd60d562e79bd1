/** Prices in USD per million tokens, and what a call cost under them. */
import { z } from 'zod';
import type { Usage } from '../port.js';

export const modelPriceSchema = z.object({
  promptPerMillion: z.number().nonnegative().finite(),
  completionPerMillion: z.number().nonnegative().finite(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Keyed by model name exactly as the server reports it (`gpt-4o-mini-2024-07-18`) or as requested. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * The price of the first name the table knows. Exact names only: prefix
 * matching would price `gpt-4o-mini` as `gpt-4o`, silently and wrongly.
 */
export function priceFor(
  table: PriceTable,
  names: readonly (string | undefined)[],
): ModelPrice | undefined {
  for (const name of names) {
    // hasOwn: a model called `constructor` must not find Object.prototype's.
    if (name !== undefined && Object.hasOwn(table, name)) return table[name];
  }
  return undefined;
}

export function costOf(usage: Usage, price: ModelPrice): number {
  return (
    (usage.promptTokens * price.promptPerMillion +
      usage.completionTokens * price.completionPerMillion) /
    1_000_000
  );
}
