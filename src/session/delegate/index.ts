/**
 * The `delegate` tool: an agent hands a self-contained sub-task to a new
 * sub-agent and gets its answer back as the tool's result. The sub-agent is a
 * supervised SubAgent of the same runtime; its failure comes back to the model
 * as this tool's error, and cancelling the call stops it.
 */
import { z } from 'zod';
import { NerdloopError } from '../../core/index.js';
import type { StoreTool } from '../../store/index.js';
import type { TaskServices } from '../task-runner.js';

export const DELEGATE_TOOL = 'delegate';

/** How deep delegation may go by default: an agent's sub-agent may delegate once more. */
export const DEFAULT_MAX_DELEGATION_DEPTH = 2;

export const delegateArgsSchema = z.strictObject({
  task: z
    .string()
    .trim()
    .min(1)
    .max(8_000)
    .describe(
      'The sub-task in plain words, self-contained: the sub-agent sees nothing of this conversation.',
    ),
  persona: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .optional()
    .describe(
      'coder, tester, reviewer or researcher. Leave it out to let the rules route the task.',
    ),
});
export type DelegateArgs = z.infer<typeof delegateArgsSchema>;

export const delegateResultSchema = z.object({
  /** The sub-agent's path in the supervision tree. */
  agent: z.string(),
  persona: z.string(),
  answer: z.string(),
  turns: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
});
export type DelegateResult = z.infer<typeof delegateResultSchema>;

/** The sub-agent ended without an answer; the message says which one and why. */
export class DelegationFailedError extends NerdloopError {
  readonly code = 'delegate_failed';
}

export type DelegateToolOptions = {
  /** The persona a task is routed to when the model names none. */
  readonly route: (task: string) => string;
  readonly delegate: TaskServices['delegate'];
  /** Names each sub-task; called once per delegation. */
  readonly nextTaskId: () => string;
};

export function createDelegateTool(
  options: DelegateToolOptions,
): StoreTool<DelegateArgs, DelegateResult> {
  // The policy gate sees the persona before the call runs; routing once per call
  // keeps what was judged and what runs the same.
  const personaOf = new WeakMap<DelegateArgs, string>();
  const persona = (args: DelegateArgs): string => {
    let chosen = personaOf.get(args);
    if (chosen === undefined) {
      chosen = args.persona ?? options.route(args.task);
      personaOf.set(args, chosen);
    }
    return chosen;
  };
  return {
    name: DELEGATE_TOOL,
    description:
      'Hands an independent sub-task to a new sub-agent working in the same workspace, waits for it, and returns its answer. The sub-agent may not do what your own role may not.',
    parameters: delegateArgsSchema,
    result: delegateResultSchema,
    action: (args) => ({ action: DELEGATE_TOOL, target: persona(args), payload: args.task }),
    // The sub-agent's own loop limits bound it, not the delegator's per-call timeout.
    selfTimed: true,
    async run(args, { signal, terms }) {
      const chosen = persona(args);
      const outcome = await options.delegate(
        {
          persona: chosen,
          task: { id: options.nextTaskId(), prompt: args.task },
          judgedAs: terms,
        },
        { signal },
      );
      if (outcome.status === 'failed')
        throw new DelegationFailedError(
          `sub-agent ${outcome.agentId} (${chosen}) failed with ${outcome.code}: ${outcome.message}`,
        );
      return {
        agent: outcome.agentId,
        persona: chosen,
        answer:
          typeof outcome.result === 'string' ? outcome.result : JSON.stringify(outcome.result),
        turns: outcome.turns,
        tokens: outcome.tokens,
      };
    },
  };
}
