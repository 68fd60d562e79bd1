/**
 * Adapts a plain async task function to the `runTask` actor a SubAgent
 * invokes. The function gets an AbortSignal that fires on CANCEL (cooperative:
 * the agent waits for the function to settle) and when the agent is stopped.
 * Whatever it returns is validated before it reaches the machine.
 */
import { fromCallback } from 'xstate';
import {
  type AgentFailure,
  type RunTaskEvent,
  type RunTaskInput,
  type SubAgentEvent,
  type TaskOutput,
  taskOutputSchema,
} from '../../machines/contracts.js';
import { describeIssues, describeUnknownError, NerdloopError } from '../core/index.js';
import type { AgentActivity } from '../events/index.js';
import type { DelegationRequest, Inheritance, TaskOutcome } from './outcome.js';

export type TaskOutputInit = {
  result: unknown;
  tokens?: number;
  turns?: number;
  messages?: TaskOutput['messages'];
};

/**
 * What a task may do besides its own work, supplied by whoever runs the agent
 * (the Runtime). A SubAgent run without a Runtime gets the defaults of
 * `detachedTaskServices`: reports go nowhere and delegation is refused.
 */
export type TaskServices = {
  /** Puts an event about this agent's work (loop stages, tool calls) on the runtime's stream. */
  publish(activity: AgentActivity): void;
  /**
   * Runs a task in a new sub-agent of this one and resolves with how it ended.
   * Aborting `signal` stops the sub-agent.
   */
  delegate(request: DelegationRequest, options: { signal: AbortSignal }): Promise<TaskOutcome>;
  /** How many delegations deep this agent is: 0 for an agent the application spawned. */
  readonly delegationDepth: number;
  /** For a sub-agent: what the agents above it allow, which it may not exceed. */
  readonly inherited?: Inheritance;
};

export type TaskContext = TaskServices & { signal: AbortSignal };

export class DelegationUnavailableError extends NerdloopError {
  readonly code = 'delegation_unavailable';
}

export const detachedTaskServices = (): TaskServices => ({
  publish: () => {},
  delegate: () =>
    Promise.reject(
      new DelegationUnavailableError('this agent runs outside a Runtime: it cannot delegate'),
    ),
  delegationDepth: 0,
});

export type TaskFunction = (
  input: RunTaskInput,
  context: TaskContext,
) => Promise<TaskOutputInit> | TaskOutputInit;

/** Thrown by a task to fail with a specific code instead of `task_error`. */
export class TaskFailedError extends NerdloopError {
  readonly code = 'task_failed';
  constructor(
    message: string,
    readonly failureCode: AgentFailure['code'] = 'task_error',
  ) {
    super(message);
  }
}

export function createRunTask(
  run: TaskFunction,
  servicesFor: (input: RunTaskInput) => TaskServices = detachedTaskServices,
) {
  return fromCallback<RunTaskEvent, RunTaskInput>(({ input, sendBack, receive }) => {
    const controller = new AbortController();
    receive((event) => {
      if (event.type === 'ABORT') controller.abort(event.reason);
    });
    // XState drops sendBack from a stopped callback, so a task that settles after
    // its agent moved on cannot leak its result into a later task.
    const send = (event: SubAgentEvent) => sendBack(event);
    Promise.resolve()
      .then(() => run(input, { ...servicesFor(input), signal: controller.signal }))
      .then(
        (raw) => {
          const parsed = taskOutputSchema.safeParse(raw);
          if (parsed.success) send({ type: 'TASK.DONE', output: parsed.data });
          else
            send({
              type: 'TASK.FAILED',
              error: {
                code: 'invalid_output',
                message: `task returned an invalid output: ${describeIssues(parsed.error.issues, '(output)')}`,
              },
            });
        },
        (error: unknown) =>
          send({ type: 'TASK.FAILED', error: toFailure(error, controller.signal) }),
      );
    return () => controller.abort('agent stopped');
  });
}

function toFailure(error: unknown, signal: AbortSignal): AgentFailure {
  if (error instanceof TaskFailedError) return { code: error.failureCode, message: error.message };
  if (signal.aborted) return { code: 'cancelled', message: describeUnknownError(signal.reason) };
  const name = error instanceof Error ? `${error.name}: ` : '';
  return { code: 'task_error', message: `${name}${describeUnknownError(error)}` };
}
