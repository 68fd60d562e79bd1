/**
 * The machines with their implementations: what `createActor` runs. Machines
 * in `machines/` stay pure; everything with I/O or time is supplied here.
 */
import { type AnyActorLogic, fromPromise } from 'xstate';
import type { RunTaskInput } from '../../machines/contracts.js';
import { type RestoredAgent, spawnerMachine } from '../../machines/spawner.machine.js';
import { subAgentClockActions, subAgentMachine } from '../../machines/subagent.machine.js';
import type { Clock } from '../core/index.js';
import { createRunTask, type TaskFunction, type TaskServices } from './task-runner.js';

export type RestoreFunction = (input: {
  agentId: string;
  systemId: string;
}) => Promise<RestoredAgent>;

export type LogicOptions = {
  runTask: TaskFunction;
  clock: Pick<Clock, 'now'>;
  /** Loads a system agent's last state; without it system agents start fresh. */
  restore?: RestoreFunction;
  /** What each task may do besides its work (report, delegate); default: nothing. */
  servicesFor?: (input: RunTaskInput) => TaskServices;
};

export function createSubAgentLogic(
  options: Pick<LogicOptions, 'runTask' | 'clock' | 'servicesFor'>,
) {
  return subAgentMachine.provide({
    actors: { runTask: createRunTask(options.runTask, options.servicesFor) },
    actions: subAgentClockActions(() => options.clock.now()),
  });
}

export function createSupervisorLogic(options: LogicOptions) {
  const restore: RestoreFunction =
    options.restore ?? (async ({ agentId }) => ({ agentId, state: null }));
  const logic = spawnerMachine.provide({
    actors: {
      subAgent: createSubAgentLogic(options),
      restoreAgent: fromPromise(({ input }: { input: { agentId: string; systemId: string } }) =>
        restore(input),
      ),
    },
  });
  // A supervisor's children may be supervisors of the same kind; provide() has no
  // way to refer to its own result, so the tree's node logic is tied in here.
  (logic.implementations.actors as Record<string, AnyActorLogic>).supervisor = logic;
  return logic;
}

export type SupervisorLogic = ReturnType<typeof createSupervisorLogic>;
