export {
  canonicalDigest,
  canonicalJsonText,
  type JsonValue,
  toCanonicalJson,
} from './canonical-json.js';
export {
  type Clock,
  type IdGenerator,
  randomIds,
  sequentialIds,
  systemClock,
} from './clock.js';
export { type Deadline, deadline } from './deadline.js';
export {
  describeIssues,
  describeUnknownError,
  type IssueLike,
  issueLines,
  NerdloopError,
} from './errors.js';
export { errnoCode, isWithin } from './fs.js';
export {
  type ChunkReader,
  chunkReader,
  READ_IN_PLACE_BYTES,
  readSmallFile,
  withOpenFile,
} from './read-file.js';
export { type ToolResultLike, toolResultText } from './tool-result-text.js';
