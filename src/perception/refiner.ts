/**
 * Stage 2: the port through which a language model may correct a
 * low-confidence draft. The answer is untrusted model output, so it crosses
 * into the runtime only through `refinerOutputSchema`; every way it can go
 * wrong ends as a typed error in the result, never as a throw.
 */
import { z } from 'zod';
import { describeUnknownError } from '../core/index.js';
import {
  RefinerAbortedError,
  type RefinerError,
  RefinerFailedError,
  RefinerOutputError,
  RefinerUnknownVerbError,
} from './errors.js';
import {
  INTENT_VERBS,
  type Intent,
  intentCategorySchema,
  intentSchema,
  MAX_CONSTRAINT_CHARS,
  MAX_TARGET_CHARS,
} from './intent.js';

export type RefinerRequest = {
  /** The text as stage 1 read it: normalized and cut to `maxInputChars`. */
  readonly text: string;
  readonly draft: Intent;
  /** Every verb the answer may use, `/none` included. */
  readonly verbs: readonly string[];
};

/**
 * Answers with `{ category, verb, target, constraint, confidence }` (see
 * `refinerOutputSchema`). It should stop work when `signal` aborts; the
 * transducer stops waiting either way.
 */
export type IntentRefiner = (
  request: RefinerRequest,
  options: { signal: AbortSignal },
) => Promise<unknown>;

/** The structured output a refiner must produce. Extra keys (a model's "reasoning") are ignored. */
export const refinerOutputSchema = z.object({
  category: intentCategorySchema,
  verb: z.string().min(1),
  target: z.string().max(MAX_TARGET_CHARS),
  constraint: z.string().max(MAX_CONSTRAINT_CHARS),
  confidence: z.number().min(0).max(1),
});

export type RefinerOutput = z.infer<typeof refinerOutputSchema>;

export type RefineOutcome =
  | { readonly ok: true; readonly intent: Intent }
  | { readonly ok: false; readonly error: RefinerError };

type Settled =
  | { kind: 'answer'; value: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'aborted' };

// Models write "fix" or "/Fix" as often as "/fix"; the spelling is not worth a rejection.
function canonicalVerb(verb: string): string {
  const trimmed = verb.trim().toLowerCase();
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function settle(call: Promise<unknown>, signal: AbortSignal): Promise<Settled> {
  return new Promise((resolve) => {
    const onAbort = () => resolve({ kind: 'aborted' });
    // Handlers go on first, so a rejection after an abort is still handled.
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve({ kind: 'answer', value });
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // A refiner that honours the signal rejects with an AbortError; that is an abort, not a failure.
        resolve(signal.aborted ? { kind: 'aborted' } : { kind: 'error', error });
      },
    );
    // The refiner may have aborted the signal itself before we got to listen.
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function aborted(): RefineOutcome {
  return {
    ok: false,
    error: new RefinerAbortedError('the refiner was aborted before it answered'),
  };
}

function judge(answer: unknown, draft: Intent): RefineOutcome {
  const parsed = refinerOutputSchema.safeParse(answer);
  if (!parsed.success) {
    return {
      ok: false,
      error: new RefinerOutputError(`refiner output is invalid: ${z.prettifyError(parsed.error)}`, {
        details: { issues: parsed.error.issues },
      }),
    };
  }
  const verb = canonicalVerb(parsed.data.verb);
  if (!INTENT_VERBS.includes(verb)) {
    return {
      ok: false,
      error: new RefinerUnknownVerbError(`refiner chose ${verb}, which is not in the taxonomy`, {
        details: { verb },
      }),
    };
  }
  const candidate = { ...parsed.data, verb, id: draft.id, source: 'llm' as const };
  const intent = intentSchema.safeParse(candidate);
  if (!intent.success) {
    return {
      ok: false,
      error: new RefinerOutputError(
        `refiner output is inconsistent: ${z.prettifyError(intent.error)}`,
        {
          details: { issues: intent.error.issues },
        },
      ),
    };
  }
  return { ok: true, intent: intent.data };
}

/** Asks `refiner` to improve `request.draft`; resolves, never rejects. */
export async function refine(
  refiner: IntentRefiner,
  request: RefinerRequest,
  signal: AbortSignal | undefined,
): Promise<RefineOutcome> {
  // Without a caller's signal the refiner still gets one, as the port promises.
  const effective = signal ?? new AbortController().signal;
  if (effective.aborted) return aborted();
  let call: Promise<unknown>;
  try {
    call = Promise.resolve(refiner(request, { signal: effective }));
  } catch (error) {
    // A refiner that throws before returning its promise.
    call = Promise.reject(error);
  }
  const settled = await settle(call, effective);
  switch (settled.kind) {
    case 'aborted':
      return aborted();
    case 'error':
      return {
        ok: false,
        error: new RefinerFailedError(`refiner failed: ${describeUnknownError(settled.error)}`, {
          cause: settled.error,
        }),
      };
    case 'answer':
      return judge(settled.value, request.draft);
  }
}
