/**
 * SubAgent: one agent as an XState actor.
 *
 *   idle ──START──▶ running ──TASK.DONE──▶ completed        (ephemeral)
 *    ▲                 │   └──TASK.DONE──▶ idle             (persistent, system)
 *    │                 ├─TASK.FAILED / timeout / crash ─▶ failed
 *    └─────────────────┘   CANCEL ─▶ running.cancelling ─▶ failed (cancelled)
 *
 * A pure definition: the task runner (`runTask`), the clock-stamping actions
 * and the timeout are provided by `src/session` with `.provide()`.
 */
import { assign, emit, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import type {
  AgentFailure,
  RunTaskEvent,
  RunTaskInput,
  SubAgentContext,
  SubAgentEmitted,
  SubAgentEvent,
  SubAgentInit,
  SubAgentOutput,
} from './contracts.js';
import { subAgentInputSchema } from './contracts.js';

/**
 * Stamps metrics with a clock. The machine uses the wall clock by default; the
 * runtime provides the same actions built on its injected clock.
 */
export const subAgentClockActions = (now: () => number) => ({
  stampStarted: assign<SubAgentContext, SubAgentEvent, undefined, SubAgentEvent, never>(
    ({ context }) => ({ metrics: { ...context.metrics, startedAt: now(), endedAt: null } }),
  ),
  stampEnded: assign<SubAgentContext, SubAgentEvent, undefined, SubAgentEvent, never>(
    ({ context }) => ({ metrics: { ...context.metrics, endedAt: now() } }),
  ),
});

const failure = (
  context: SubAgentContext,
  code: AgentFailure['code'],
  message: string,
): AgentFailure => (context.task ? { code, message, taskId: context.task.id } : { code, message });

export const subAgentMachine = setup({
  types: {
    context: {} as SubAgentContext,
    input: {} as SubAgentInit,
    events: {} as SubAgentEvent,
    output: {} as SubAgentOutput,
    emitted: {} as SubAgentEmitted,
  },
  actors: {
    // Placeholder logic: the runtime always provides the real task runner.
    runTask: fromCallback<RunTaskEvent, RunTaskInput>(({ sendBack }) => {
      sendBack({
        type: 'TASK.FAILED',
        error: { code: 'task_error', message: 'no runTask implementation was provided' },
      });
    }),
  },
  delays: {
    timeout: ({ context }) => context.timeoutMs,
  },
  guards: {
    withinTurnLimit: ({ context }) => context.turns < context.maxTurns,
    staysAlive: ({ context }) => context.kind !== 'ephemeral',
  },
  actions: {
    ...subAgentClockActions(() => Date.now()),
    abortTask: sendTo('runTask', ({ context }) => ({
      type: 'ABORT' as const,
      reason: context.error?.message ?? 'cancelled',
    })),
    acceptTask: assign(({ event }) => {
      if (event.type !== 'START') return {};
      return { task: event.task, result: undefined, error: null };
    }),
    recordResult: assign(({ context, event }) => {
      if (event.type !== 'TASK.DONE') return {};
      const { output } = event;
      const task = context.task;
      const exchange = task
        ? [
            { role: 'user' as const, content: task.prompt },
            ...(output.messages ?? [
              { role: 'assistant' as const, content: stringifyResult(output.result) },
            ]),
          ]
        : [];
      return {
        result: output.result,
        history: [...context.history, ...exchange],
        turns: context.turns + output.turns,
        metrics: {
          ...context.metrics,
          tokens: context.metrics.tokens + output.tokens,
          tasksCompleted: context.metrics.tasksCompleted + 1,
        },
      };
    }),
    announceStarted: emit(({ context }) => ({
      type: 'task.started' as const,
      agentId: context.id,
      taskId: context.task?.id ?? '',
    })),
    announceCompleted: emit(({ context, event }) => ({
      type: 'task.completed' as const,
      agentId: context.id,
      taskId: context.task?.id ?? '',
      result: context.result,
      tokens: event.type === 'TASK.DONE' ? event.output.tokens : 0,
      turns: event.type === 'TASK.DONE' ? event.output.turns : 0,
    })),
    announceFailed: enqueueActions(({ context, enqueue }) => {
      // An idle agent that is cancelled had no task in flight: nothing failed but the agent.
      if (!context.task) return;
      enqueue.emit({
        type: 'task.failed' as const,
        agentId: context.id,
        taskId: context.task.id,
        error: context.error ?? { code: 'crashed' as const, message: 'failed without a reason' },
      });
    }),
    releaseTask: assign({ task: null }),
    failTask: assign(({ context, event }) => ({
      error:
        event.type === 'TASK.FAILED'
          ? { ...event.error, ...(context.task ? { taskId: context.task.id } : {}) }
          : failure(context, 'crashed', describeError(event)),
    })),
    failTimeout: assign(({ context }) => ({
      error: failure(context, 'timeout', `task exceeded its ${context.timeoutMs} ms timeout`),
    })),
    failCancelled: assign(({ context, event }) => ({
      error: failure(context, 'cancelled', event.type === 'CANCEL' ? event.reason : 'cancelled'),
    })),
    failTurnLimit: assign(({ context, event }) => ({
      task: event.type === 'START' ? event.task : context.task,
      error: failure(
        { ...context, task: event.type === 'START' ? event.task : context.task },
        'max_turns',
        `agent used ${context.turns} of ${context.maxTurns} turns`,
      ),
    })),
  },
}).createMachine({
  id: 'subAgent',
  context: ({ input }) => {
    const init = subAgentInputSchema.parse(input);
    return {
      id: init.id,
      // A SubAgent started on its own (not by a spawner) is its own root.
      path: init.path ?? init.id,
      name: init.name,
      kind: init.kind,
      persona: init.persona,
      maxTurns: init.maxTurns,
      timeoutMs: init.timeoutMs,
      history: init.history,
      turns: init.turns,
      task: null,
      result: undefined,
      error: null,
      metrics: {
        startedAt: null,
        endedAt: null,
        tokens: init.tokens,
        tasksCompleted: init.tasksCompleted,
      },
    };
  },
  initial: 'idle',
  states: {
    idle: {
      description:
        'Waiting for a task. Persistent and system agents come back here after each task.',
      on: {
        START: [
          { guard: 'withinTurnLimit', target: 'running', actions: 'acceptTask' },
          { target: 'failed', actions: 'failTurnLimit' },
        ],
        CANCEL: { target: 'failed', actions: 'failCancelled' },
      },
    },
    running: {
      description: 'Running one task through the invoked runTask actor.',
      entry: ['stampStarted', 'announceStarted'],
      invoke: {
        id: 'runTask',
        src: 'runTask',
        input: ({ context }) => ({
          agentId: context.id,
          agentPath: context.path,
          persona: context.persona,
          kind: context.kind,
          // biome-ignore lint/style/noNonNullAssertion: START always sets the task before entry
          task: context.task!,
          history: context.history,
        }),
        onError: { target: 'failed', actions: 'failTask' },
      },
      after: {
        timeout: { target: 'failed', actions: 'failTimeout' },
      },
      initial: 'working',
      states: {
        working: {
          on: {
            'TASK.DONE': [
              {
                guard: 'staysAlive',
                target: '#subAgent.idle',
                actions: ['recordResult', 'stampEnded', 'announceCompleted', 'releaseTask'],
              },
              {
                target: '#subAgent.completed',
                actions: ['recordResult', 'stampEnded', 'announceCompleted'],
              },
            ],
            'TASK.FAILED': { target: '#subAgent.failed', actions: 'failTask' },
            CANCEL: { target: 'cancelling', actions: 'failCancelled' },
          },
        },
        cancelling: {
          description:
            'The task was asked to abort; the agent waits for it to settle. A supervisor force-stops it after its shutdown timeout.',
          entry: 'abortTask',
          on: {
            'TASK.DONE': '#subAgent.failed',
            'TASK.FAILED': '#subAgent.failed',
          },
        },
      },
    },
    completed: { type: 'final' },
    failed: {
      type: 'final',
      entry: ['stampEnded', 'announceFailed'],
    },
  },
  output: ({ context }) =>
    context.error
      ? { status: 'failed' as const, error: context.error }
      : { status: 'completed' as const, taskId: context.task?.id ?? null, result: context.result },
});

export type SubAgentMachine = typeof subAgentMachine;

function stringifyResult(result: unknown): string {
  if (typeof result === 'string') return result;
  try {
    return JSON.stringify(result) ?? String(result);
  } catch {
    return String(result);
  }
}

function describeError(event: { type: string; error?: unknown }): string {
  const error = event.error;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `${event.type}: ${String(error)}`;
}
