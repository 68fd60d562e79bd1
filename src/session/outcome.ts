/** How a task ended, and what an agent asks for when it hands work to a sub-agent. */
import type { AgentKind, Task } from '../../machines/contracts.js';
import type { StoreMode } from '../store/index.js';

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
  /**
   * The mode the delegating call was judged by: the sub-agent's store can be
   * no looser, so a read-only agent cannot get writes done by delegating.
   */
  readonly mode?: StoreMode;
};
