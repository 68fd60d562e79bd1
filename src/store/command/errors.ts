/**
 * Typed failures of `run_command`. A command that runs and fails is not an
 * error (it is a result with its exit code); these are the cases where there
 * is nothing to run, so the gate can turn them into a tool error for the model.
 */
import { NerdloopError } from '../../core/index.js';

export abstract class CommandError extends NerdloopError {}

/** argv[0] was not found on PATH (or at the given path): ENOENT from spawn. */
export class CommandNotFoundError extends CommandError {
  readonly code = 'store_command_not_found';
}

/** The OS refused to start the program for another reason (EACCES, ENOEXEC, ...). */
export class CommandSpawnError extends CommandError {
  readonly code = 'store_command_spawn_failed';
}

/** `cwd` is inside the workspace but is not an existing directory. */
export class CommandCwdError extends CommandError {
  readonly code = 'store_command_invalid_cwd';
}

/**
 * Arguments that the schema rejects, seen by `run` when a caller skipped the
 * schema (the gate parses first; embedding apps may not).
 */
export class CommandArgsError extends CommandError {
  readonly code = 'store_command_invalid_args';
}
