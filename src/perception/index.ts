/**
 * Perception: the Transducer that turns what a user types into one
 * `user_intent(Id, Category, Verb, Target, Constraint)` fact for the kernel.
 */
export {
  InvalidTransducerOptionsError,
  InvalidVerbTaxonomyError,
  RefinerAbortedError,
  type RefinerError,
  RefinerFailedError,
  RefinerOutputError,
  RefinerUnknownVerbError,
} from './errors.js';
export {
  INTENT_CATEGORIES,
  INTENT_VERBS,
  type Intent,
  type IntentCategory,
  intentCategorySchema,
  intentSchema,
  intentToFact,
  MAX_CONSTRAINT_CHARS,
  MAX_TARGET_CHARS,
  type UserIntentFact,
} from './intent.js';
export { NOTE_CODES, type TransduceNote, type TransduceNoteCode } from './notes.js';
export {
  type IntentRefiner,
  type RefinerOutput,
  type RefinerRequest,
  refinerOutputSchema,
} from './refiner.js';
export {
  createTransducer,
  DEFAULT_MAX_INPUT_CHARS,
  DEFAULT_REFINE_BELOW,
  type TransduceOptions,
  type TransduceResult,
  type Transducer,
  type TransducerOptions,
} from './transducer.js';
export {
  isDestructiveVerb,
  isKnownVerb,
  KNOWN_VERBS,
  NO_VERB,
  parseVerbTaxonomy,
  VERB_TAXONOMY,
  type VerbEntry,
  type VerbTaxonomy,
  verbEntry,
  verbEntrySchema,
  verbTaxonomySchema,
} from './verbs.js';
