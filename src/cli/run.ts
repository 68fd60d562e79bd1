import { Option } from 'commander';
import type { Observable, Subscription } from 'rxjs';
import { describeUnknownError } from '../core/index.js';
import type { RuntimeEvent } from '../events/index.js';
import { type InspectPage, startInspectPage } from '../inspect-page/index.js';
import { createModelFromEnv, type ModelSelection } from '../llm/index.js';
import { createTransducer } from '../perception/index.js';
import {
  createIntentSpawner,
  createLoopTaskFunction,
  createRuntime,
  type ExecutionResult,
  type Runtime,
  type TaskOutcome,
} from '../session/index.js';
import { createLiveInspector, defaultManifestPath, loadManifest } from '../stately/index.js';
import type { ApprovalHook, ApprovalPolicy, SandboxMode } from '../store/index.js';
import { createTerminalApproval } from './approval.js';
import { NerdloopCommand, outputOf, runCommand } from './command.js';
import { ExitCode, RunInterruptedError, RunNotStartedError } from './errors.js';
import { loadWorkspaceSetup, type WorkspaceSetup } from './orient.js';

export type RunFlags = {
  workspace: string;
  mode?: SandboxMode;
  approval?: ApprovalPolicy;
  model?: string;
  json?: boolean;
  inspect?: boolean;
};

/** Where a run with `--inspect` can be watched. */
export type RunInspection = {
  /** nerdloop's own live page (actor tree and event timeline), offline. */
  readonly pageUrl: string;
  /** The bridge to the hosted Stately inspector, which needs a network to draw. */
  readonly statelyUrl: string;
};

export type RunOptions = {
  env?: Record<string, string | undefined>;
  /**
   * Aborting it stops the agent: its model call, tools and sub-agents. Aborted
   * before the agent is spawned, the task never runs (RunInterruptedError).
   */
  signal?: AbortSignal;
  /** The Stately bridge's port; default: the manifest's (`stately.config.json`). */
  statelyPort?: number;
  /**
   * With `--inspect`: called once the run has ended, before the inspection
   * servers close, so the pages can still be looked at.
   */
  holdInspection?: (inspection: RunInspection) => Promise<void>;
  /** With `--inspect`: called as soon as the inspection servers listen. */
  onInspection?: (inspection: RunInspection) => void;
  /**
   * With `--approval on-request`: who is asked. Without it nobody can be, and
   * what needs approval is denied (`/approval_unavailable`).
   */
  ask?: ApprovalHook;
};

/** Id of the agent a run's task goes to; its sub-agents are `task.1`, `task.2`, … */
const TOP_AGENT = 'task';

export function runTaskCommand(): NerdloopCommand {
  return new NerdloopCommand('run')
    .description('run a task in a workspace: route, compile a prompt, and loop model ⇄ tools')
    .argument('<task>', 'the task, in plain words')
    .option('--workspace <dir>', 'the workspace to work in', '.')
    .addOption(
      new Option(
        '--mode <mode>',
        "sandbox (default: workspace-write, tightened by each persona's config)",
      ).choices(['read-only', 'workspace-write']),
    )
    .addOption(
      new Option(
        '--approval <policy>',
        'on-request: ask at the terminal before what the policy will not allow on its own',
      ).choices(['never', 'on-request']),
    )
    .option('--model <name>', 'model name for an OpenAI-compatible endpoint (NERDLOOP_MODEL)')
    .option('--json', 'print the events and the result as JSON lines')
    .option('--inspect', 'serve a live page of the run and bridge it to the Stately inspector')
    .action(async (task: string, flags: RunFlags, command: NerdloopCommand) => {
      await runCommand(command, async () => {
        const output = outputOf(command);
        const interrupt = new AbortController();
        const onSigint = () => interrupt.abort('interrupted (Ctrl-C)');
        process.once('SIGINT', onSigint);
        // Only a person at a terminal can answer; piped input is not someone asking.
        const approval =
          flags.approval === 'on-request' && process.stdin.isTTY
            ? createTerminalApproval({ input: process.stdin, output: process.stderr })
            : null;
        try {
          const result = await runTask(task, flags, (line) => output.out(line), {
            signal: interrupt.signal,
            ...(approval ? { ask: approval.ask } : {}),
            onInspection: ({ pageUrl, statelyUrl }) =>
              output.err(
                `inspect: ${pageUrl} (live page, offline)  ${statelyUrl} (Stately inspector bridge; it needs a network to draw)\n`,
              ),
            holdInspection: async () => {
              // The run is over; the pages stay up until the user has looked.
              if (interrupt.signal.aborted) return;
              output.err('the run has ended; the inspection pages stay open until Ctrl-C\n');
              await new Promise<void>((resolve) =>
                interrupt.signal.addEventListener('abort', () => resolve(), { once: true }),
              );
            },
          });
          if (result.status !== 'done') {
            // A run Ctrl-C ended exits as any interrupted command does.
            const interrupted = interrupt.signal.aborted;
            command.error('', {
              exitCode: interrupted ? ExitCode.interrupted : ExitCode.failed,
              code: interrupted ? 'nerdloop.run_interrupted' : 'nerdloop.run_not_done',
            });
          }
        } finally {
          // The reader on stdin would keep the process alive after the run.
          approval?.close();
          process.off('SIGINT', onSigint);
        }
      });
    });
}

