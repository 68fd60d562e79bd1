import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NerdloopError } from '../src/core/index.js';
import {
  childEnv,
  commandLine,
  createRunCommandTool,
  isSecretEnvName,
  OutputCapture,
  omittedMarker,
  type RunCommandArgs,
  type RunCommandResult,
  runCommandParameters,
  runCommandTool,
} from '../src/store/command/index.js';
import type { ResolvedPath, ToolContext, Workspace } from '../src/store/tool.js';

const NODE = process.execPath;
const MiB = 1024 * 1024;

class TestPathOutsideError extends NerdloopError {
  readonly code = 'store_path_outside';
}

/** Just enough of a workspace: relative paths under a real root, `..` escapes refused. */
function testWorkspace(root: string): Workspace {
  return {
    root,
    async resolve(path: string): Promise<ResolvedPath> {
      const absolute = resolve(root, path);
      const rel = relative(root, absolute);
      if (isAbsolute(path) || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        throw new TestPathOutsideError(`outside the workspace: ${path}`);
      }
      const exists = await stat(absolute).then(
        () => true,
        () => false,
      );
      return { absolute, relative: rel === '' ? '.' : rel.split(sep).join('/'), exists };
    },
  };
}

let root: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-command-')));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function context(signal: AbortSignal = new AbortController().signal): ToolContext {
  return {
    workspace: testWorkspace(root),
    signal,
    clock: { now: () => Date.now() },
    terms: { persona: 'coder', mode: { sandbox: 'workspace-write', approval: 'never' } },
  };
}

/** Short kill timings so the kill paths finish quickly; correctness never depends on them. */
const fastTool = createRunCommandTool({
  timing: { killGraceMs: 200, lingerMs: 200, finalDeadlineMs: 2_000 },
});

function run(args: RunCommandArgs, signal?: AbortSignal): Promise<RunCommandResult> {
  return fastTool.run(args, context(signal));
}

/** Dead or a zombie (a zombie holds no resources; an init that does not reap leaves them). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  try {
    const status = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return status.slice(status.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitFor(condition: () => boolean, limitMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((done) => setTimeout(done, 25));
  }
  return condition();
}

async function readPid(file: string): Promise<number> {
  const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
  expect(pid).toBeGreaterThan(1);
  return pid;
}

/**
 * Processes still alive at the end of a test are killed, so a failing test
 * does not leak `sleep 300`s. Each pid is also tried as a group: the child
 * leads one, which reaches the `sleep`s whose pids the test never learns.
 */
