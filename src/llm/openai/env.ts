/** Options from the environment: OPENAI_BASE_URL, OPENAI_API_KEY, NERDLOOP_MODEL. */
import type { ChatModel } from '../port.js';
import { createOpenAiModel } from './model.js';
import type { OpenAiModelOptions } from './options.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Empty variables count as unset, as a shell's `VAR=` usually means. */
export function openAiOptionsFromEnv(env: Env = process.env): OpenAiModelOptions {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const baseURL = read('OPENAI_BASE_URL');
  const apiKey = read('OPENAI_API_KEY');
  const model = read('NERDLOOP_MODEL');
  return {
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(model === undefined ? {} : { model }),
  };
}

/** A model configured from `env` (default `process.env`); explicit options win over it. */
export function fromEnv(options: OpenAiModelOptions & { readonly env?: Env } = {}): ChatModel {
  const { env, ...explicit } = options;
  const given = Object.fromEntries(
    Object.entries(explicit).filter(([, value]) => value !== undefined),
  ) as OpenAiModelOptions;
  return createOpenAiModel({ ...openAiOptionsFromEnv(env), ...given });
}
