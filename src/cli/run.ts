import { Option } from 'commander';
import { sequentialIds } from '../core/index.js';
import { createModelFromEnv } from '../llm/index.js';
import { createTransducer, intentToFact } from '../perception/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { createExecutor, type ExecutionResult, type ExecutorEvent } from '../session/index.js';
import { type ApprovalPolicy, createVirtualStore, type SandboxMode } from '../store/index.js';
import { NerdloopCommand, outputOf, runCommand } from './command.js';
import { ExitCode } from './errors.js';
import { loadWorkspaceSetup } from './orient.js';

export type RunFlags = {
  workspace: string;
  mode?: SandboxMode;
  approval?: ApprovalPolicy;
  model?: string;
  json?: boolean;
};

export function runTaskCommand(): NerdloopCommand {
  return new NerdloopCommand('run')
    .description('run a task in a workspace: route, compile a prompt, and loop model ⇄ tools')
    .argument('<task>', 'the task, in plain words')
    .option('--workspace <dir>', 'the workspace to work in', '.')
    .addOption(
      new Option('--mode <mode>', 'sandbox (default: the persona config)').choices([
        'read-only',
        'workspace-write',
      ]),
    )
    .addOption(
      new Option('--approval <policy>', 'when to ask (there is no one to ask here: never)').choices(
        ['never'],
      ),
    )
    .option('--model <name>', 'model name for an OpenAI-compatible endpoint (NERDLOOP_MODEL)')
    .option('--json', 'print the events and the result as JSON lines')
    .action(async (task: string, flags: RunFlags, command: NerdloopCommand) => {
      await runCommand(command, async () => {
        const result = await runTask(task, flags, (line) => outputOf(command).out(line));
        if (result.status !== 'done') {
          command.error('', { exitCode: ExitCode.failed, code: 'nerdloop.run_not_done' });
        }
      });
    });
}

/** Runs one task and writes progress lines (or JSON lines) to `write`. */
export async function runTask(
  task: string,
  flags: RunFlags,
  write: (text: string) => void,
  options: { env?: Record<string, string | undefined>; signal?: AbortSignal } = {},
): Promise<ExecutionResult> {
  const { workspace, kernel, atoms, configFactory } = await loadWorkspaceSetup(flags.workspace);
  const transducer = createTransducer({ ids: sequentialIds() });
  // The store judges by persona, so route once before it is made.
  const draft = transducer.transduceSync(task);
  kernel.assert(intentToFact(draft));
  const config = configFactory.configFor(draft.id);
  kernel.retract(intentToFact(draft));
  const store = await createVirtualStore({
    root: workspace,
    persona: config.persona,
    kernel,
    mode: {
      sandbox:
        flags.mode ??
        (config.policy.sandbox === 'full-access' ? 'workspace-write' : config.policy.sandbox),
      approval: 'never',
    },
  });
  const env = options.env ?? process.env;
  const chosen = createModelFromEnv({
    env: flags.model ? { ...env, NERDLOOP_MODEL: flags.model } : env,
  });
  const executor = createExecutor({
    kernel,
    store,
    model: chosen.model,
    transducer,
    compiler: createPromptCompiler({ atoms }),
    configFactory,
  });
  const started = Date.now();
  const show = (text: string) =>
    write(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${text}\n`);
  if (flags.json)
    write(
      `${JSON.stringify({ type: 'run.started', task, model: chosen.source, reason: chosen.reason })}\n`,
    );
  else show(`model: ${chosen.source} (${chosen.reason})`);
  const subscription = executor.events$.subscribe((event) => {
    if (flags.json) write(`${JSON.stringify(event)}\n`);
    else {
      const line = describeEvent(event);
      if (line) show(line);
    }
  });
  try {
    const result = await executor.process(task, options.signal ? { signal: options.signal } : {});
    if (flags.json) write(`${JSON.stringify({ type: 'run.finished', ...result })}\n`);
    else write(renderResult(result));
    return result;
  } finally {
    subscription.unsubscribe();
    executor.close();
    store.close();
  }
}

function describeEvent(event: ExecutorEvent): string | null {
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
