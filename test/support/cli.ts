/** Runs the `nerdloop` CLI in-process with captured output and exit code. */
import { CommanderError } from 'commander';
import { buildCli } from '../../src/cli/index.js';

export async function runCli(
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const program = buildCli()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.push(text),
      writeErr: (text) => stderr.push(text),
    });
  let exitCode = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    exitCode = error.exitCode;
  }
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}
