/** `run_command`: one program or shell line, run inside the workspace, bounded in time and output. */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { StoreTool, ToolContext } from '../tool.js';
import { childEnv, ENV_NAME_PATTERN } from './env.js';
import { CommandArgsError, CommandCwdError } from './errors.js';
import { DEFAULT_PROCESS_TIMING, type ProcessTiming, runProcess } from './process.js';
import { commandLine } from './quote.js';

const MiB = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 120_000;
export const MAX_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = MiB;
export const MAX_OUTPUT_BYTES = 16 * MiB;

/** The shell for string commands: POSIX `sh`, which every Unix has at this path. */
export const SHELL = '/bin/sh';

// The OS cannot pass a NUL inside an argument or a variable; refusing it here
// gives the model a clear message instead of a spawn failure.
const noNul = (text: string): boolean => !text.includes('\0');
const NUL_MESSAGE = 'must not contain a NUL character';

export const runCommandParameters = z.strictObject({
  command: z
    .union([
      z.string().min(1).refine(noNul, NUL_MESSAGE),
      z.array(z.string().refine(noNul, NUL_MESSAGE)).min(1),
    ])
    .describe(
      'A string runs through `/bin/sh -c` (pipes, redirects, globs, `&&`). An array is argv and runs without a shell: nothing in it is interpreted.',
    ),
  cwd: z
    .string()
    .optional()
    .describe('Directory to run in, relative to the workspace root (default `.`); must be inside.'),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMEOUT_MS)
    .optional()
    .describe(
      `Kill the command (and everything it started) after this many ms (default ${DEFAULT_TIMEOUT_MS}, max ${MAX_TIMEOUT_MS}).`,
    ),
  maxOutputBytes: z
    .number()
    .int()
    .min(0)
    .max(MAX_OUTPUT_BYTES)
    .optional()
    .describe(
      `Bytes kept per stream (default ${DEFAULT_MAX_OUTPUT_BYTES}, max ${MAX_OUTPUT_BYTES}); beyond it the start and the end are kept.`,
    ),
  env: z
    .record(
      z.string().regex(ENV_NAME_PATTERN, 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*)'),
      z.string().refine(noNul, NUL_MESSAGE),
    )
    .optional()
    .describe('Extra environment variables for this command.'),
});
export type RunCommandArgs = z.infer<typeof runCommandParameters>;

const truncationSchema = z.object({
  truncated: z.boolean(),
  omitted: z.number().int().nonnegative().optional(),
});

export const runCommandResult = z.object({
  /** Null when the program was ended by a signal, or never exited (`abandoned`). */
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: truncationSchema,
  stderrTruncated: truncationSchema,
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  /** Even SIGKILL did not end it within the final deadline; output may be incomplete. */
  abandoned: z.boolean(),
  durationMs: z.number().nonnegative(),
});
export type RunCommandResult = z.infer<typeof runCommandResult>;

export type RunCommandToolOptions = {
  /** Exact variable names passed through although they look secret. */
  readonly envAllowlist?: readonly string[];
  /** Environment the child starts from (default: `process.env`, read at each run). */
  readonly baseEnv?: () => NodeJS.ProcessEnv;
  /** Kill timings; tests shorten them. */
  readonly timing?: Partial<ProcessTiming>;
};

const DESCRIPTION = [
  'Run a command in the workspace and return its exit code, stdout and stderr.',
  'A string runs through /bin/sh -c; an array runs as argv without a shell.',
  'stdin is closed, so commands that wait for input get end-of-file.',
  'The command and everything it started are killed on timeout.',
  'Long output keeps its start and its end, with a marker counting the bytes left out.',
  'Secret-looking environment variables are not passed on; NO_COLOR=1 is set.',
  'A background process that still holds stdout/stderr when the command exits is killed; redirect its output to a file to keep it running.',
].join(' ');

async function workingDirectory(cwd: string, context: ToolContext): Promise<string> {
  const resolved = await context.workspace.resolve(cwd);
  const info = resolved.exists ? await stat(resolved.absolute).catch(() => undefined) : undefined;
  if (!info?.isDirectory()) {
    throw new CommandCwdError(`cwd is not a directory in the workspace: ${resolved.relative}`, {
      details: { cwd, exists: resolved.exists },
    });
  }
  return resolved.absolute;
}

export function createRunCommandTool(
  options: RunCommandToolOptions = {},
): StoreTool<RunCommandArgs, RunCommandResult> {
  const timing: ProcessTiming = { ...DEFAULT_PROCESS_TIMING, ...options.timing };
  const baseEnv = options.baseEnv ?? (() => process.env);
  return {
    name: 'run_command',
    description: DESCRIPTION,
    parameters: runCommandParameters,
    result: runCommandResult,
    action: (args) => ({ action: 'run_command', target: commandLine(args.command), payload: '' }),
    async run(args, context) {
      // The VirtualStore parses before calling; an embedding app calling `run`
      // directly gets the same checks and defaults.
      const parsed = runCommandParameters.safeParse(args);
      if (!parsed.success) {
        throw new CommandArgsError(`invalid run_command arguments: ${parsed.error.message}`, {
          details: { issues: parsed.error.issues },
        });
      }
      const { command, cwd = '.', env, timeoutMs, maxOutputBytes } = parsed.data;
      const directory = await workingDirectory(cwd, context);
      const [file, ...rest] = typeof command === 'string' ? [SHELL, '-c', command] : command;
      if (file === undefined) throw new CommandArgsError('command is empty');
      const outcome = await runProcess({
        file,
        args: rest,
        cwd: directory,
        env: childEnv({ base: baseEnv(), allow: options.envAllowlist, extra: env }),
        timeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxOutputBytes: maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        signal: context.signal,
        timing,
        now: () => context.clock.now(),
      });
      return {
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        stdout: outcome.stdout.text,
        stderr: outcome.stderr.text,
        stdoutTruncated: outcome.stdout.truncation,
        stderrTruncated: outcome.stderr.truncation,
        timedOut: outcome.timedOut,
        cancelled: outcome.cancelled,
        abandoned: outcome.abandoned,
        durationMs: outcome.durationMs,
      };
    },
  };
}

/** With the default options: process.env scrubbed, 2 s between SIGTERM and SIGKILL. */
export const runCommandTool = createRunCommandTool();
