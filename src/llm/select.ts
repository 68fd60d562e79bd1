/**
 * nerdloop's default model choice: a real endpoint when one is configured,
 * else the offline model, so a fresh machine with no network still runs.
 *
 * An endpoint is configured when `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set
 * (blank counts as unset). `OPENAI_BASE_URL` alone means a local server
 * (Ollama, llama.cpp's `llama-server`, vLLM, LM Studio) that needs no key:
 * the adapter gets `PLACEHOLDER_API_KEY`, because the SDK insists on one.
 * `NERDLOOP_MODEL` names the model to ask for.
 */
import { createOfflineModel, type OfflineModelOptions } from './offline/index.js';
import {
  createOpenAiModel,
  DEFAULT_OPENAI_MODEL,
  type Env,
  OPENAI_API_URL,
  type OpenAiModelOptions,
} from './openai/index.js';
import type { ChatModel } from './port.js';

/** Sent as the API key when only `OPENAI_BASE_URL` is set; servers without auth ignore it. */
export const PLACEHOLDER_API_KEY = 'sk-no-key-required';

export { OPENAI_API_URL };

export type ModelSource = 'openai' | 'offline';

export type ModelSelection = {
  readonly model: ChatModel;
  readonly source: ModelSource;
  /** Why this model was chosen, for a log line or `--verbose`. Never contains the API key. */
  readonly reason: string;
};

export type ModelFromEnvOptions = {
  /** Where to read the variables; `process.env` only when omitted. */
  readonly env?: Env;
  /** Options for the offline model, when it is chosen. */
  readonly offline?: OfflineModelOptions;
  /**
   * Options for the openai adapter; they win over the environment. A
   * non-blank `baseURL` or `apiKey` here also counts as a configured endpoint.
   */
  readonly openai?: Partial<OpenAiModelOptions>;
};

const BASE_URL = 'OPENAI_BASE_URL';
const API_KEY = 'OPENAI_API_KEY';
const MODEL = 'NERDLOOP_MODEL';

/** A setting's value and where it came from, for the reason. */
type Found = { readonly value: string; readonly from: string } | undefined;

const nonBlank = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

function find(explicit: string | undefined, option: string, env: Env, variable: string): Found {
  const given = nonBlank(explicit);
  if (given !== undefined) return { value: given, from: `options.openai.${option}` };
  const read = nonBlank(env[variable]);
  return read === undefined ? undefined : { value: read, from: variable };
}

/** The URL as it may be logged: any user name or password in it is masked. */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '***';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Picks the ChatModel nerdloop runs with: the openai adapter when an endpoint is configured, else offline. */
export function createModelFromEnv(options: ModelFromEnvOptions = {}): ModelSelection {
  const env = options.env ?? process.env;
  const openai = options.openai ?? {};
  const baseURL = find(openai.baseURL, 'baseURL', env, BASE_URL);
  const apiKey = find(openai.apiKey, 'apiKey', env, API_KEY);
  const model = find(openai.model, 'model', env, MODEL);

  if (baseURL === undefined && apiKey === undefined) {
    const ignored =
      model === undefined
        ? ''
        : `; ${model.from} (${model.value}) applies only once an endpoint is set`;
    return {
      model: createOfflineModel(options.offline),
      source: 'offline',
      reason: `no ${BASE_URL} or ${API_KEY} set: using the offline model, which calls no LLM${ignored}`,
    };
  }

  // Blank explicit values are dropped so they cannot hide the environment's.
  const explicit: OpenAiModelOptions = {
    ...openai,
    baseURL: baseURL?.value ?? OPENAI_API_URL,
    apiKey: apiKey?.value ?? PLACEHOLDER_API_KEY,
    model: model?.value,
  };
  // Everything the environment could add is already in `explicit`.
  const chosen = createOpenAiModel(explicit);

  const name = model?.value ?? DEFAULT_OPENAI_MODEL;
  const modelPart =
    model === undefined
      ? `model ${name} (the default; set ${MODEL} to choose)`
      : `model ${name} (from ${model.from})`;
  const urlPart =
    baseURL === undefined
      ? `at ${OPENAI_API_URL} (the default; set ${BASE_URL} for another server)`
      : `at ${shownUrl(baseURL.value)} (from ${baseURL.from})`;
  const keyPart =
    apiKey === undefined
      ? `with a placeholder API key, since ${API_KEY} is not set: local servers such as Ollama, ` +
        `llama.cpp and vLLM need none; set ${API_KEY} if yours does`
      : `with the API key from ${apiKey.from}`;
  return {
    model: chosen,
    source: 'openai',
    reason: `OpenAI-compatible endpoint configured: ${modelPart} ${urlPart}, ${keyPart}`,
  };
}
