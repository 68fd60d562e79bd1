/** The ChatModel adapter for OpenAI and OpenAI-compatible servers, over the official SDK. */
export { type Env, fromEnv, openAiOptionsFromEnv } from './env.js';
export { createOpenAiModel } from './model.js';
export {
  DEFAULT_OPENAI_MODEL,
  InvalidOpenAiOptionsError,
  OPENAI_API_URL,
  type OpenAiModelOptions,
} from './options.js';
export {
  backoffMs,
  DEFAULT_RETRY,
  parseRetryAfter,
  type RetryOptions,
  type Sleep,
} from './retry.js';
