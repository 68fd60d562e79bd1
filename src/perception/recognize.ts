/**
 * Stage 1: a pure, synchronous reading of the text into the fields of an
 * intent. No I/O, no ids, no clock: the same text always gives the same
 * reading.
 */
import { findConstraint, tidyConstraint } from './constraints.js';
import type { IntentCategory } from './intent.js';
import { normalizeInput } from './normalize.js';
import type { TransduceNote } from './notes.js';
import { type CodeRef, findCodeRefs, maskRefs } from './refs.js';
import { injectionReason, isSweeping } from './safety.js';
import { readSentence, type SentenceReading } from './sentence.js';
import { splitSentences } from './split.js';
import { PhraseDictionary, tokenize } from './tokens.js';
import { isDestructiveVerb, isKnownVerb, NO_VERB, VERB_TAXONOMY } from './verbs.js';

export type Reading = {
  readonly category: IntentCategory;
  readonly verb: string;
  readonly target: string;
  readonly constraint: string;
  readonly confidence: number;
  readonly notes: readonly TransduceNote[];
  /** The text that was read: normalized and cut to the limit. */
  readonly text: string;
  /** The text looks like an injection; it must not be sent to a model to "refine". */
  readonly suspicious: boolean;
};

type Fields = Omit<Reading, 'notes' | 'text' | 'suspicious'>;

const CONFIDENCE = {
  slashVerb: 0.98,
  slashSynonym: 0.9,
  unknownSlash: 0.2,
  suspicious: 0.05,
  /** A named file or symbol makes a command more concrete. */
  targetBonus: 0.05,
  maxPattern: 0.95,
  /** Deleting with no named target, or deleting "everything". */
  vagueDestructive: 0.5,
  sweepingDestructive: 0.3,
  /** Part of the text was never read. */
  truncated: 0.5,
} as const;

// Verbs as `/word` commands: the verb itself or any one-word synonym ("/repair").
const SLASH_WORDS = new PhraseDictionary<string>(
  VERB_TAXONOMY.flatMap((entry) =>
    [entry.verb.slice(1), ...entry.synonyms].map((phrase) => [phrase, entry.verb] as const),
  ),
);
const SLASH_COMMAND = /^\/([A-Za-z][\w-]*)(?=\s|$)/;

type Analysis = {
  readonly sentence: string;
  readonly refs: readonly CodeRef[];
  readonly reading: SentenceReading;
  readonly target: string | undefined;
  readonly constraint: string;
};

function analyze(sentence: string): Analysis {
  const refs = findCodeRefs(sentence);
  const masked = maskRefs(sentence, refs);
  const reading = readSentence(masked);
  if (reading.category === '/instruction') {
    // A standing rule is kept whole: "never" or "always" is most of its meaning.
    return {
      sentence,
      refs,
      reading,
      target: refs[0]?.value,
      constraint: tidyConstraint(sentence),
    };
  }
  const clause = findConstraint(sentence, masked, reading.objectStart);
  const inRequest = refs.find((ref) => ref.start < clause.start);
  const inClause = clause.namesTarget ? refs.find((ref) => ref.start >= clause.start) : undefined;
  return {
    sentence,
    refs,
    reading,
    target: (inRequest ?? inClause)?.value,
    constraint: clause.text,
  };
}

// A clear command outranks a question or a rule that came with it ("Why does X fail? Fix it.").
function score(analysis: Analysis): number {
  return analysis.reading.confidence + (analysis.reading.category === '/command' ? 0.1 : 0);
}

function readProse(text: string): Fields {
  const analyses = splitSentences(text).map(analyze);
  let best = analyses[0];
  for (const analysis of analyses) {
    if (best === undefined || score(analysis) > score(best)) best = analysis;
  }
  if (best === undefined) {
    return { category: '/unknown', verb: NO_VERB, target: '', constraint: '', confidence: 0 };
  }
  const others = analyses.filter((analysis) => analysis !== best);
  // Another sentence may name what "it" is, but a rule's target ("never edit src/gen/") is not the request's.
  const target =
    best.target ??
    others.find((analysis) => analysis.reading.category !== '/instruction' && analysis.refs[0])
      ?.refs[0]?.value ??
    '';
  const rules =
    best.reading.category === '/instruction'
      ? []
      : others.filter((analysis) => analysis.reading.category === '/instruction');
  const constraint = tidyConstraint(
    [best.constraint, ...rules.map((rule) => rule.constraint)]
      .filter((part) => part !== '')
      .join('; '),
  );
  return {
    category: best.reading.category,
    verb: best.reading.verb,
    target,
    constraint,
    confidence: best.reading.confidence,
  };
}

