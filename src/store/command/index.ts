/**
 * `run_command`: commands in the workspace, each in its own process group
 * (killed whole on timeout or abort), with bounded output and an environment
 * scrubbed of secrets.
 */
export {
  type ChildEnvOptions,
  childEnv,
  ENV_NAME_PATTERN,
  isSecretEnvName,
  SECRET_ENV_NAMES,
  SECRET_ENV_PREFIXES,
  SECRET_ENV_SUBSTRINGS,
  SECRET_ENV_WORDS,
} from './env.js';
export {
  CommandArgsError,
  CommandCwdError,
  CommandError,
  CommandNotFoundError,
  CommandSpawnError,
} from './errors.js';
export { type CapturedOutput, OutputCapture, omittedMarker } from './output.js';
export {
  DEFAULT_PROCESS_TIMING,
  type ProcessOutcome,
  type ProcessSpec,
  type ProcessTiming,
  runProcess,
} from './process.js';
export { commandLine, shellQuote } from './quote.js';
export {
  createRunCommandTool,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  MAX_OUTPUT_BYTES,
  MAX_TIMEOUT_MS,
  type RunCommandArgs,
  type RunCommandResult,
  type RunCommandToolOptions,
  runCommandParameters,
  runCommandResult,
  runCommandTool,
  SHELL,
} from './tool.js';