/**
 * Runs one task in a supervised agent of a fresh runtime, and writes progress
 * lines (or the runtime's events as JSON lines) to `write`. Sub-agents the
 * agent delegates to appear indented under it.
 *
 * Aborting `options.signal` before the agent is spawned (while the workspace,
 * the inspector or the rules load) ends the call with a RunInterruptedError,
 * and the task never runs; aborting it afterwards stops the agent, and the
 * run resolves `stopped` (`cancelled`). Whatever was started (the runtime,
 * the inspection page, the Stately bridge) is closed on every path.
 */
export async function runTask(
  task: string,
  flags: RunFlags,
  write: (text: string) => void,
  options: RunOptions = {},
): Promise<ExecutionResult> {
  const { signal } = options;
  // Setup awaits; an abort during one is seen when it returns, before anything runs.
  const notInterrupted = () => {
    if (signal?.aborted)
      throw new RunInterruptedError(
        `the task was not started: ${describeUnknownError(signal.reason)}`,
      );
  };
  notInterrupted();
  const setup = await loadWorkspaceSetup(flags.workspace);
  const env = options.env ?? process.env;
  const chosen = createModelFromEnv({
    env: flags.model ? { ...env, NERDLOOP_MODEL: flags.model } : env,
  });
  const manifest = flags.inspect ? await loadManifest(defaultManifestPath()) : null;
  notInterrupted();
  const inspector = manifest
    ? await createLiveInspector({
        ...manifest.inspector,
        ...(options.statelyPort !== undefined ? { port: options.statelyPort } : {}),
        autoOpen: false,
      })
    : null;
  let page: InspectPage | null = null;
  try {
    const results = new Map<string, ExecutionResult>();
    const runtime = createRuntime({
      runTask: createLoopTaskFunction({
        workspace: setup.workspace,
        model: chosen.model,
        atoms: setup.atoms,
        configLayers: setup.configLayers,
        rules: setup.rules,
        // Each persona's config can only tighten this: a reviewer stays read-only.
        mode: { sandbox: flags.mode ?? 'workspace-write', approval: flags.approval ?? 'never' },
        ...(flags.approval === 'on-request' && options.ask
          ? { onApprovalRequest: options.ask }
          : {}),
        ...(inspector ? { inspect: [inspector.inspect] } : {}),
        onExecution: (agentPath, result) => results.set(agentPath, result),
      }),
      ...(inspector ? { inspect: [inspector.inspect] } : {}),
    });
    const topPath = `${runtime.rootId}/${TOP_AGENT}`;
    let outcome: TaskOutcome;
    let inspection: RunInspection | null = null;
    let reporting: Subscription | undefined;
    try {
      if (inspector) {
        page = await startInspectPage(runtime.events$);
        inspection = { pageUrl: page.url, statelyUrl: inspector.url };
        options.onInspection?.(inspection);
      }
      reporting = report(runtime.events$, task, flags, write, chosen, topPath);
      outcome = await runAgent(runtime, task, setup, topPath, notInterrupted, signal);
    } finally {
      // Shut down before the result is written, so that it is the last line;
      // what the shutdown reports (a sub-agent stopped) is still written.
      await runtime.shutdown();
      reporting?.unsubscribe();
    }
    const result = results.get(topPath);
    if (!result)
      throw new RunNotStartedError(
        `the task did not run: ${outcome.status === 'failed' ? `${outcome.code}: ${outcome.message}` : 'no result'}`,
      );
    if (flags.json) write(`${JSON.stringify({ type: 'run.finished', ...result })}\n`);
    else write(renderResult(result));
    if (inspection) await options.holdInspection?.(inspection);
    return result;
  } finally {
    await page?.close();
    inspector?.stop();
  }
}