function slashVerb(name: string): { verb: string; exact: boolean } | undefined {
  const lower = name.toLowerCase();
  if (isKnownVerb(`/${lower}`)) return { verb: `/${lower}`, exact: true };
  // "/write-tests" reads as "write tests".
  const match = SLASH_WORDS.matchAt(tokenize(lower.replace(/[-_]+/g, ' ')), 0);
  return match?.exact ? { verb: match.value, exact: false } : undefined;
}

function readSlashCommand(text: string, notes: TransduceNote[]): Fields | undefined {
  const match = SLASH_COMMAND.exec(text);
  const name = match?.[1];
  if (match === null || name === undefined) return undefined;
  const rest = text.slice(match[0].length).trim();
  const refs = findCodeRefs(rest);
  const clause = findConstraint(rest, maskRefs(rest, refs), 0);
  const target = (refs.find((ref) => ref.start < clause.start) ?? refs[0])?.value ?? '';
  const found = slashVerb(name);
  if (found === undefined) {
    notes.push({
      code: 'unknown_slash_command',
      message: `/${name} names no verb of the taxonomy`,
    });
    return {
      category: '/unknown',
      verb: NO_VERB,
      target,
      constraint: clause.text,
      confidence: CONFIDENCE.unknownSlash,
    };
  }
  return {
    category: '/command',
    verb: found.verb,
    target,
    constraint: clause.text,
    confidence: found.exact ? CONFIDENCE.slashVerb : CONFIDENCE.slashSynonym,
  };
}

function calibrate(fields: Fields, text: string, truncated: boolean): number {
  let confidence = fields.confidence;
  if (
    fields.category === '/command' &&
    fields.target !== '' &&
    confidence < CONFIDENCE.maxPattern
  ) {
    confidence = Math.min(confidence + CONFIDENCE.targetBonus, CONFIDENCE.maxPattern);
  }
  // Only a request to destroy is risky; "never delete migrations" is a rule against it.
  if (fields.category === '/command' && isDestructiveVerb(fields.verb)) {
    if (isSweeping(text, fields.target))
      confidence = Math.min(confidence, CONFIDENCE.sweepingDestructive);
    else if (fields.target === '') confidence = Math.min(confidence, CONFIDENCE.vagueDestructive);
  }
  if (truncated) confidence = Math.min(confidence, CONFIDENCE.truncated);
  // Rounded so equal readings compare equal and print cleanly.
  return Math.round(confidence * 1000) / 1000;
}

/** Stage 1: never throws for any string; `maxInputChars` must be a positive integer. */
export function recognize(raw: unknown, maxInputChars: number): Reading {
  const { text, truncated } = normalizeInput(raw, maxInputChars);
  const notes: TransduceNote[] = [];
  if (truncated) {
    notes.push({
      code: 'input_truncated',
      message: `input is longer than ${maxInputChars} characters; only the first ${maxInputChars} were read`,
    });
  }
  const blank = { category: '/unknown', verb: NO_VERB, target: '', constraint: '' } as const;
  if (text === '') {
    notes.push({ code: 'input_empty', message: 'no readable text' });
    return { ...blank, confidence: 0, notes, text, suspicious: false };
  }
  const reason = injectionReason(text);
  if (reason !== null) {
    notes.push({ code: 'suspected_injection', message: `text ${reason}` });
    return { ...blank, confidence: CONFIDENCE.suspicious, notes, text, suspicious: true };
  }
  const fields = readSlashCommand(text, notes) ?? readProse(text);
  return {
    ...fields,
    confidence: calibrate(fields, text, truncated),
    notes,
    text,
    suspicious: false,
  };
}
