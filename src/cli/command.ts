/**
 * The commander plumbing every nerdloop command shares: usage errors exit 2,
 * output goes through the program's `configureOutput` (so tests can capture
 * it in-process), and NerdloopErrors become commander errors with our codes.
 */
import { Command } from 'commander';
import { NerdloopError } from '../core/index.js';
import { ExitCode, exitCodeOf } from './errors.js';

export class NerdloopCommand extends Command {
  override createCommand(name?: string): NerdloopCommand {
    return new NerdloopCommand(name);
  }

  /**
   * Commander exits 1 on usage errors (and passes 1 explicitly for invalid option
   * values); nerdloop keeps 1 for "ran and failed", so only `nerdloop.*` errors
   * choose their own code.
   */
  override error(message: string, options?: { code?: string; exitCode?: number }): never {
    const ours = options?.code?.startsWith('nerdloop.') === true;
    return super.error(message, {
      ...options,
      exitCode: ours ? (options?.exitCode ?? ExitCode.failed) : ExitCode.usage,
    });
  }
}

export type CliOutput = {
  out(text: string): void;
  err(text: string): void;
};

export function outputOf(command: Command): CliOutput {
  const config = command.configureOutput();
  return {
    out: (text) => {
      if (config.writeOut) config.writeOut(text);
      else process.stdout.write(text);
    },
    err: (text) => {
      if (config.writeErr) config.writeErr(text);
      else process.stderr.write(text);
    },
  };
}

/**
 * Runs a command body; a NerdloopError is reported the way commander reports
 * its own errors (message on stderr, then exit or exitOverride), others propagate.
 */
export async function runCommand(command: Command, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof NerdloopError)) throw error;
    command.error(`error: ${error.message}`, {
      exitCode: exitCodeOf(error),
      code: `nerdloop.${error.code}`,
    });
  }
}
