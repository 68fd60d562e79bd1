/** Cassette file errors. A miss is the port's LlmCassetteMiss; these are about the file itself. */
import { LlmError } from '../errors.js';

/** The cassette file exists but cannot be read, is not JSON, or is not a cassette. */
export class LlmCassetteLoadError extends LlmError {
  readonly code = 'llm_cassette_load';
  readonly retryable = false;
}

/** Recording could not write the cassette file. */
export class LlmCassetteWriteError extends LlmError {
  readonly code = 'llm_cassette_write';
  readonly retryable = false;
}
