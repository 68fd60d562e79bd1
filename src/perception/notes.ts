/**
 * Notes say why a result is what it is (input cut, refiner answer rejected)
 * without making the transducer throw. Codes are stable; messages are for
 * people and may change.
 */
import type { NerdloopError } from '../core/index.js';

export const NOTE_CODES = [
  /** The text was empty or only whitespace, control or invisible characters. */
  'input_empty',
  /** The text was longer than `maxInputChars`; only its head was read. */
  'input_truncated',
  /** The text looks like a prompt injection or a destructive shell payload. */
  'suspected_injection',
  /** A `/word` command that names no verb of the taxonomy. */
  'unknown_slash_command',
  /** The refiner would have been asked but was not: suspicious, empty or unreadable text. */
  'refiner_skipped',
  'refiner_invalid_output',
  'refiner_unknown_verb',
  'refiner_failed',
  'refiner_aborted',
  /** Stage 1 itself failed; a bug, reported instead of thrown. */
  'perception_failed',
] as const;

export type TransduceNoteCode = (typeof NOTE_CODES)[number];

export type TransduceNote = {
  readonly code: TransduceNoteCode;
  readonly message: string;
  /** The typed error behind the note, for refiner failures. */
  readonly error?: NerdloopError;
};
