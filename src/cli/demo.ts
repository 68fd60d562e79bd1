/**
 * `nerdloop demo`: an offline tour of supervision. A real Runtime runs a small
 * supervision tree over the workspace with the deterministic tasks of
 * `demo-tasks.ts`, shows supervision (a nested supervisor, a persistent agent,
 * a restart), and reports how every task ended.
 */
import { InvalidArgumentError } from 'commander';
import type { Task } from '../../machines/contracts.js';
import { describeUnknownError } from '../core/index.js';
import type { RuntimeEvent } from '../events/index.js';
import { createRuntime, type Runtime } from '../session/index.js';
import {
  createLiveInspector,
  defaultManifestPath,
  type LiveInspector,
  loadManifest,
} from '../stately/index.js';
import { type CliOutput, NerdloopCommand, outputOf, runCommand } from './command.js';
import { type DemoPlan, maxTeamAgents, planDemo } from './demo-plan.js';
import { progressLine, summaryTable } from './demo-report.js';
import { createDemoTasks } from './demo-tasks.js';
import { DemoTracker, endedAsPlanned, type TaskRecord } from './demo-tracker.js';
import { DemoIncompleteError, DemoInterruptedError } from './errors.js';
import { checkWorkspace } from './orient.js';

export type DemoOptions = {
  /** Agents in the `team` supervisor. */
  agents: number;
  /** Every RuntimeEvent as a JSON line on stdout instead of progress and the table. */
  json: boolean;
  /** Bridge the run to the Stately inspector (see `createLiveInspector`). */
  inspect: boolean;
  workspace: string;
  /** Manifest whose `inspector` settings `--inspect` uses. */
  manifest?: string;
  /** Tasks still open after this long are reported as not ended. */
  deadlineMs?: number;
  /** Aborting it shuts the runtime down early (the CLI wires it to Ctrl-C). */
  signal?: AbortSignal;
};

export type DemoReport = {
  records: TaskRecord[];
  asPlanned: boolean;
  interrupted: boolean;
};

const defaultDeadlineMs = 15_000;

export function demoCommand(): NerdloopCommand {
  return new NerdloopCommand('demo')
    .description('run a small supervision tree of offline agents over a workspace')
    .option('--agents <n>', `agents in the team supervisor (1-${maxTeamAgents})`, parseAgents, 3)
    .option('--json', 'print every runtime event as one JSON line, and nothing else', false)
    .option('--inspect', 'bridge the run to the Stately inspector (see docs/cli.md)', false)
    .option('--workspace <dir>', 'directory the agents work on (default: the current directory)')
    .action(async (_flags: unknown, command: NerdloopCommand) => {
      await runCommand(command, async () => {
        const flags = command.opts<Omit<DemoOptions, 'workspace'> & { workspace?: string }>();
        const interrupt = new AbortController();
        const onSigint = () => interrupt.abort();
        process.once('SIGINT', onSigint);
        try {
          const report = await runDemo(
            { ...flags, workspace: flags.workspace ?? process.cwd(), signal: interrupt.signal },
            outputOf(command),
          );
          assertPlanned(report);
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
}

export async function runDemo(options: DemoOptions, output: CliOutput): Promise<DemoReport> {
  const workspace = await checkWorkspace(options.workspace);
  const inspector = options.inspect ? await startInspector(options, output) : null;
  try {
    return await runTree(options, workspace, inspector, output);
  } finally {
    inspector?.stop();
  }
}

async function runTree(
  options: DemoOptions,
  workspace: string,
  inspector: LiveInspector | null,
  output: CliOutput,
): Promise<DemoReport> {
  const startedAt = Date.now();
  const runtime = createRuntime({
    runTask: createDemoTasks({ workspace }),
    inspect: inspector ? [inspector.inspect] : [],
  });
  const plan = planDemo({ rootId: runtime.rootId, agents: options.agents });
  const tracker = new DemoTracker(plan.tasks);
  if (!options.json) output.out(`nerdloop demo: ${plan.tasks.length} tasks on ${workspace}\n`);
  runtime.events$.subscribe({
    next: (event) => {
      tracker.observe(event);
      print(event, options.json, startedAt, output);
    },
    complete: () => tracker.endRemaining(Date.now(), 'the runtime stopped before the task ended'),
  });

  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    void runtime.shutdown('interrupted');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const deadline = setTimeout(
    () => tracker.endRemaining(Date.now(), 'did not end before the deadline'),
    options.deadlineMs ?? defaultDeadlineMs,
  );
  try {
    if (options.signal?.aborted) onAbort();
    else startPlan(runtime, plan, tracker);
    await tracker.allSettled();
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    // Ends the persistent agent and the team, and any task the deadline cut short.
    await runtime.shutdown('demo finished');
  }
  if (!options.json) output.out(`\n${summaryTable(tracker.records)}`);
  return {
    records: tracker.records,
    asPlanned: tracker.records.every(endedAsPlanned),
    interrupted,
  };
}

function startPlan(runtime: Runtime, plan: DemoPlan, tracker: DemoTracker): void {
  runtime.spawn(plan.team.spec);
  for (const agent of plan.team.agents) runtime.spawn(agent, { under: plan.team.path });
  runtime.spawn(plan.analyst.spec);
  runtime.spawn(plan.flaky.spec);
  void runInSequence(runtime, plan.analyst.path, plan.analyst.tasks, tracker);
}

/** A persistent agent stays idle between tasks; each task starts when the one before ended. */
async function runInSequence(
  runtime: Runtime,
  agent: string,
  tasks: readonly Task[],
  tracker: DemoTracker,
): Promise<void> {
  for (const task of tasks) {
    const ended = tracker.ended(agent, task.id);
    try {
      runtime.startTask(agent, task);
    } catch (error) {
      // The agent is gone (restarting, stopped): the task cannot start.
      tracker.abandon(
        agent,
        Date.now(),
        `could not start ${task.id}: ${describeUnknownError(error)}`,
      );
      return;
    }
    const record = await ended;
    if (record.status !== 'completed') {
      tracker.abandon(agent, Date.now(), `not started: ${task.id} did not complete`);
      return;
    }
  }
}

function print(event: RuntimeEvent, json: boolean, startedAt: number, output: CliOutput): void {
  if (json) {
    output.out(`${JSON.stringify(event)}\n`);
    return;
  }
  const line = progressLine(event, startedAt);
  if (line !== null) output.out(`${line}\n`);
}

async function startInspector(options: DemoOptions, output: CliOutput): Promise<LiveInspector> {
  const manifest = await loadManifest(options.manifest ?? defaultManifestPath());
  const inspector = await createLiveInspector(manifest.inspector);
  const page = inspector.url.replace(/^ws:/, 'http:');
  output.err(
    `inspector bridge: ${inspector.url} (page: ${page}; the hosted inspector it embeds needs a network)\n`,
  );
  return inspector;
}

function assertPlanned(report: DemoReport): void {
  if (report.interrupted) throw new DemoInterruptedError('interrupted; the runtime was shut down');
  const missed = report.records.filter((record) => !endedAsPlanned(record));
  if (missed.length > 0) {
    throw new DemoIncompleteError(
      `${missed.length} of ${report.records.length} tasks did not end as planned: ${missed
        .map((record) => `${record.agent} ${record.task.id}`)
        .join(', ')}`,
    );
  }
}

function parseAgents(value: string): number {
  const agents = Number(value);
  if (!Number.isInteger(agents) || agents < 1 || agents > maxTeamAgents) {
    throw new InvalidArgumentError(`Expected a whole number from 1 to ${maxTeamAgents}.`);
  }
  return agents;
}
