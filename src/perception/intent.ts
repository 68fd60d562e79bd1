/**
 * The transducer's output and its one-to-one image as a kernel fact:
 * `user_intent(Id, Category, Verb, Target, Constraint)`.
 */
import { z } from 'zod';
import { nameValue, stringValue, type Value } from '../kernel/ast.js';
import { KNOWN_VERBS, NO_VERB } from './verbs.js';

export const INTENT_CATEGORIES = ['/command', '/question', '/instruction', '/unknown'] as const;
export type IntentCategory = (typeof INTENT_CATEGORIES)[number];

/** Verbs allowed in an intent: the taxonomy plus `/none`. */
export const INTENT_VERBS: readonly string[] = [...KNOWN_VERBS, NO_VERB];

// Bounds keep one fact small whatever the user pasted; extraction clips to them.
export const MAX_TARGET_CHARS = 512;
export const MAX_CONSTRAINT_CHARS = 1_000;

export const intentCategorySchema = z.enum(INTENT_CATEGORIES);

export const intentVerbSchema = z
  .string()
  .refine((verb) => INTENT_VERBS.includes(verb), { message: 'not a verb of the taxonomy' });

export const intentSchema = z
  .object({
    id: z.string().min(1),
    category: intentCategorySchema,
    verb: intentVerbSchema,
    /** A file path, a symbol or code, or "" when the text names none. */
    target: z.string().max(MAX_TARGET_CHARS),
    /** How the work is limited ("without touching tests"), or "" when unsaid. */
    constraint: z.string().max(MAX_CONSTRAINT_CHARS),
    confidence: z.number().min(0).max(1),
    source: z.enum(['pattern', 'llm']),
  })
  .superRefine((intent, ctx) => {
    // The kernel routes on (category, verb); these pairs would route nowhere sensible.
    if (intent.category === '/unknown' && intent.verb !== NO_VERB) {
      ctx.addIssue({
        code: 'custom',
        path: ['verb'],
        message: `an /unknown intent has verb ${NO_VERB}`,
      });
    }
    if (intent.category === '/command' && intent.verb === NO_VERB) {
      ctx.addIssue({
        code: 'custom',
        path: ['verb'],
        message: `a /command needs a verb, not ${NO_VERB}`,
      });
    }
  });

export type Intent = z.infer<typeof intentSchema>;

export type UserIntentFact = { readonly predicate: 'user_intent'; readonly args: Value[] };

export function intentToFact(intent: Intent): UserIntentFact {
  return {
    predicate: 'user_intent',
    args: [
      stringValue(intent.id),
      nameValue(intent.category),
      nameValue(intent.verb),
      stringValue(intent.target),
      stringValue(intent.constraint),
    ],
  };
}
