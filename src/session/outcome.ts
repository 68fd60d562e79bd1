/** How a task ended, and what an agent asks for when it hands work to a sub-agent. */
import type { AgentKind, Task } from '../../machines/contracts.js';

export type TaskOutcome =
  | {
      status: 'completed';
      agentId: string;
      taskId: string;
      result: unknown;
      tokens: number;
      turns: number;
    }
  | { status: 'failed'; agentId: string; taskId: string | null; code: string; message: string };

export type DelegationRequest = {
  /** The sub-agent's persona: its policy and prompt follow it. */
  readonly persona: string;
  readonly task: Task;
  /** Default `ephemeral`: the sub-agent exists for this one task. */
  readonly kind?: AgentKind;
};
