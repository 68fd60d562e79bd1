/**
 * The LLM module's public surface: the ChatModel port, its typed errors, the
 * adapters (openai, scripted, offline), the wrappers (record/replay, usage),
 * the local OpenAI-compatible test server, and the default model choice.
 * See docs/llm.md.
 *
 * Renamed here so that one import of `nerdloop` can hold them all: the test
 * server's `Script` / `ScriptStep` are `OpenAiServerScript` /
 * `OpenAiServerScriptStep` (the scripted model's `Script` / `ScriptStep` keep
 * their names).
 */
export * from './errors.js';
export {
  createOfflineModel,
  InvalidOfflineOptionsError,
  OFFLINE_DISCLAIMER,
  OFFLINE_MODEL_ID,
  type OfflineModelOptions,
  offlineOptionsSchema,
  PERSONAS,
  type Persona,
  REAL_MODEL_HINT,
  TOOL,
  type ToolName,
} from './offline/index.js';
export {
  backoffMs,
  createOpenAiModel,
  DEFAULT_OPENAI_MODEL,
  DEFAULT_RETRY,
  type Env,
  fromEnv,
  InvalidOpenAiOptionsError,
  type OpenAiModelOptions,
  openAiOptionsFromEnv,
  parseRetryAfter,
  type RetryOptions,
  type Sleep,
} from './openai/index.js';
export * from './port.js';
export {
  CASSETTE_VERSION,
  type CassetteEntry,
  type CassetteMode,
  type CassetteOptions,
  canonicalRequest,
  type JsonValue,
  LlmCassetteLoadError,
  LlmCassetteWriteError,
  readCassette,
  requestKey,
  withCassette,
} from './replay/index.js';
export {
  completionDeltas,
  createScriptedModel,
  type RawArguments,
  type Script,
  type ScriptErrorStep,
  type ScriptedModel,
  type ScriptedModelOptions,
  type ScriptFunctionStep,
  type ScriptReply,
  type ScriptStep,
  type ScriptToolCall,
} from './scripted/index.js';
export {
  createModelFromEnv,
  type ModelFromEnvOptions,
  type ModelSelection,
  type ModelSource,
  OPENAI_API_URL,
  PLACEHOLDER_API_KEY,
} from './select.js';
export {
  type HangUp,
  type OpenAiServer,
  type OpenAiServerOptions,
  type RecordedRequest,
  type Script as OpenAiServerScript,
  type ScriptedFault,
  type ScriptedFinishReason,
  type ScriptedReply,
  type ScriptedToolCall,
  type ScriptStep as OpenAiServerScriptStep,
  startOpenAiServer,
} from './testing/openai-server.js';
export * from './usage/index.js';
