/** The offline model's options, read through a zod schema like every other boundary. */
import { z } from 'zod';
import { NerdloopError } from '../../core/index.js';

export class InvalidOfflineOptionsError extends NerdloopError {
  readonly code = 'offline_invalid_options';
}

const count = (max: number, fallback: number) =>
  z.number().int().positive().max(max).default(fallback);

export const offlineOptionsSchema = z.strictObject({
  /** The name completions report as `model`; the model's `id` is always `offline`. */
  model: z.string().min(1).default('offline'),
  /** How many source files a review reads. */
  maxFilesToRead: count(500, 20),
  /** How many of the best-matching files research reads. */
  researchFilesToRead: count(50, 3),
  /** A function longer than this many lines is reported. */
  longFunctionLines: count(1_000_000, 80),
  /** A file longer than this many lines is reported. */
  longFileLines: count(10_000_000, 500),
  /** A tool result longer than this is treated as empty, so one huge file cannot stall the rules. */
  maxToolResultChars: count(1_000_000_000, 1_000_000),
  /** How many trailing lines of a test run's output the answer quotes. */
  outputTailLines: count(10_000, 20),
  /** Tool-call steps per user turn before the model answers with what it has. */
  maxSteps: count(1000, 8),
  /** How many entries one section of an answer lists before it says "and N more". */
  maxListed: count(10_000, 50),
});

export type OfflineModelOptions = z.input<typeof offlineOptionsSchema>;
export type OfflineSettings = z.output<typeof offlineOptionsSchema>;

export function readOfflineOptions(options: unknown): OfflineSettings {
  const parsed = offlineOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new InvalidOfflineOptionsError(
      `invalid offline model options: ${z.prettifyError(parsed.error)}`,
      { details: { issues: parsed.error.issues } },
    );
  }
  return parsed.data;
}
