/**
 * The Transducer: natural language in, one `user_intent` out. Stage 1 reads
 * patterns; stage 2 asks the optional refiner when stage 1 is unsure. It
 * throws only for bad options at creation, never for any text.
 */
import { z } from 'zod';
import { describeUnknownError, type IdGenerator, randomIds } from '../core/index.js';
import { InvalidTransducerOptionsError, RefinerFailedError } from './errors.js';
import { INTENT_VERBS, type Intent } from './intent.js';
import type { TransduceNote } from './notes.js';
import { recognize } from './recognize.js';
import { type IntentRefiner, type RefineOutcome, type RefinerRequest, refine } from './refiner.js';
import { NO_VERB } from './verbs.js';

export const DEFAULT_REFINE_BELOW = 0.6;
export const DEFAULT_MAX_INPUT_CHARS = 20_000;
const ID_PREFIX = 'intent';

export type TransducerOptions = {
  /** Makes intent ids; `sequentialIds()` in tests. Defaults to `randomIds`. */
  ids?: IdGenerator;
  refiner?: IntentRefiner;
  /** The refiner is asked when stage-1 confidence is below this (0..1). */
  refineBelow?: number;
  /** Longer input is cut to this many UTF-16 units before matching. */
  maxInputChars?: number;
};

export type TransduceOptions = {
  /** Aborting stops the wait for the refiner; the stage-1 draft is returned. */
  signal?: AbortSignal;
};

export type TransduceResult = {
  /** The refined intent when the refiner's answer was accepted, otherwise the draft. */
  readonly intent: Intent;
  /** What stage 1 read, before any refinement. */
  readonly draft: Intent;
  readonly notes: readonly TransduceNote[];
};

export interface Transducer {
  transduce(text: string, options?: TransduceOptions): Promise<TransduceResult>;
  /** Stage 1 only: pattern matching, no refiner, synchronous. */
  transduceSync(text: string): Intent;
}

const isFunction = (value: unknown) => typeof value === 'function';

const optionsSchema = z.object({
  ids: z.custom<IdGenerator>(isFunction, 'ids must be a function').optional(),
  refiner: z.custom<IntentRefiner>(isFunction, 'refiner must be a function').optional(),
  refineBelow: z.number().min(0).max(1).default(DEFAULT_REFINE_BELOW),
  maxInputChars: z.number().int().positive().default(DEFAULT_MAX_INPUT_CHARS),
});

// `refine` resolves by design; this guards the promise of "never rejects" against its bugs too.
async function refineSafely(
  refiner: IntentRefiner,
  request: RefinerRequest,
  signal: AbortSignal | undefined,
): Promise<RefineOutcome> {
  try {
    return await refine(refiner, request, signal);
  } catch (error) {
    return {
      ok: false,
      error: new RefinerFailedError(`refinement failed: ${describeUnknownError(error)}`, {
        cause: error,
      }),
    };
  }
}

type Stage1 = {
  readonly draft: Intent;
  readonly notes: TransduceNote[];
  /** The text stage 1 read; what the refiner is shown. */
  readonly text: string;
  /** Why this draft must not go to the refiner, or null when it may. */
  readonly noRefinement: string | null;
};

export function createTransducer(options: TransducerOptions = {}): Transducer {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidTransducerOptionsError(
      `invalid transducer options: ${z.prettifyError(parsed.error)}`,
      { details: { issues: parsed.error.issues } },
    );
  }
  const { refiner, refineBelow, maxInputChars } = parsed.data;
  const ids = parsed.data.ids ?? randomIds;

  function stage1(text: string): Stage1 {
    const id = ids(ID_PREFIX);
    try {
      const { notes, suspicious, text: read, ...fields } = recognize(text, maxInputChars);
      // A model shown an injection can be fooled by it too.
      const noRefinement = suspicious
        ? 'suspicious text is not sent to the refiner'
        : read === ''
          ? 'there is no text to refine'
          : null;
      return {
        draft: { id, ...fields, source: 'pattern' },
        notes: [...notes],
        text: read,
        noRefinement,
      };
    } catch (error) {
      // A bug in a matcher must not take the loop down; /unknown makes the kernel ask the user.
      return {
        draft: {
          id,
          category: '/unknown',
          verb: NO_VERB,
          target: '',
          constraint: '',
          confidence: 0,
          source: 'pattern',
        },
        notes: [{ code: 'perception_failed', message: describeUnknownError(error) }],
        text: '',
        noRefinement: 'stage 1 failed, so the text is not sent to the refiner',
      };
    }
  }

  async function transduce(text: string, options?: TransduceOptions): Promise<TransduceResult> {
    const { draft, notes, text: read, noRefinement } = stage1(text);
    const done = (intent: Intent): TransduceResult => ({ intent, draft, notes });
    if (refiner === undefined || draft.confidence >= refineBelow) return done(draft);
    if (noRefinement !== null) {
      notes.push({ code: 'refiner_skipped', message: noRefinement });
      return done(draft);
    }
    const request = { text: read, draft, verbs: INTENT_VERBS };
    const outcome = await refineSafely(refiner, request, options?.signal);
    if (outcome.ok) return done(outcome.intent);
    notes.push({ code: outcome.error.code, message: outcome.error.message, error: outcome.error });
    return done(draft);
  }

  return {
    transduce,
    transduceSync: (text) => stage1(text).draft,
  };
}
