import { NerdloopError } from '../../core/index.js';

/** A config file that is not YAML, or does not fit the schema; names the file and the field. */
export class ConfigFileError extends NerdloopError {
  readonly code = 'config_invalid_file';
}

/** The kernel routed the intent to no persona: the routing rules are broken or not loaded. */
export class UnroutedIntentError extends NerdloopError {
  readonly code = 'config_unrouted_intent';
}
