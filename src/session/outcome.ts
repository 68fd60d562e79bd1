/** How a task ended, and what an agent asks for when it hands work to a sub-agent. */
import type { AgentKind, Task } from '../../machines/contracts.js';
import type { CallTerms, StoreMode } from '../store/index.js';

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
   * The persona and mode the delegating call was judged by. The sub-agent's
   * store can be no looser than that mode, and its calls must be permitted
   * for that persona too: an agent cannot get done by delegating what it may
   * not do itself.
   */
  readonly judgedAs?: CallTerms;
};

/** What a sub-agent inherits from the agents above it. */
export type Inheritance = {
  /** The strictest mode a delegating call above was judged by: the sub-agent's store may be no looser. */
  readonly mode?: StoreMode;
  /** The personas of every delegator above, farthest first: each call must be permitted for them too. */
  readonly personas: readonly string[];
};
