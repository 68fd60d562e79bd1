/**
 * The data contracts of the loop machine (`loop.machine.ts`): its input and
 * limits, its context, what each stage actor takes and returns, its output and
 * the domain events it emits. Types are inferred from the zod schemas so the
 * Executor and the machine cannot drift apart.
 */
import { z } from 'zod';
// port.ts rather than the llm index: the index also loads the openai adapter and
// the test server, which a pure machine definition has no use for.
import {
  type ChatMessage,
  type Completion,
  chatMessageSchema,
  completionSchema,
  type ToolCall,
  toolCallSchema,
  type Usage,
  usageSchema,
} from '../src/llm/port.js';

export type { ChatMessage, Completion, ToolCall, Usage };

/** The stages, named as the actors that run them. */
export const loopStageSchema = z.enum([
  'observe',
  'orient',
  'jit',
  'callModel',
  'executeTools',
  'respond',
]);
export type LoopStage = z.infer<typeof loopStageSchema>;

export const loopLimitsSchema = z.object({
  /** Model calls per run. */
  maxTurns: z.number().int().positive().default(25),
  /** Tool calls per run, over all batches. */
  maxToolCalls: z.number().int().nonnegative().default(60),
  /** Prompt plus completion tokens per run, as the completions report them. */
  tokenBudget: z.number().int().positive().default(200_000),
  /** Wall clock for the whole run, every stage included. */
  timeoutMs: z.number().int().positive().default(300_000),
  /**
   * How many times in a row the same call with the same result means the loop
   * is stuck; a ping-pong between two such calls is stuck after twice as many.
   */
  stuckRepeats: z.number().int().min(2).default(3),
  /** Tools whose repeated identical calls are expected (waiting on a job) and never stuck. */
  pollingTools: z.array(z.string()).default([]),
});
export type LoopLimitsInit = z.input<typeof loopLimitsSchema>;
export type LoopLimits = z.output<typeof loopLimitsSchema>;

export const loopInputSchema = z.object({
  task: z.string().min(1),
  /** Earlier turns of a persistent agent's conversation, placed before the task. */
  history: z.array(chatMessageSchema).default([]),
  limits: loopLimitsSchema.default(loopLimitsSchema.parse({})),
});
/** Input as callers write it (defaults optional) and as the machine sees it. */
export type LoopInit = z.input<typeof loopInputSchema>;
export type LoopInput = z.output<typeof loopInputSchema>;

/** Why a run ended early: each limit, a loop that repeats itself, or a CANCEL. */
export const stopReasonSchema = z.enum([
  'max_turns',
  'max_tool_calls',
  'token_budget',
  'timeout',
  'stuck',
  'cancelled',
]);
export type StopReason = z.infer<typeof stopReasonSchema>;

export const loopErrorSchema = z.object({ stage: loopStageSchema, message: z.string() });
export type LoopError = z.infer<typeof loopErrorSchema>;

/**
 * One executed tool call as the stuck check remembers it: digests, not the
 * arguments and results themselves, which may be whole files.
 */
export const recentCallSchema = z.object({
  tool: z.string(),
  args: z.string(),
  result: z.string(),
});
export type RecentCall = z.infer<typeof recentCallSchema>;

