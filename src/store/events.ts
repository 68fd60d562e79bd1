/**
 * What the store reports about each tool call. The runtime adds the agent's
 * origin (path, parent, depth) when it puts these on `runtime.events$`.
 */
import { z } from 'zod';

const base = { at: z.number(), callId: z.string(), tool: z.string() };

export const storeEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tool.requested'), ...base, argsDigest: z.string() }),
  z.object({
    type: z.literal('tool.permitted'),
    ...base,
    verdict: z.enum(['permitted', 'approved']),
    explanation: z.string(),
  }),
  z.object({
    type: z.literal('tool.denied'),
    ...base,
    reasons: z.array(z.string()),
    explanation: z.string(),
  }),
  z.object({
    type: z.literal('tool.finished'),
    ...base,
    ok: z.boolean(),
    errorCode: z.string().nullable(),
    durationMs: z.number().nonnegative(),
    resultBytes: z.number().int().nonnegative(),
  }),
  /** An audit sink failed to record a call; the call itself went on. */
  z.object({ type: z.literal('audit.failed'), ...base, message: z.string() }),
]);
export type StoreEvent = z.infer<typeof storeEventSchema>;
