/**
 * Finds how the user limited the work: "without touching tests", "only in
 * src/", "keep the API", "in under 50 lines", "using vitest". The constraint
 * runs from the first marker after the verb to the end of the sentence; the
 * kernel gets it as text, so one clause or several read the same way.
 */
import { MAX_CONSTRAINT_CHARS } from './intent.js';
import { clip } from './normalize.js';

const MARKER =
  /\b(?:without|except|excluding|but|keep|keeping|preserve|preserving|don't|do not|never|only|using|with (?:no|only|zero)|in (?:under|less than|fewer than)|under \d|at most|no more than|so that|such that|to be|make sure|ensuring|while|and (?:keep|keeping|don't|do not|make sure|never|only|use|using))\b/gi;

// Markers whose clause may hold the target: in "fix only src/a.ts" it is the only place it appears.
const NAMES_TARGET = /^(?:only|using|with only|and only|and use|and using)\b/i;

// Connectives that join the clause to the request and carry no constraint themselves.
const CONNECTIVE = /^(?:and|but|then)\s+/i;

export type ConstraintSpan = {
  /** Offset in the sentence where the constraint starts; equals the sentence length when there is none. */
  readonly start: number;
  readonly text: string;
  /** The clause may hold the request's target ("only", "using"). */
  readonly namesTarget: boolean;
};

/** Strips sentence-final punctuation and bounds the length. */
export function tidyConstraint(text: string): string {
  let end = text.length;
  while (end > 0 && '.!?;:, '.includes(text.charAt(end - 1))) end--;
  return clip(text.slice(0, end).trim(), MAX_CONSTRAINT_CHARS);
}

/**
 * @param sentence the text as typed
 * @param masked the same text with code references blanked, so "src/only/a.ts" holds no marker
 * @param from where the verb phrase ends; markers before it belong to the request itself
 */
export function findConstraint(sentence: string, masked: string, from: number): ConstraintSpan {
  const pattern = new RegExp(MARKER.source, MARKER.flags);
  pattern.lastIndex = from;
  const match = pattern.exec(masked);
  if (match === null) return { start: sentence.length, text: '', namesTarget: false };
  const clause = sentence.slice(match.index);
  return {
    start: match.index,
    text: tidyConstraint(clause.replace(CONNECTIVE, '')),
    namesTarget: NAMES_TARGET.test(match[0]),
  };
}
