/** Waiting for things to happen, and for processes a test started to end. */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { vi } from 'vitest';
import { afterTest, type Defer } from './cleanup.js';

/**
 * Polls `check` every 20 ms until it holds, for at most 15 s: less than the
 * test timeout, so a wait that never ends fails naming `what` it waited for.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`still waiting for ${what}`);
    },
    { timeout: 15_000, interval: 20 },
  );
}

/**
 * Whether `pid` still runs. A zombie (exited, not yet reaped) counts as gone:
 * when the shell that started it was killed too, it is reparented to PID 1,
 * which may reap it late, and `kill(pid, 0)` succeeds on it until then.
 */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ESRCH') return false;
  }
  try {
    // /proc/<pid>/stat: `pid (comm) state …`; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No procfs (not Linux), or the entry just went away: trust kill(pid, 0).
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
};

export type Sleeper = {
  /** The `run_command` command line that starts it, from the workspace root. */
  readonly command: string;
  /**
   * Waits until it has started and returns its pid. Should the test leave it
   * running (a failed assertion), it is killed when the test finishes.
   */
  readonly started: () => Promise<number>;
};

/** Writes `sleep.js` into `root`: a script that writes its pid to `sleep.pid`, then sleeps a minute. */
export async function writeSleeper(root: string, defer: Defer = afterTest): Promise<Sleeper> {
  await writeFile(
    join(root, 'sleep.js'),
    [
      "import { writeFileSync } from 'node:fs';",
      "writeFileSync('sleep.pid', String(process.pid));",
      'setTimeout(() => {}, 60_000);',
      '',
    ].join('\n'),
  );
  return {
    command: 'node sleep.js',
    started: async () => {
      let pid = 0;
      await eventually(async () => {
        pid = Number(await readFile(join(root, 'sleep.pid'), 'utf8').catch(() => '0'));
        return pid > 0;
      }, 'the command to start');
      defer(() => {
        if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      });
      return pid;
    },
  };
}
