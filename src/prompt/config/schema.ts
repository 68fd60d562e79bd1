/** AgentConfig and the config files it is made from, as zod schemas. */
import { z } from 'zod';
import { approvalPolicySchema, sandboxModeSchema } from '../../store/index.js';

/** Tokens of conversation a persistent agent carries into its next task (`historyBudget`). */
export const DEFAULT_HISTORY_BUDGET = 24_000;
/**
 * The smallest `historyBudget` a config may set: below it there is no room
 * for both a summary and the latest task, so compression would keep nothing
 * of use.
 */
export const MIN_HISTORY_BUDGET = 256;

const limits = {
  maxTurns: z.number().int().positive(),
  maxToolCalls: z.number().int().nonnegative(),
  toolTimeoutMs: z.number().int().positive(),
  promptBudget: z.number().int().positive(),
  tokenBudget: z.number().int().positive(),
  historyBudget: z.number().int().min(MIN_HISTORY_BUDGET),
  temperature: z.number().min(0).max(2),
  model: z.string().min(1),
  sandbox: sandboxModeSchema,
  approval: approvalPolicySchema,
};

/** One layer of settings: every field optional, unknown fields refused (typos surface). */
export const configLayerSchema = z.strictObject(limits).partial();
export type ConfigLayer = z.infer<typeof configLayerSchema>;

/** A config file: defaults for every agent, then per persona (`coder`, not `/coder`). */
export const configFileSchema = z.strictObject({
  defaults: configLayerSchema.default({}),
  personas: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), configLayerSchema).default({}),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Everything an agent runs with for one task. */
export const agentConfigSchema = z.object({
  persona: z.string().min(1),
  /** The tools the routing rules allow this intent (`intent_tool`), sorted. */
  tools: z.array(z.string()),
  maxTurns: limits.maxTurns,
  maxToolCalls: limits.maxToolCalls,
  toolTimeoutMs: limits.toolTimeoutMs,
  promptBudget: limits.promptBudget,
  tokenBudget: limits.tokenBudget,
  /**
   * Tokens of conversation carried from one task to the next; past it the
   * Executor compresses the oldest turns. Defaulted here so a config built
   * without the field (a factory that predates it) still parses.
   */
  historyBudget: limits.historyBudget.default(DEFAULT_HISTORY_BUDGET),
  temperature: limits.temperature,
  model: limits.model,
  policy: z.object({ sandbox: limits.sandbox, approval: limits.approval }),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
