/**
 * Record/replay of LLM calls: `withCassette` wraps any ChatModel and keys each
 * call by the sha256 of its canonical request.
 */
export {
  canonicalJsonText,
  canonicalRequest,
  type JsonValue,
  requestKey,
  toCanonicalJson,
} from './canonical.js';
export { LlmCassetteLoadError, LlmCassetteWriteError } from './errors.js';
export { CASSETTE_VERSION, type CassetteEntry, readCassette } from './file.js';
export { type CassetteMode, type CassetteOptions, withCassette } from './with-cassette.js';
