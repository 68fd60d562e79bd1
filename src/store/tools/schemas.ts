/** Schema pieces the file tools share. */
import { z } from 'zod';

export const pathArgument = (what: string) =>
  z.string().min(1).describe(`${what}, relative to the workspace root (or absolute inside it).`);

/** The contract's `Truncation`: output that was cut says so, with how much when that is known. */
export const truncationSchema = z.object({
  truncated: z.boolean(),
  omitted: z.number().int().nonnegative().optional(),
});

/**
 * Truncation of a walk (list_files, search). `omitted` is never set: the walk
 * stops at the cap instead of counting what it would have found.
 */
export const walkTruncationSchema = truncationSchema.extend({
  reason: z
    .enum(['max_entries', 'max_matches', 'max_files', 'scan_limit', 'aborted'])
    .optional()
    .describe('Why the result is incomplete; absent when it is complete.'),
});
export type WalkTruncation = z.infer<typeof walkTruncationSchema>;

export const entryTypeSchema = z.enum(['file', 'dir', 'symlink']);
