/**
 * The demo's supervision tree and the tasks it expects to see end:
 *
 *   root (one_for_one)
 *   ├── team (supervisor)        N ephemeral agents, one task each
 *   ├── analyst (persistent)     two tasks in sequence; the second sees the first in its history
 *   └── flaky (transient)        fails its first attempt; the restart retries and completes
 */
import type { AgentSpecInit, SupervisorSpecInit, Task } from '../../machines/contracts.js';
import { childSystemId } from '../../machines/spawner.machine.js';
import { type DemoPersona, demoPersonas } from './demo-tasks.js';

export type PlannedTask = {
  /** Path of the agent in the tree, e.g. `root/team/reviewer`. */
  agent: string;
  task: Task;
  /** Failures the plan expects before the task completes. */
  expectedFailures: number;
  /** Whether a restart gives the task another attempt (an ephemeral agent that is restarted). */
  retriedOnRestart: boolean;
};

export type DemoPlan = {
  team: { spec: SupervisorSpecInit; path: string; agents: AgentSpecInit[] };
  /** Started by the demo one after the other, not by their specs. */
  analyst: { spec: AgentSpecInit; path: string; tasks: Task[] };
  flaky: { spec: AgentSpecInit; path: string };
  tasks: PlannedTask[];
};

export const maxTeamAgents = 32;

const personaTask: Record<DemoPersona, { id: string; prompt: string }> = {
  reviewer: { id: 'review', prompt: 'list the files and count TODO/FIXME lines' },
  tester: { id: 'find-tests', prompt: 'count the test files' },
  researcher: { id: 'count-lines', prompt: 'count lines per file extension' },
};

export function planDemo(options: { rootId: string; agents: number }): DemoPlan {
  const { rootId } = options;
  const teamPath = childSystemId(rootId, 'team');
  const agents: AgentSpecInit[] = [];
  const tasks: PlannedTask[] = [];
  for (let index = 0; index < options.agents; index++) {
    const persona = demoPersonas[index % demoPersonas.length] ?? 'reviewer';
    const round = Math.floor(index / demoPersonas.length) + 1;
    const suffix = round === 1 ? '' : `-${round}`;
    const task = {
      id: `${personaTask[persona].id}${suffix}`,
      prompt: personaTask[persona].prompt,
    };
    const id = `${persona}${suffix}`;
    agents.push({ type: 'agent', id, kind: 'ephemeral', persona, task });
    tasks.push({
      agent: childSystemId(teamPath, id),
      task,
      expectedFailures: 0,
      retriedOnRestart: false,
    });
  }

  const analystPath = childSystemId(rootId, 'analyst');
  const analystTasks: Task[] = [
    { id: 'survey-1', prompt: 'count lines per file extension' },
    { id: 'survey-2', prompt: 'count them again and compare with the last survey' },
  ];
  for (const task of analystTasks) {
    tasks.push({ agent: analystPath, task, expectedFailures: 0, retriedOnRestart: false });
  }

  const flakyPath = childSystemId(rootId, 'flaky');
  const flakyTask: Task = {
    id: 'retry-tests',
    prompt: 'count the test files (the first attempt fails on purpose)',
    data: { failFirstAttempts: 1 },
  };
  tasks.push({ agent: flakyPath, task: flakyTask, expectedFailures: 1, retriedOnRestart: true });

  return {
    team: {
      spec: { type: 'supervisor', id: 'team', config: { strategy: 'one_for_one' } },
      path: teamPath,
      agents,
    },
    analyst: {
      spec: { type: 'agent', id: 'analyst', kind: 'persistent', persona: 'researcher' },
      path: analystPath,
      tasks: analystTasks,
    },
    flaky: {
      // Ephemeral agents are `temporary` by default; `transient` restarts one that failed.
      spec: {
        type: 'agent',
        id: 'flaky',
        kind: 'ephemeral',
        restart: 'transient',
        persona: 'tester',
        task: flakyTask,
      },
      path: flakyPath,
    },
    tasks,
  };
}
