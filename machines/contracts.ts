/**
 * The data contracts of nerdloop's machines. Every event, input and output that
 * crosses a machine boundary is a zod schema here; TypeScript types are inferred
 * from them so the runtime and the machines cannot drift apart.
 */
import { z } from 'zod';

export const agentKindSchema = z.enum(['ephemeral', 'persistent', 'system']);
export type AgentKind = z.infer<typeof agentKindSchema>;

/** OTP restart types: when a supervisor restarts a child that has ended. */
export const restartTypeSchema = z.enum(['temporary', 'transient', 'permanent']);
export type RestartType = z.infer<typeof restartTypeSchema>;

export const historyEntrySchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const taskSchema = z.object({
  id: z.string().min(1),
  prompt: z.string(),
  data: z.unknown().optional(),
});
export type Task = z.infer<typeof taskSchema>;

/** What a task function returns; checked before it reaches the machine. */
export const taskOutputSchema = z.object({
  result: z.unknown(),
  tokens: z.number().int().nonnegative().default(0),
  turns: z.number().int().nonnegative().default(1),
  messages: z.array(historyEntrySchema).optional(),
});
export type TaskOutput = z.infer<typeof taskOutputSchema>;

export const agentFailureCodeSchema = z.enum([
  'timeout',
  'cancelled',
  'max_turns',
  'task_error',
  'invalid_output',
  'crashed',
]);
export type AgentFailureCode = z.infer<typeof agentFailureCodeSchema>;

export const agentFailureSchema = z.object({
  code: agentFailureCodeSchema,
  message: z.string(),
  taskId: z.string().optional(),
});
export type AgentFailure = z.infer<typeof agentFailureSchema>;

export const agentMetricsSchema = z.object({
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  tokens: z.number().int().nonnegative(),
  tasksCompleted: z.number().int().nonnegative(),
});
export type AgentMetrics = z.infer<typeof agentMetricsSchema>;

export const subAgentInputSchema = z.object({
  id: z.string().min(1),
  /** The agent's path in the supervision tree (its system id); the spawner sets it. */
  path: z.string().min(1).optional(),
  name: z.string().min(1),
  kind: agentKindSchema,
  persona: z.string().min(1),
  maxTurns: z.number().int().positive().default(25),
  timeoutMs: z.number().int().positive().default(300_000),
  history: z.array(historyEntrySchema).default([]),
  turns: z.number().int().nonnegative().default(0),
  tokens: z.number().int().nonnegative().default(0),
  tasksCompleted: z.number().int().nonnegative().default(0),
});
/** Input as callers write it (defaults optional) and as the machine sees it. */
export type SubAgentInit = z.input<typeof subAgentInputSchema>;
export type SubAgentInput = z.output<typeof subAgentInputSchema>;

export const subAgentContextSchema = z.object({
  id: z.string(),
  path: z.string(),
  name: z.string(),
  kind: agentKindSchema,
  persona: z.string(),
  maxTurns: z.number().int().positive(),
  timeoutMs: z.number().int().positive(),
  history: z.array(historyEntrySchema),
  turns: z.number().int().nonnegative(),
  task: taskSchema.nullable(),
  result: z.unknown(),
  error: agentFailureSchema.nullable(),
  metrics: agentMetricsSchema,
});
export type SubAgentContext = z.infer<typeof subAgentContextSchema>;

export const subAgentOutputSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('completed'), taskId: z.string().nullable(), result: z.unknown() }),
  z.object({ status: z.literal('failed'), error: agentFailureSchema }),
]);
export type SubAgentOutput = z.infer<typeof subAgentOutputSchema>;

/** Events a SubAgent accepts from outside. */
export type SubAgentEvent =
  | { type: 'START'; task: Task }
  | { type: 'CANCEL'; reason: string }
  | { type: 'TASK.DONE'; output: TaskOutput }
  | { type: 'TASK.FAILED'; error: AgentFailure };

/** Events the invoked runTask actor receives. */
export type RunTaskEvent = { type: 'ABORT'; reason: string };

export type RunTaskInput = {
  agentId: string;
  /** Where the agent sits in the supervision tree, e.g. `root/team/a1`: what its events carry. */
  agentPath: string;
  persona: string;
  kind: AgentKind;
  task: Task;
  history: HistoryEntry[];
};

/** Domain events a SubAgent emits; the runtime turns them into RuntimeEvents. */
export type SubAgentEmitted =
  | { type: 'task.started'; agentId: string; taskId: string }
  | {
      type: 'task.completed';
      agentId: string;
      taskId: string;
      result: unknown;
      tokens: number;
      turns: number;
    }
  | { type: 'task.failed'; agentId: string; taskId: string | null; error: AgentFailure };

// ---------------------------------------------------------------- supervisor

