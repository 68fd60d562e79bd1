/**
 * Runs one program in its own process group and always ends it: on timeout,
 * on abort, or when it exits but leaves something holding its pipes. Killing
 * the group rather than the pid is what reaches grandchildren (`make` →
 * `cc`, `sh -c` → background jobs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { errnoCode } from '../../core/index.js';
import { CommandNotFoundError, CommandSpawnError } from './errors.js';
import { type CapturedOutput, OutputCapture } from './output.js';

export type ProcessTiming = {
  /** Between SIGTERM and SIGKILL to the group. */
  readonly killGraceMs: number;
  /**
   * After the program exits, how long its stdio may stay open (held by a
   * background child) before the group is killed so the call can end.
   */
  readonly lingerMs: number;
  /** After SIGKILL, how long to wait for exit and stdio before giving up. */
  readonly finalDeadlineMs: number;
};

export const DEFAULT_PROCESS_TIMING: ProcessTiming = {
  killGraceMs: 2_000,
  lingerMs: 1_000,
  finalDeadlineMs: 2_000,
};

export type ProcessSpec = {
  readonly file: string;
  readonly args: readonly string[];
  /** Absolute; checked by the caller to be an existing directory. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly signal: AbortSignal;
  readonly timing: ProcessTiming;
  readonly now: () => number;
};

export type ProcessOutcome = {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /**
   * The program or its stdio did not finish even after SIGKILL and the final
   * deadline (a descendant left the group and holds the pipe, or a process is
   * stuck in the kernel): output may be incomplete and something may still run.
   */
  readonly abandoned: boolean;
  readonly durationMs: number;
};

/** Sends `signal` to the whole group; false when the group is already gone. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: nothing left. EPERM: a member changed credentials; nothing we may do.
    return false;
  }
}

function spawnFailure(error: unknown, file: string): Error {
  const code = errnoCode(error);
  if (code === 'ENOENT') {
    return new CommandNotFoundError(`command not found: ${file}`, {
      cause: error,
      details: { command: file },
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new CommandSpawnError(`cannot start ${file}: ${reason}`, {
    cause: error,
    details: { command: file, errno: code },
  });
}

/**
 * Resolves once the program exited and both pipes closed, or once the final
 * deadline after SIGKILL passed (`abandoned`). Rejects only when the program
 * could not be started.
 */
export function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  const started = spec.now();
  const stdout = new OutputCapture(spec.maxOutputBytes);
  const stderr = new OutputCapture(spec.maxOutputBytes);
  const outcome = (
    fields: Pick<ProcessOutcome, 'exitCode' | 'signal' | 'abandoned'> & {
      timedOut?: boolean;
      cancelled?: boolean;
    },
  ): ProcessOutcome => ({
    exitCode: fields.exitCode,
    signal: fields.signal,
    stdout: stdout.finish(),
    stderr: stderr.finish(),
    timedOut: fields.timedOut ?? false,
    cancelled: fields.cancelled ?? false,
    abandoned: fields.abandoned,
    durationMs: Math.max(0, spec.now() - started),
  });

  if (spec.signal.aborted) {
    // Nothing was started, so there is nothing to kill.
    return Promise.resolve(
      outcome({ exitCode: null, signal: null, abandoned: false, cancelled: true }),
    );
  }

  return new Promise<ProcessOutcome>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.file, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env,
        // Closed stdin: a command that waits for input reads EOF instead of hanging.
        stdio: ['ignore', 'pipe', 'pipe'],
        // setsid(): the child leads a new group (and session, so no controlling
        // terminal to prompt on) whose id is its pid.
        detached: true,
        windowsHide: true,
      });
    } catch (error) {
      reject(spawnFailure(error, spec.file));
      return;
    }

    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let exited = false;
    let timedOut = false;
    let cancelled = false;
    let killing = false;
    let settled = false;
    const timers = new Set<NodeJS.Timeout>();

    const later = (ms: number, action: () => void): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        action();
      }, ms);
      timers.add(timer);
      return timer;
    };

    const cleanup = (): void => {
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      spec.signal.removeEventListener('abort', onAbort);
    };

    const finish = (abandoned: boolean): void => {
      if (settled) return;
      cleanup();
      if (abandoned) {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
      // Members that closed their pipes but outlived SIGTERM would otherwise
      // escape the SIGKILL whose timer `cleanup` just cleared.
      if (killing && child.pid !== undefined && signalGroup(child.pid, 0)) {
        signalGroup(child.pid, 'SIGKILL');
      }
      resolve(outcome({ exitCode, signal: exitSignal, abandoned, timedOut, cancelled }));
    };

    const killGroup = (): void => {
      if (killing || settled) return;
      killing = true;
      const pid = child.pid;
      if (pid === undefined) return;
      signalGroup(pid, 'SIGTERM');
      later(spec.timing.killGraceMs, () => {
        signalGroup(pid, 'SIGKILL');
        later(spec.timing.finalDeadlineMs, () => finish(true));
      });
    };

    function onAbort(): void {
      if (settled) return;
      cancelled = true;
      killGroup();
    }

    const capture = (stream: NodeJS.ReadableStream | null, into: OutputCapture): void => {
      // Always read, even past the cap: a child blocked on a full pipe never exits.
      stream?.on('data', (chunk: Buffer) => into.push(chunk));
    };
    capture(child.stdout, stdout);
    capture(child.stderr, stderr);

    child.once('error', (error) => {
      if (child.pid === undefined && !settled) {
        cleanup();
        reject(spawnFailure(error, spec.file));
      }
      // Later errors come from kill() on a dead child, which signalGroup already covers.
    });

    child.once('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      // Whatever still holds the pipes is in the background; give it a moment to
      // finish writing, then end it so the call can return.
      later(spec.timing.lingerMs, killGroup);
    });

    // 'close' means exited and both pipes closed.
    child.once('close', () => {
      if (exited) finish(false);
    });

    later(spec.timeoutMs, () => {
      // After exit the program finished in time; only a background holder is left.
      if (!exited) timedOut = true;
      killGroup();
    });
    spec.signal.addEventListener('abort', onAbort, { once: true });
  });
}