const spawned: number[] = [];
afterEach(() => {
  for (const pid of spawned.splice(0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

describe('run_command: running', () => {
  it('returns stdout, exit code and timing of a simple command', async () => {
    const result = await run({ command: 'echo hello' });
    expect(result).toMatchObject({
      exitCode: 0,
      signal: null,
      stdout: 'hello\n',
      stderr: '',
      stdoutTruncated: { truncated: false },
      stderrTruncated: { truncated: false },
      timedOut: false,
      cancelled: false,
      abandoned: false,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(runCommandTool.result.parse(result)).toEqual(result);
  });

  it('reports non-zero exit codes and stderr without throwing', async () => {
    const result = await run({ command: 'echo oops >&2; exit 3' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe('oops\n');
    expect(result.stdout).toBe('');
  });

  it('reports the signal that ended a program', async () => {
    const result = await run({ command: ['sh', '-c', 'kill -TERM $$'] });
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    expect(result.timedOut).toBe(false);
  });

  it('passes argv through without a shell: spaces, quotes and $ stay literal', async () => {
    const words = ['a b', "it's", '"q"', '$HOME', '*', '; echo pwned', ''];
    const result = await run({
      command: [NODE, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...words],
    });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(words);
  });

  it('runs a shell string with pipes', async () => {
    const result = await run({ command: "printf 'b\\na\\nc\\n' | sort | tr a-z A-Z" });
    expect(result.stdout).toBe('A\nB\nC\n');
  });

  it('a missing command in a shell string is exit code 127, not an error', async () => {
    const result = await run({ command: 'definitely-not-a-command-nerdloop' });
    expect(result.exitCode).toBe(127);
    expect(result.stderr).not.toBe('');
  });

  it('throws store_command_not_found for an argv[0] that does not exist', async () => {
    await expect(
      run({ command: ['definitely-not-a-command-nerdloop', 'x'] }),
    ).rejects.toMatchObject({ code: 'store_command_not_found' });
  });

  it('throws store_command_spawn_failed for a file that is not executable', async () => {
    await writeFile(join(root, 'not-executable.sh'), 'echo hi\n', { mode: 0o644 });
    await expect(run({ command: ['./not-executable.sh'] })).rejects.toMatchObject({
      code: 'store_command_spawn_failed',
    });
  });
});

describe('run_command: cwd', () => {
  it('runs in a subdirectory of the workspace', async () => {
    await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
    const result = await run({
      command: [NODE, '-e', 'console.log(process.cwd())'],
      cwd: 'sub/deeper',
    });
    expect(result.stdout.trim()).toBe(join(root, 'sub', 'deeper'));
  });

  it('defaults to the workspace root', async () => {
    const result = await run({ command: 'pwd -P' });
    expect(result.stdout.trim()).toBe(root);
  });

  it('refuses a cwd that escapes the workspace, before running anything', async () => {
    const marker = join(root, '..', `escaped-${process.pid}`);
    await expect(run({ command: `touch ${marker}`, cwd: '..' })).rejects.toMatchObject({
      code: 'store_path_outside',
    });
    await expect(run({ command: 'true', cwd: 'sub/../../x' })).rejects.toMatchObject({
      code: 'store_path_outside',
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a cwd that is missing or not a directory', async () => {
    await writeFile(join(root, 'plain.txt'), 'x');
    await expect(run({ command: 'true', cwd: 'missing' })).rejects.toMatchObject({
      code: 'store_command_invalid_cwd',
    });
    await expect(run({ command: 'true', cwd: 'plain.txt' })).rejects.toMatchObject({
      code: 'store_command_invalid_cwd',
    });
  });
});

/** `sh` that records its own pid and a background grandchild's, then waits. */
const FAMILY_SCRIPT = 'sleep 300 & echo $! > grandchild.pid; echo $$ > child.pid; sleep 300';

describe('run_command: ending the process group', () => {
  it('on timeout, kills the child and its grandchildren', async () => {
    await mkdir(join(root, 'timeout'), { recursive: true });
    const result = await run({
      command: ['sh', '-c', FAMILY_SCRIPT],
      cwd: 'timeout',
      timeoutMs: 2_500,
    });
    const child = await readPid(join(root, 'timeout', 'child.pid'));
    const grandchild = await readPid(join(root, 'timeout', 'grandchild.pid'));
    spawned.push(child, grandchild);
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.signal).not.toBeNull();
    expect(await waitFor(() => isGone(child))).toBe(true);
    expect(await waitFor(() => isGone(grandchild))).toBe(true);
  });

  it('on abort, kills the child and its grandchildren', async () => {
    const dir = join(root, 'abort');
    await mkdir(dir, { recursive: true });
    const controller = new AbortController();
    const running = run(
      { command: ['sh', '-c', FAMILY_SCRIPT], cwd: 'abort', timeoutMs: 600_000 },
      controller.signal,
    );
    const started = await waitFor(
      () => existsSync(join(dir, 'child.pid')) && existsSync(join(dir, 'grandchild.pid')),
    );
    expect(started).toBe(true);
    // The pid files exist as soon as `sh` opens them; wait until they hold a whole line.
    expect(
      await waitFor(() =>
        ['child.pid', 'grandchild.pid'].every((f) =>
          readFileSync(join(dir, f), 'utf8').endsWith('\n'),
        ),
      ),
    ).toBe(true);
    const child = await readPid(join(dir, 'child.pid'));
    const grandchild = await readPid(join(dir, 'grandchild.pid'));
    spawned.push(child, grandchild);
    expect(isGone(child)).toBe(false);
    controller.abort();
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(await waitFor(() => isGone(child))).toBe(true);
    expect(await waitFor(() => isGone(grandchild))).toBe(true);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const dir = join(root, 'stubborn');
    await mkdir(dir, { recursive: true });
    const result = await run({
      command: ['sh', '-c', "trap '' TERM; echo $$ > child.pid; while :; do sleep 1; done"],
      cwd: 'stubborn',
      timeoutMs: 1_000,
    });
    const child = await readPid(join(dir, 'child.pid'));
    spawned.push(child);
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(await waitFor(() => isGone(child))).toBe(true);
  });

  it('does not start anything when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await run({ command: 'touch should-not-exist' }, controller.signal);
    expect(result).toMatchObject({ cancelled: true, exitCode: null, timedOut: false });
    expect(existsSync(join(root, 'should-not-exist'))).toBe(false);
  });

  it('ends when a background child keeps the pipes open after the command exits', async () => {
    const dir = join(root, 'linger');
    await mkdir(dir, { recursive: true });
    const result = await run({
      command: 'sleep 300 & echo $! > grandchild.pid; echo started',
      cwd: 'linger',
      timeoutMs: 600_000,
    });
    const grandchild = await readPid(join(dir, 'grandchild.pid'));
    spawned.push(grandchild);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'started\n', timedOut: false });
    expect(await waitFor(() => isGone(grandchild))).toBe(true);
  });

  it('a command waiting on stdin gets end-of-file', async () => {
    const result = await run({ command: ['cat'], timeoutMs: 600_000 });
    expect(result).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
    const read = await run({ command: 'read line; echo "got [$line] $?"', timeoutMs: 600_000 });
    expect(read.stdout).toBe('got [] 1\n');
  });
});

describe('run_command: output', () => {
  it('keeps a 100 MB stdout within the cap, with head, tail and the omitted count', async () => {
    const script = `
      const chunk = Buffer.alloc(${MiB}, 'a');
      let left = 100;
      process.stdout.write('BEGIN');
      const pump = () => {
        while (left > 0) {
          left--;
          if (!process.stdout.write(chunk)) return process.stdout.once('drain', pump);
        }
        process.stdout.write('END');
      };
      pump();`;
    const result = await run({ command: [NODE, '-e', script], timeoutMs: 600_000 });
    const total = 100 * MiB + 'BEGIN'.length + 'END'.length;
    const omitted = total - MiB;
    expect(result.exitCode).toBe(0);
    expect(result.stdoutTruncated).toEqual({ truncated: true, omitted });
    expect(Buffer.byteLength(result.stdout)).toBe(MiB + Buffer.byteLength(omittedMarker(omitted)));
    expect(result.stdout.startsWith('BEGINaaa')).toBe(true);
    expect(result.stdout.endsWith('aaaEND')).toBe(true);
    expect(result.stdout).toContain(`… ${omitted} bytes omitted …`);
  });

  it('applies maxOutputBytes to each stream separately', async () => {
    const result = await run({
      command: [
        NODE,
        '-e',
        "process.stdout.write('o'.repeat(5000)); process.stderr.write('e'.repeat(50))",
      ],
      maxOutputBytes: 1000,
    });
    expect(result.stdoutTruncated).toEqual({ truncated: true, omitted: 4000 });
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(
      1000 + Buffer.byteLength(omittedMarker(4000)),
    );
    expect(result.stderr).toBe('e'.repeat(50));
    expect(result.stderrTruncated).toEqual({ truncated: false });
  });

  it('decodes non-UTF-8 output with replacement characters instead of failing', async () => {
    const result = await run({
      command: [NODE, '-e', 'process.stdout.write(Buffer.from([0xff, 0xfe, 0x61, 0xc3]))'],
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('a');
    expect(result.stdout).toContain('\uFFFD');
  });
});

describe('OutputCapture', () => {
  it('keeps everything up to the cap', () => {
    const capture = new OutputCapture(10);
    capture.push(Buffer.from('0123456789'));
    expect(capture.finish()).toEqual({ text: '0123456789', truncation: { truncated: false } });
  });

  it('keeps head and tail across many small chunks', () => {
    const capture = new OutputCapture(8);
    for (const ch of 'abcdefghijklmnopqrstuvwxyz') capture.push(Buffer.from(ch));
    // 8 bytes: 6 of head, 2 of tail.
    expect(capture.finish()).toEqual({
      text: `abcdef${omittedMarker(18)}yz`,
      truncation: { truncated: true, omitted: 18 },
    });
  });

  it('never cuts a multi-byte character in half', () => {
    const text = 'é€😀'.repeat(50);
    for (const cap of [7, 8, 9, 10, 11, 17, 40]) {
      const capture = new OutputCapture(cap);
      // Odd chunk sizes put cut points inside characters.
      const bytes = Buffer.from(text);
      for (let i = 0; i < bytes.length; i += 3) capture.push(bytes.subarray(i, i + 3));
      const { text: kept, truncation } = capture.finish();
      expect(kept).not.toContain('\uFFFD');
      const [head = '', tail = ''] = kept.split(omittedMarker(truncation.omitted ?? -1));
      expect(text.startsWith(head)).toBe(true);
      expect(text.endsWith(tail)).toBe(true);
      expect(Buffer.byteLength(head) + Buffer.byteLength(tail)).toBeLessThanOrEqual(cap);
      expect(Buffer.byteLength(head) + Buffer.byteLength(tail) + (truncation.omitted ?? 0)).toBe(
        bytes.length,
      );
    }
  });

  it('a cap of zero keeps only the marker', () => {
    const capture = new OutputCapture(0);
    capture.push(Buffer.from('abc'));
    expect(capture.finish()).toEqual({
      text: omittedMarker(3),
      truncation: { truncated: true, omitted: 3 },
    });
  });
});

describe('run_command: environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['FOO_TOKEN', 'NERDLOOP_PLAIN_VAR', 'MY_DB_PASSWORD', 'FORCE_COLOR']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  const PRINT_ENV = [
    NODE,
    '-e',
    "const pick = ['FOO_TOKEN', 'NERDLOOP_PLAIN_VAR', 'MY_DB_PASSWORD', 'NO_COLOR', 'FORCE_COLOR', 'EXTRA_ONE', 'PATH'];" +
      'console.log(JSON.stringify(Object.fromEntries(pick.map((k) => [k, process.env[k] ?? null]))))',
  ];

  it('drops secret-looking variables, keeps ordinary ones, sets NO_COLOR', async () => {
    process.env.FOO_TOKEN = 'fake-secret';
    process.env.MY_DB_PASSWORD = 'hunter2';
    process.env.NERDLOOP_PLAIN_VAR = 'visible';
    process.env.FORCE_COLOR = '3';
    const result = await run({ command: PRINT_ENV, env: { EXTRA_ONE: 'given' } });
    const seen = JSON.parse(result.stdout) as Record<string, string | null>;
    expect(seen.FOO_TOKEN).toBeNull();
    expect(seen.MY_DB_PASSWORD).toBeNull();
    expect(seen.FORCE_COLOR).toBeNull();
    expect(seen.NERDLOOP_PLAIN_VAR).toBe('visible');
    expect(seen.NO_COLOR).toBe('1');
    expect(seen.EXTRA_ONE).toBe('given');
    expect(seen.PATH).toBe(process.env.PATH ?? null);
    expect(result.stdout).not.toContain('fake-secret');
  });

  it('passes an allowlisted secret-looking variable', async () => {
    process.env.FOO_TOKEN = 'allowed-value';
    const tool = createRunCommandTool({ envAllowlist: ['FOO_TOKEN'] });
    const result = await tool.run({ command: PRINT_ENV }, context());
    expect(JSON.parse(result.stdout).FOO_TOKEN).toBe('allowed-value');
  });

  it('classifies names', () => {
    for (const name of [
      'FOO_TOKEN',
      'GITHUB_TOKEN',
      'NPM_TOKEN',
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'STRIPE_SECRET',
      'CLIENTSECRET',
      'DB_PASSWORD',
      'MYSQL_PWD_PASSWORD',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'AWS_ACCESS_KEY_ID',
      'AWS_PROFILE',
      'SSH_AUTH_SOCK',
      'NPM_CONFIG__AUTH',
      'github_token',
      'SIGNING_KEY',
      'DATABASE_URL',
    ]) {
      expect(isSecretEnvName(name), name).toBe(true);
    }
    for (const name of [
      'PATH',
      'HOME',
      'LANG',
      'TERM',
      'TOKENIZERS_PARALLELISM',
      'MONKEY_MODE',
      'PWD',
      'SHELL',
    ]) {
      expect(isSecretEnvName(name), name).toBe(false);
    }
  });

  it('childEnv applies the caller’s variables last', () => {
    const env = childEnv({ base: { A: '1', X_TOKEN: 's', NO_COLOR: '0' }, extra: { A: '2' } });
    expect(env).toEqual({ A: '2', NO_COLOR: '1' });
  });

  it('refuses invalid variable names', async () => {
    expect(
      runCommandParameters.safeParse({ command: 'true', env: { 'BAD-NAME': 'x' } }).success,
    ).toBe(false);
    expect(runCommandParameters.safeParse({ command: 'true', env: { '1X': 'x' } }).success).toBe(
      false,
    );
    await expect(run({ command: 'true', env: { 'A=B': 'x' } })).rejects.toMatchObject({
      code: 'store_command_invalid_args',
    });
  });
});

describe('run_command: arguments and action', () => {
  it('shows the command line to the gate, quoting argv for a shell', () => {
    expect(runCommandTool.action({ command: 'ls -la | wc -l' })).toEqual({
      action: 'run_command',
      target: 'ls -la | wc -l',
      payload: '',
    });
    expect(
      runCommandTool.action({ command: ['git', 'commit', '-m', "it's done", '$x'] }).target,
    ).toBe("git commit -m 'it'\\''s done' '$x'");
    expect(commandLine(['echo', ''])).toBe("echo ''");
  });

  it('validates limits and shapes', () => {
    const ok = (args: unknown) => runCommandParameters.safeParse(args).success;
    expect(ok({ command: 'true' })).toBe(true);
    expect(
      ok({ command: ['true'], cwd: 'a', timeoutMs: 30 * 60_000, maxOutputBytes: 16 * MiB }),
    ).toBe(true);
    expect(ok({ command: '' })).toBe(false);
    expect(ok({ command: [] })).toBe(false);
    expect(ok({ command: ['a\0b'] })).toBe(false);
    expect(ok({ command: 'true', timeoutMs: 30 * 60_000 + 1 })).toBe(false);
    expect(ok({ command: 'true', timeoutMs: 0 })).toBe(false);
    expect(ok({ command: 'true', maxOutputBytes: 16 * MiB + 1 })).toBe(false);
    expect(ok({ command: 'true', unknown: 1 })).toBe(false);
  });

  it('has parameters that convert to JSON Schema for the model', () => {
    const schema = z.toJSONSchema(runCommandTool.parameters, { target: 'draft-7' });
    expect(schema).toMatchObject({ type: 'object', required: ['command'] });
  });
});