/** A tool call's outcome, as the VirtualStore's ToolOutcome. */
export const loopToolResultSchema = z.discriminatedUnion('ok', [
  z.object({ callId: z.string(), tool: z.string(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    callId: z.string(),
    tool: z.string(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export type LoopToolResult = z.infer<typeof loopToolResultSchema>;

// ------------------------------------------------------------------- stages

export type ObserveInput = { task: string };
/** The transducer's intent; the machine carries it and never looks inside. */
export type ObserveOutput = unknown;

export type OrientInput = { task: string; intent: unknown };
/** What the kernel made of the intent (routing, config, compilation context); opaque here. */
export type OrientOutput = unknown;

export type JitInput = { task: string; intent: unknown; orientation: unknown };
export const jitOutputSchema = z.object({
  systemPrompt: z.string(),
  /** Names of the tools the model is offered. */
  tools: z.array(z.string()).default([]),
  /**
   * The AgentConfig's limits for this task; each replaces the input's. The
   * timeout is not among them: its timer started with the run.
   */
  limits: loopLimitsSchema
    .pick({ maxTurns: true, maxToolCalls: true, tokenBudget: true })
    .partial()
    .optional(),
});
export type JitOutput = z.input<typeof jitOutputSchema>;

export type CallModelInput = { messages: ChatMessage[]; tools: string[]; turn: number };
export type CallModelOutput = Completion;

export type ExecuteToolsInput = { calls: ToolCall[] };
/** One result per call, in call order (a missing one is answered as an error). */
export type ExecuteToolsOutput = LoopToolResult[];

export type RespondInput = { task: string; intent: unknown; text: string; messages: ChatMessage[] };
/** The final response to the user. */
export type RespondOutput = string;

/**
 * What each stage's actor must resolve with. The machine trusts its actors'
 * outputs; the Executor parses with these inside each actor, so a bad output
 * fails that stage instead of the machine.
 */
export const loopStageOutputSchemas = {
  observe: z.unknown(),
  orient: z.unknown(),
  jit: jitOutputSchema,
  callModel: completionSchema,
  executeTools: z.array(loopToolResultSchema),
  respond: z.string(),
} satisfies Record<LoopStage, z.ZodType>;

// ------------------------------------------------------------------ context

export const loopContextSchema = z.object({
  task: z.string(),
  intent: z.unknown(),
  orientation: z.unknown(),
  systemPrompt: z.string().nullable(),
  tools: z.array(z.string()),
  messages: z.array(chatMessageSchema),
  /** The tool calls of the last completion, until their results are in. */
  pendingCalls: z.array(toolCallSchema),
  /** Model calls made. */
  turns: z.number().int().nonnegative(),
  /** Tool calls handed to executeTools. */
  toolCallCount: z.number().int().nonnegative(),
  usage: usageSchema,
  limits: loopLimitsSchema,
  /** The last executed calls, oldest first, as many as the stuck check looks at. */
  recentCalls: z.array(recentCallSchema),
  response: z.string().nullable(),
  /** The stage running now, or the last one that ran. */
  stage: loopStageSchema.nullable(),
  /** When the current stage started, by the machine's clock actions. */
  stageStartedAt: z.number().nullable(),
  stoppedBy: stopReasonSchema.nullable(),
  stopMessage: z.string().nullable(),
  error: loopErrorSchema.nullable(),
});
export type LoopContext = z.infer<typeof loopContextSchema>;

// ------------------------------------------------------------------- output

const totals = {
  turns: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  usage: usageSchema,
  /** The whole conversation, system prompt first. */
  messages: z.array(chatMessageSchema),
};

export const loopOutputSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('done'), response: z.string(), ...totals }),
  z.object({
    status: z.literal('stopped'),
    stoppedBy: stopReasonSchema,
    message: z.string(),
    /** The stage that was running when the run stopped. */
    stage: loopStageSchema.nullable(),
    ...totals,
  }),
  z.object({ status: z.literal('failed'), stage: loopStageSchema, message: z.string(), ...totals }),
]);
export type LoopOutput = z.infer<typeof loopOutputSchema>;

// ------------------------------------------------------------------- events

/** Events the loop accepts from outside. */
export type LoopEvent = { type: 'CANCEL'; reason?: string };

/**
 * Domain events for observers; the runtime adds `at` and the agent's origin
 * (`src/events/schema.ts`). `tool.batch` sums up one executeTools round; the
 * store reports each call itself.
 */
export type LoopEmitted =
  | { type: 'stage.started'; stage: LoopStage }
  | { type: 'stage.finished'; stage: LoopStage; ok: boolean; durationMs: number }
  | { type: 'llm.usage'; promptTokens: number; completionTokens: number }
  | { type: 'tool.batch'; tools: string[]; failed: number };
