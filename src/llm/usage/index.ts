/** Token and cost accounting for LLM calls, with an optional budget that refuses further calls. */
export { InvalidUsageMeterOptionsError } from './errors.js';
export {
  type CallUsage,
  createUsageMeter,
  type UsageBudget,
  type UsageMeter,
  type UsageMeterOptions,
  type UsageTotals,
  type UsageUpdate,
} from './meter.js';
export { costOf, type ModelPrice, modelPriceSchema, type PriceTable, priceFor } from './prices.js';