export const strategySchema = z.enum(['one_for_one', 'one_for_all', 'rest_for_one']);
export type Strategy = z.infer<typeof strategySchema>;

export const backoffSchema = z.object({
  initialMs: z.number().int().nonnegative().default(50),
  factor: z.number().min(1).default(2),
  maxMs: z.number().int().nonnegative().default(5_000),
});

export const supervisorConfigSchema = z.object({
  strategy: strategySchema.default('one_for_one'),
  /** Restart intensity: at most `maxRestarts` restarts within `periodMs`. */
  maxRestarts: z.number().int().nonnegative().default(3),
  periodMs: z.number().int().positive().default(5_000),
  backoff: backoffSchema.default({ initialMs: 50, factor: 2, maxMs: 5_000 }),
  maxConcurrent: z.number().int().positive().default(64),
  /** What SPAWN does at the concurrency limit: wait in a queue, or be refused. */
  overflow: z.enum(['queue', 'reject']).default('queue'),
  maxQueue: z.number().int().nonnegative().default(10_000),
  shutdownTimeoutMs: z.number().int().nonnegative().default(5_000),
});
export type SupervisorConfigInit = z.input<typeof supervisorConfigSchema>;
export type SupervisorConfig = z.output<typeof supervisorConfigSchema>;

const defaultRestartForKind = {
  ephemeral: 'temporary',
  persistent: 'transient',
  system: 'permanent',
} as const;
export const restartTypeForKind = (kind: AgentKind): RestartType => defaultRestartForKind[kind];

export const agentSpecSchema = z.object({
  type: z.literal('agent'),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'an id of letters, digits, _ . : -'),
  name: z.string().min(1).optional(),
  kind: agentKindSchema.default('ephemeral'),
  persona: z.string().min(1).default('coder'),
  restart: restartTypeSchema.optional(),
  maxTurns: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  history: z.array(historyEntrySchema).optional(),
  task: taskSchema.optional(),
});
export type AgentSpecInit = z.input<typeof agentSpecSchema>;
export type AgentSpec = z.output<typeof agentSpecSchema>;

const supervisorSpecFields = z.object({
  type: z.literal('supervisor'),
  id: agentSpecSchema.shape.id,
  restart: restartTypeSchema.default('permanent'),
  config: supervisorConfigSchema.default(supervisorConfigSchema.parse({})),
});
// Recursive: a supervisor's static children may be supervisors. TypeScript
// cannot infer through that cycle, so only `children` is typed by hand.
export type SupervisorSpec = z.output<typeof supervisorSpecFields> & { children: ChildSpec[] };
export type SupervisorSpecInit = z.input<typeof supervisorSpecFields> & {
  children?: ChildSpecInit[] | undefined;
};
export type ChildSpec = AgentSpec | SupervisorSpec;
export type ChildSpecInit = AgentSpecInit | SupervisorSpecInit;

export const supervisorSpecSchema = supervisorSpecFields.extend({
  /**
   * Started, in order, whenever this supervisor starts — also when it is
   * restarted, as OTP's init/1 does. Children added later with SPAWN are not
   * part of the spec and do not come back after a restart.
   */
  get children(): z.ZodDefault<z.ZodArray<z.ZodType<ChildSpec, ChildSpecInit>>> {
    return z.array(childSpecSchema).default([]);
  },
});

export const childSpecSchema: z.ZodType<ChildSpec, ChildSpecInit> = z.discriminatedUnion('type', [
  agentSpecSchema,
  supervisorSpecSchema,
]);

export const supervisorInputSchema = z.object({
  id: z.string().min(1).default('root'),
  depth: z.number().int().nonnegative().default(0),
  config: supervisorConfigSchema.default(supervisorConfigSchema.parse({})),
  children: z.array(childSpecSchema).default([]),
});
export type SupervisorInit = z.input<typeof supervisorInputSchema>;
export type SupervisorInput = z.output<typeof supervisorInputSchema>;

export const supervisorErrorCodeSchema = z.enum([
  'invalid_spawn',
  'duplicate_id',
  'spawn_limit_reached',
  'unknown_child',
  'shutting_down',
]);
export type SupervisorErrorCode = z.infer<typeof supervisorErrorCodeSchema>;

export const escalationSchema = z.object({
  code: z.literal('restart_intensity_exceeded'),
  supervisorId: z.string(),
  childId: z.string(),
  restarts: z.number().int(),
  periodMs: z.number().int(),
  reason: z.string(),
});
export type Escalation = z.infer<typeof escalationSchema>;

export const supervisorOutputSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('stopped') }),
  z.object({ status: z.literal('failed'), error: escalationSchema }),
]);
export type SupervisorOutput = z.infer<typeof supervisorOutputSchema>;
