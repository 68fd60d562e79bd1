/**
 * ConfigFactory: the AgentConfig for one intent, from the kernel's routing
 * (persona, tools) and the config layers (shipped defaults, then the user's
 * file; per layer, `defaults` then the persona's section).
 */

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describeIssues } from '../../core/index.js';
import { type Kernel, pattern, show, stringValue } from '../../kernel/index.js';
import { ConfigFileError, UnroutedIntentError } from './errors.js';
import {
  type AgentConfig,
  agentConfigSchema,
  type ConfigFile,
  type ConfigLayer,
  configFileSchema,
} from './schema.js';

export const SHIPPED_DEFAULTS_FILE = fileURLToPath(new URL('./defaults.yaml', import.meta.url));

/** Reads and validates a config file; a missing optional file is an empty layer. */
export async function loadConfigFile(
  path: string,
  options: { optional?: boolean } = {},
): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.optional && (error as { code?: string }).code === 'ENOENT')
      return configFileSchema.parse({});
    throw new ConfigFileError(`cannot read config file ${path}`, { cause: error });
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigFileError(`${path}: not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = configFileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error.issues, '(file)');
    throw new ConfigFileError(`${path}: ${problems}`, { details: { file: path } });
  }
  return parsed.data;
}

export type ConfigFactory = {
  /** The config for the intent `intentId`, which the kernel must hold as a `user_intent`. */
  configFor(intentId: string): AgentConfig;
};

/**
 * The settings `layers` give `persona`, merged as `configFor` merges them
 * (lowest layer first; per layer, `defaults` then the persona's section),
 * without an intent to route: what an agent of that persona will run with,
 * known before its first task (its `historyBudget`, say). A field no layer
 * sets is absent.
 */
export function settingsFor(layers: readonly ConfigFile[], persona: string): ConfigLayer {
  const merged: ConfigLayer = {};
  for (const layer of layers)
    Object.assign(
      merged,
      layer.defaults,
      // Own keys only: a persona named like an Object.prototype member has no section.
      Object.hasOwn(layer.personas, persona) ? layer.personas[persona] : {},
    );
  return merged;
}

/** `layers` in order of precedence, lowest first (shipped defaults, then the user's file). */
export function createConfigFactory(kernel: Kernel, layers: readonly ConfigFile[]): ConfigFactory {
  return {
    configFor(intentId) {
      const id = stringValue(intentId);
      const personas = kernel.query(pattern('persona', [id, 'P'])).flatMap((answer) => {
        const value = answer.bindings.P;
        return value?.type === 'name' ? [value.value.replace(/^\//, '')] : [];
      });
      const persona = [...new Set(personas)].sort()[0];
      if (persona === undefined) {
        throw new UnroutedIntentError(
          `no persona was derived for intent ${show(id)}: is user_intent(${show(id)}, …) asserted and intent_routing.mg loaded?`,
        );
      }
      const tools = [
        ...new Set(
          kernel
            .query(pattern('intent_tool', [id, 'T']))
            .flatMap((answer) =>
              answer.bindings.T ? [show(answer.bindings.T).replace(/^\//, '')] : [],
            ),
        ),
      ].sort();
      const merged = settingsFor(layers, persona);
      return agentConfigSchema.parse({
        persona,
        tools,
        maxTurns: merged.maxTurns,
        maxToolCalls: merged.maxToolCalls,
        toolTimeoutMs: merged.toolTimeoutMs,
        promptBudget: merged.promptBudget,
        tokenBudget: merged.tokenBudget,
        historyBudget: merged.historyBudget,
        temperature: merged.temperature,
        model: merged.model,
        policy: { sandbox: merged.sandbox, approval: merged.approval },
      });
    },
  };
}

/** The shipped defaults plus, when it exists, the user's `.nerdloop/config.yaml`. */
export async function loadConfigLayers(userConfigPath?: string): Promise<ConfigFile[]> {
  const shipped = await loadConfigFile(SHIPPED_DEFAULTS_FILE);
  if (!userConfigPath) return [shipped];
  return [shipped, await loadConfigFile(userConfigPath, { optional: true })];
}
