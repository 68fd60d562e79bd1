/**
 * Crash tests of atomic writes: a child process writes a file and stops just
 * before the rename, then the test kills it and checks what is on disk.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Runs `source` (an ES module, with tsx) in a child with `env` added; resolves
 * once it prints "ready", then kills it. Printing "renamed" first is a failure:
 * the rename should have been blocked.
 */
export async function runWriterUntilReady(
  source: string,
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await waitForOutput(child, 'ready', 15_000);
  } finally {
    await killAndReap(child);
  }
}

function waitForOutput(child: ChildProcess, marker: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    function fail(why: string) {
      clearTimeout(timer);
      reject(new Error(`child writer ${why}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('renamed')) fail('renamed the file although it should be blocked');
      else if (stdout.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

function killAndReap(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
