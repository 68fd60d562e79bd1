/**
 * The scripted ChatModel for tests, and the helpers other test adapters share:
 * replaying a completion as stream deltas, describing a request, honouring
 * an AbortSignal.
 */
export { cancelledError, raceAbort, throwIfAborted } from '../abort.js';
export { completionDeltas, splitText } from './deltas.js';
export { DEFAULT_DESCRIBE_CHARS, describeRequest } from './describe.js';
export { createScriptedModel, type ScriptedModel, type ScriptedModelOptions } from './model.js';
export type {
  RawArguments,
  Script,
  ScriptErrorStep,
  ScriptFunctionStep,
  ScriptReply,
  ScriptStep,
  ScriptToolCall,
} from './script.js';
