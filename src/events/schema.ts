/**
 * RuntimeEvent: everything that happens in a nerdloop runtime, as one typed
 * union. The schema is the contract for observers that cross a process
 * boundary (JSON lines, a dashboard); in-process observers get typed objects.
 */
import { z } from 'zod';
import {
  agentFailureSchema,
  escalationSchema,
  restartTypeSchema,
  supervisorErrorCodeSchema,
} from '../../machines/contracts.js';

const base = {
  /** Milliseconds from the runtime's clock. */
  at: z.number(),
  /** The actor's path in the supervision tree, e.g. `root/team/agent-1`. */
  agentId: z.string(),
  parentId: z.string().nullable(),
  /** 0 for the root supervisor, 1 for its children, and so on. */
  depth: z.number().int().nonnegative(),
};

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...base, ...shape });

export const runtimeEventSchema = z.discriminatedUnion('type', [
  event('agent.spawned', {
    role: z.enum(['agent', 'supervisor']),
    restart: restartTypeSchema,
    attempt: z.number().int().nonnegative(),
  }),
  event('agent.state_changed', { from: z.string().nullable(), to: z.string() }),
  event('agent.exited', { exit: z.enum(['normal', 'abnormal', 'requested']), reason: z.string() }),
  event('agent.restarting', { delayMs: z.number(), attempt: z.number().int() }),
  event('agent.killed', { reason: z.string() }),
  event('task.started', { taskId: z.string() }),
  event('task.completed', {
    taskId: z.string(),
    result: z.unknown(),
    tokens: z.number().int(),
    turns: z.number().int(),
  }),
  event('task.failed', { taskId: z.string().nullable(), error: agentFailureSchema }),
  event('spawn.queued', { position: z.number().int() }),
  event('spawn.rejected', { code: supervisorErrorCodeSchema, message: z.string() }),
  event('supervisor.escalated', { error: escalationSchema }),
  event('supervisor.stopped', {}),
  event('snapshot.saved', { bytes: z.number().int().nonnegative() }),
  event('snapshot.restored', { tasksCompleted: z.number().int().nonnegative() }),
  event('snapshot.corrupt', { message: z.string(), movedTo: z.string().nullable() }),
  event('snapshot.failed', { message: z.string() }),
  event('stage.started', { stage: z.string() }),
  event('stage.finished', { stage: z.string(), ok: z.boolean(), durationMs: z.number() }),
  // The VirtualStore's events (src/store/events.ts), with the agent's origin added.
  event('tool.requested', { callId: z.string(), tool: z.string(), argsDigest: z.string() }),
  event('tool.permitted', {
    callId: z.string(),
    tool: z.string(),
    verdict: z.enum(['permitted', 'approved']),
    explanation: z.string(),
  }),
  event('tool.denied', {
    callId: z.string(),
    tool: z.string(),
    reasons: z.array(z.string()),
    explanation: z.string(),
  }),
  event('tool.finished', {
    callId: z.string(),
    tool: z.string(),
    ok: z.boolean(),
    errorCode: z.string().nullable(),
    durationMs: z.number(),
    resultBytes: z.number().int().nonnegative(),
  }),
  event('tool.batch', { tools: z.array(z.string()), failed: z.number().int().nonnegative() }),
  event('audit.failed', { callId: z.string(), tool: z.string(), message: z.string() }),
  event('llm.delta', { text: z.string() }),
  event('llm.usage', {
    promptTokens: z.number().int().nonnegative(),
    completionTokens: z.number().int().nonnegative(),
  }),
  event('runtime.error', { code: z.string(), message: z.string() }),
  // A rule file of the agent's broke a declared bound, loaded with `bounds: 'warn'`.
  event('kernel.warning', {
    code: z.string(),
    message: z.string(),
    predicate: z.string(),
    /** `file:line:column` of the fact or rule the tuple came from, when known. */
    source: z.string().nullable(),
  }),
]);

export type RuntimeEvent = z.infer<typeof runtimeEventSchema>;
export type RuntimeEventType = RuntimeEvent['type'];
export type RuntimeEventOf<T extends RuntimeEventType> = Extract<RuntimeEvent, { type: T }>;

/** The fields every event carries besides its type and payload. */
export type EventOrigin = Pick<RuntimeEvent, 'at' | 'agentId' | 'parentId' | 'depth'>;

/** The events an agent's task reports about its own work: loop stages, model calls, tool calls. */
export const AGENT_ACTIVITY_TYPES = [
  'stage.started',
  'stage.finished',
  'tool.requested',
  'tool.permitted',
  'tool.denied',
  'tool.finished',
  'tool.batch',
  'audit.failed',
  'llm.delta',
  'llm.usage',
  'kernel.warning',
] as const satisfies readonly RuntimeEventType[];

type ActivityEvent = RuntimeEventOf<(typeof AGENT_ACTIVITY_TYPES)[number]>;

/**
 * An activity event as the task reports it: the runtime adds the agent's path,
 * parent and depth, and the time unless the task stamped it.
 */
export type AgentActivity = ActivityEvent extends infer Event
  ? Event extends ActivityEvent
    ? Omit<Event, keyof EventOrigin> & { at?: number }
    : never
  : never;
