/**
 * The transducer never throws on user text; these errors describe what went
 * wrong around it. Options errors are thrown by `createTransducer`; refiner
 * errors are never thrown, they travel inside a result's notes so the caller
 * can see why the stage-1 draft was kept.
 */
import { NerdloopError } from '../core/index.js';

export class InvalidTransducerOptionsError extends NerdloopError {
  readonly code = 'transducer_invalid_options';
}

/** A verb table that breaks its own rules (bad name, a synonym claimed twice). */
export class InvalidVerbTaxonomyError extends NerdloopError {
  readonly code = 'verb_taxonomy_invalid';
}

/** The refiner answered, but not with the structured output the port promises. */
export class RefinerOutputError extends NerdloopError {
  readonly code = 'refiner_invalid_output';
}

/** The refiner picked a verb outside the taxonomy it was given. */
export class RefinerUnknownVerbError extends NerdloopError {
  readonly code = 'refiner_unknown_verb';
}

/** The refiner threw or its promise rejected. */
export class RefinerFailedError extends NerdloopError {
  readonly code = 'refiner_failed';
}

/** The caller's signal aborted before the refiner answered. */
export class RefinerAbortedError extends NerdloopError {
  readonly code = 'refiner_aborted';
}

export type RefinerError =
  | RefinerOutputError
  | RefinerUnknownVerbError
  | RefinerFailedError
  | RefinerAbortedError;
