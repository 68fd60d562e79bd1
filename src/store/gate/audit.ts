/**
 * The audit log: one entry per tool call, executed, denied or invalid. Entries go to an RxJS stream and to any sinks (a JSON-lines file, …).
 */
import { appendFile } from 'node:fs/promises';
import { Subject } from 'rxjs';
import { z } from 'zod';
import { canonicalDigest } from '../../core/index.js';

export const auditEntrySchema = z.object({
  at: z.number(),
  callId: z.string(),
  tool: z.string(),
  /** sha256 of the canonical JSON of the arguments: what ran, without storing file contents. */
  argsDigest: z.string(),
  verdict: z.enum(['permitted', 'approved', 'denied', 'invalid']),
  reasons: z.array(z.string()),
  ok: z.boolean(),
  errorCode: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  resultBytes: z.number().int().nonnegative(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export interface AuditSink {
  write(entry: AuditEntry): Promise<void> | void;
}

/** Appends each entry as one JSON line; appends are serialized so lines never interleave. */
export function jsonLinesAuditSink(path: string): AuditSink {
  let tail: Promise<void> = Promise.resolve();
  return {
    write(entry) {
      // One failed append must not poison the chain: the next entry tries again.
      const write = tail
        .catch(() => undefined)
        .then(() => appendFile(path, `${JSON.stringify(entry)}\n`, 'utf8'));
      tail = write;
      return write;
    },
  };
}

export class AuditLog {
  readonly #entries = new Subject<AuditEntry>();
  readonly entries$ = this.#entries.asObservable();
  readonly #sinks: readonly AuditSink[];

  constructor(sinks: readonly AuditSink[] = []) {
    this.#sinks = sinks;
  }

  /**
   * Publishes the entry and writes it to every sink. A sink that fails does
   * not fail the call it audits: its error is returned for the caller to report.
   */
  async append(entry: AuditEntry): Promise<unknown[]> {
    this.#entries.next(entry);
    const results = await Promise.allSettled(this.#sinks.map(async (sink) => sink.write(entry)));
    return results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  }

  close(): void {
    this.#entries.complete();
  }
}

/** sha256 of the canonical JSON of the arguments. */
export const digestArgs = (args: unknown): string => canonicalDigest(args);