/** Writes the run's first line, then each event worth a line (all of them with `--json`). */
function report(
  events$: Observable<RuntimeEvent>,
  task: string,
  flags: RunFlags,
  write: (text: string) => void,
  model: ModelSelection,
  topPath: string,
): Subscription {
  const started = Date.now();
  const show = (text: string) =>
    write(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${text}\n`);
  if (flags.json)
    write(
      `${JSON.stringify({ type: 'run.started', task, model: model.source, reason: model.reason })}\n`,
    );
  else show(`model: ${model.source} (${model.reason})`);
  return events$.subscribe((event) => {
    if (flags.json) write(`${JSON.stringify(event)}\n`);
    else {
      const line = describeEvent(event, topPath);
      if (line) show(line);
    }
  });
}

/**
 * Routes the task, spawns the top agent and waits for its task. The abort
 * listener is in place before the spawn, and nothing is awaited between the
 * last look at the signal and the spawn: an interrupt is either seen before
 * (RunInterruptedError, nothing ran) or stops the agent.
 */
async function runAgent(
  runtime: Runtime,
  task: string,
  setup: WorkspaceSetup,
  topPath: string,
  notInterrupted: () => void,
  signal: AbortSignal | undefined,
): Promise<TaskOutcome> {
  const spawner = await createIntentSpawner(runtime, {
    rules: setup.rules,
    configLayers: setup.configLayers,
  });
  notInterrupted();
  const stop = () => runtime.stop(topPath, 'interrupted');
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const intent = createTransducer().transduceSync(task);
    return await spawner.spawnForIntent(intent, { id: 'task-1', prompt: task }, { id: TOP_AGENT });
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** One progress line, or null for events not worth a line; sub-agents' lines are indented and named. */
function describeEvent(event: RuntimeEvent, topPath: string): string | null {
  // The top agent's own end is the result printed last.
  if (event.agentId === topPath) return describeActivity(event);
  const line = describeSubAgentLifecycle(event) ?? describeActivity(event);
  if (line === null) return null;
  const name = event.agentId.slice(event.agentId.lastIndexOf('/') + 1);
  return `${'  '.repeat(Math.max(0, event.depth - 1))}[${name}] ${line.trimStart()}`;
}

function describeSubAgentLifecycle(event: RuntimeEvent): string | null {
  switch (event.type) {
    case 'agent.spawned':
      return event.role === 'agent' ? 'started' : null;
    case 'task.completed':
      return `✓ answered (${event.turns} turns, ${event.tokens} tokens)`;
    case 'task.failed':
      return `✗ failed: ${event.error.code}: ${event.error.message}`;
    default:
      return null;
  }
}

function describeActivity(event: RuntimeEvent): string | null {
  switch (event.type) {
    case 'stage.started':
      return `▸ ${event.stage}`;
    case 'stage.finished':
      return event.ok ? null : `✗ ${event.stage} did not finish`;
    case 'tool.permitted':
      return `  ${event.tool} ✓ ${event.verdict}`;
    case 'tool.denied':
      return `  ${event.tool} ✗ denied ${event.reasons.join(', ')}`;
    case 'tool.finished':
      return event.ok ? null : `  ${event.tool} failed: ${event.errorCode ?? 'error'}`;
    case 'llm.usage':
      return `  tokens +${event.promptTokens} in, +${event.completionTokens} out`;
    default:
      return null;
  }
}

function renderResult(result: ExecutionResult): string {
  const lines = [
    '',
    `${result.status}${result.stoppedBy ? ` (${result.stoppedBy})` : ''}${result.error ? ` in ${result.error.stage}: ${result.error.message}` : ''} — persona ${result.persona ?? '?'}, ${result.turns} model turns, ${result.toolCalls} tool calls, ${result.usage.promptTokens + result.usage.completionTokens} tokens`,
    '',
  ];
  if (result.response) lines.push(result.response, '');
  return lines.join('\n');
}
