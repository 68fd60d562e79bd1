/**
 * Entry point of the `nerdloop` binary. It sets `process.exitCode` and lets
 * Node exit by itself: `process.exit()` could cut off output still queued
 * for a pipe, such as the tail of `demo --json`.
 */
import { CommanderError } from 'commander';
import { ExitCode } from './errors.js';
import { buildCli } from './index.js';

// A reader that leaves early (`nerdloop demo --json | head`) is not our failure;
// later writes go nowhere and the run still ends and shuts down cleanly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
});

try {
  await buildCli().exitOverride().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed the message (or the help) it stands for.
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(
      `nerdloop: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = ExitCode.failed;
  }
}
