/** What `Executor.process` resolves with: the loop's output, flattened for callers. */
import { z } from 'zod';
import {
  type LoopOutput,
  loopErrorSchema,
  stopReasonSchema,
} from '../../../machines/loop.contracts.js';
import { usageSchema } from '../../llm/index.js';
import { intentSchema } from '../../perception/index.js';

export const executionStatusSchema = z.enum(['done', 'stopped', 'failed']);
export type ExecutionStatus = z.infer<typeof executionStatusSchema>;

export const executionResultSchema = z.object({
  status: executionStatusSchema,
  /** Null when the run ended before OBSERVE produced one. */
  intent: intentSchema.nullable(),
  /** The persona the kernel routed to; null before ORIENT finished. */
  persona: z.string().nullable(),
  /** The final answer; null unless the run is `done`. */
  response: z.string().nullable(),
  /** Tool calls handed to the store, over all batches. */
  toolCalls: z.number().int().nonnegative(),
  /** Model calls made. */
  turns: z.number().int().nonnegative(),
  usage: usageSchema,
  durationMs: z.number().nonnegative(),
  stoppedBy: stopReasonSchema.nullable(),
  error: loopErrorSchema.nullable(),
});
export type ExecutionResult = z.infer<typeof executionResultSchema>;

export type RunFacts = {
  readonly intent: unknown;
  readonly persona: string | null;
  readonly durationMs: number;
};

export function toExecutionResult(output: LoopOutput, facts: RunFacts): ExecutionResult {
  const parsedIntent = intentSchema.safeParse(facts.intent);
  const common = {
    intent: parsedIntent.success ? parsedIntent.data : null,
    persona: facts.persona,
    toolCalls: output.toolCalls,
    turns: output.turns,
    usage: output.usage,
    // A simulated clock may stand still or be set back between runs.
    durationMs: Math.max(0, facts.durationMs),
  };
  switch (output.status) {
    case 'done':
      return executionResultSchema.parse({
        ...common,
        status: 'done',
        response: output.response,
        stoppedBy: null,
        error: null,
      });
    case 'stopped':
      return executionResultSchema.parse({
        ...common,
        status: 'stopped',
        response: null,
        stoppedBy: output.stoppedBy,
        error: null,
      });
    case 'failed':
      return executionResultSchema.parse({
        ...common,
        status: 'failed',
        response: null,
        stoppedBy: null,
        error: { stage: output.stage, message: output.message },
      });
  }
}
