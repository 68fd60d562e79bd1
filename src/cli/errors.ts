/**
 * CLI failures and the exit codes they map to. Every error the commands raise
 * on purpose is a NerdloopError; `exitCodeOf` decides what the shell sees.
 */
import { NerdloopError } from '../core/index.js';
import { InspectorPortInUseError, ManifestError } from '../stately/index.js';

export const ExitCode = {
  ok: 0,
  /** The demo ran but a task did not end as planned, or something unexpected failed. */
  failed: 1,
  /** Bad usage or input: unknown option or machine, invalid flag value or manifest. */
  usage: 2,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export abstract class CliError extends NerdloopError {
  abstract readonly exitCode: number;
}

export class UnknownMachineError extends CliError {
  readonly code = 'unknown_machine';
  readonly exitCode = ExitCode.usage;
}

export class WorkspaceError extends CliError {
  readonly code = 'workspace_invalid';
  readonly exitCode = ExitCode.usage;
}

export class DemoIncompleteError extends CliError {
  readonly code = 'demo_incomplete';
  readonly exitCode = ExitCode.failed;
}

export class DemoInterruptedError extends CliError {
  readonly code = 'demo_interrupted';
  readonly exitCode = ExitCode.interrupted;
}

export function exitCodeOf(error: NerdloopError): number {
  if (error instanceof CliError) return error.exitCode;
  // Both are configuration the user can fix, like a bad flag.
  if (error instanceof ManifestError || error instanceof InspectorPortInUseError) {
    return ExitCode.usage;
  }
  return ExitCode.failed;
}

/** `nerdloop run` could not start its agent (a spawn refused, the runtime gone). */
export class RunNotStartedError extends CliError {
  readonly code = 'run_not_started';
  readonly exitCode = ExitCode.failed;
}

/**
 * `nerdloop run` was interrupted (Ctrl-C) before its agent was spawned: the
 * task never ran, so there is no result to print.
 */
export class RunInterruptedError extends CliError {
  readonly code = 'run_interrupted';
  readonly exitCode = ExitCode.interrupted;
}
