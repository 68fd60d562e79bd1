/**
 * Reads one sentence's form: an instruction ("always …"), a question, an
 * imperative, or a statement that only hints at a verb. Confidence encodes
 * how much of the form was seen: an imperative opened by a taxonomy verb is
 * clear; a cue word in the middle of a statement is a guess for the refiner.
 */
import type { IntentCategory } from './intent.js';
import { PhraseDictionary, type Token, tokenize } from './tokens.js';
import { NO_VERB, VERB_TAXONOMY } from './verbs.js';

export type SentenceReading = {
  readonly category: IntentCategory;
  readonly verb: string;
  readonly confidence: number;
  /** Offset just after the verb phrase (0 when there is none); constraints are sought from here. */
  readonly objectStart: number;
};

const CONFIDENCE = {
  imperative: 0.85,
  /** "Adding retries to …" reads more like a report than a request. */
  inflectedImperative: 0.5,
  imperativeQuestion: 0.7,
  instruction: 0.85,
  /** "Use vitest from now on": a standing-rule phrase later in the sentence. */
  trailingInstruction: 0.8,
  weakInstruction: 0.7,
  question: 0.9,
  /** "What is a monad" without its mark. */
  questionWordOnly: 0.75,
  /** "Do it", "is this right": an auxiliary without a mark is as often a request. */
  auxiliaryOnly: 0.5,
  questionMarkOnly: 0.5,
  cue: 0.5,
  /** "ignore the lint warnings and fix src/a.ts": a request, but not where requests start. */
  coordinated: 0.5,
  unknown: 0.15,
} as const;

// Cues are left out: "broken tests in src/a.ts" opens with a cue but is no imperative.
const IMPERATIVES = new PhraseDictionary<string>(
  VERB_TAXONOMY.flatMap((entry) =>
    [entry.verb.slice(1), ...entry.synonyms].map((phrase) => [phrase, entry.verb] as const),
  ),
);

const CUES = new PhraseDictionary<string>(
  VERB_TAXONOMY.flatMap((entry) => entry.cues.map((phrase) => [phrase, entry.verb] as const)),
);

type Prefix = 'polite' | 'request';

// Words before the verb that do not change what is asked.
const PREFIXES = new PhraseDictionary<Prefix>([
  ...[
    'please',
    'pls',
    'plz',
    'kindly',
    'hey',
    'hi',
    'hello',
    'ok',
    'okay',
    'alright',
    'so',
    'now',
    'then',
    'and',
    'also',
    'just',
    'quickly',
    'first',
    'next',
    'finally',
    'go ahead and',
    'i want you to',
    'i need you to',
    "i'd like you to",
    'i would like you to',
    'you should',
    'you need to',
    'you must',
    'we need to',
    'we should',
    'we must',
    'i want to',
    'i need to',
    "i'd like to",
    'i would like to',
    "let's",
    'lets',
    'let us',
    'help me',
    'help me to',
    'try to',
    'need to',
    'time to',
  ].map((phrase) => [phrase, 'polite' as Prefix] as const),
  ...['can you', 'could you', 'would you', 'will you', 'can we', 'could we', 'would you mind'].map(
    (phrase) => [phrase, 'request' as Prefix] as const,
  ),
]);

// Openers of a standing rule; the weak ones also open one-off requests ("don't touch X").
const INSTRUCTION_MARKERS = new PhraseDictionary<number>([
  ...[
    'always',
    'never',
    'from now on',
    'going forward',
    'henceforth',
    'in the future',
    'in future',
    'from here on',
    'remember to',
    'remember that',
    "don't ever",
    'do not ever',
    'by default',
    'whenever',
    'every time',
    'each time',
    'as a rule',
  ].map((phrase) => [phrase, CONFIDENCE.instruction] as const),
  ...[
    "don't",
    'do not',
    'avoid',
    'prefer',
    'i prefer',
    'we prefer',
    'stop using',
    'our convention',
    'the convention is',
  ].map((phrase) => [phrase, CONFIDENCE.weakInstruction] as const),
]);

const WH_WORDS = new Set(
  "how what why where when which who whom whose what's how's where's who's why's whats hows".split(
    ' ',
  ),
);
const AUXILIARIES = new Set(
  (
    'is are am was were do does did can could would should will shall may might must has have had ' +
    "isn't aren't doesn't didn't can't couldn't won't wouldn't shouldn't hasn't haven't"
  ).split(' '),
);

// Phrases that make a rule of a sentence wherever they stand.
const STANDING = new PhraseDictionary<true>(
  ['from now on', 'going forward', 'henceforth', 'in the future', 'from here on', 'by default'].map(
    (phrase) => [phrase, true] as const,
  ),
);

// A question about choices outside the code asks for research, not an explanation.
const RESEARCH_QUESTION =
  /\b(?:best|better|compare|comparison|vs|versus|alternatives?|recommend\w*|which (?:library|libraries|framework|package|tool|database|approach|option)|should (?:i|we) use|pros and cons|trade-?offs?|difference between|state of the art|latest|research|investigate|is there an? (?:library|package|tool|way))\b/i;

function skipPrefixes(tokens: readonly Token[], from: number): { index: number; request: boolean } {
  let index = from;
  let request = false;
  for (;;) {
    const match = PREFIXES.matchAt(tokens, index);
    if (match === undefined || !match.exact) return { index, request };
    request ||= match.value === 'request';
    index = match.next;
  }
}

function instruction(tokens: readonly Token[], index: number): SentenceReading | undefined {
  const marker = INSTRUCTION_MARKERS.matchAt(tokens, index);
  if (marker === undefined || !marker.exact) return undefined;
  // Only a verb right after the marker: a cue in a rule ("don't touch the migrations") names no action.
  const verb = IMPERATIVES.matchAt(tokens, skipPrefixes(tokens, marker.next).index);
  return {
    category: '/instruction',
    verb: verb?.exact ? verb.value : NO_VERB,
    confidence: marker.value,
    objectStart: marker.end,
  };
}

const CONJUNCTIONS = new Set(['and', 'then']);

function coordinatedImperative(tokens: readonly Token[]) {
  for (let index = 1; index < tokens.length; index++) {
    if (!CONJUNCTIONS.has(tokens[index - 1]?.word ?? '')) continue;
    const verb = IMPERATIVES.matchAt(tokens, skipPrefixes(tokens, index).index);
    if (verb?.exact) return verb;
  }
  return undefined;
}

function question(masked: string, confidence: number): SentenceReading {
  const verb = RESEARCH_QUESTION.test(masked) ? '/research' : '/explain';
  return { category: '/question', verb, confidence, objectStart: 0 };
}

/** Reads a sentence whose code references are already blanked out. */
export function readSentence(masked: string): SentenceReading {
  const tokens = tokenize(masked);
  const opening = tokens[0];
  if (opening === undefined) {
    return { category: '/unknown', verb: NO_VERB, confidence: CONFIDENCE.unknown, objectStart: 0 };
  }
  const asInstruction =
    instruction(tokens, 0) ?? instruction(tokens, skipPrefixes(tokens, 0).index);
  if (asInstruction !== undefined) return asInstruction;

  const { index, request } = skipPrefixes(tokens, 0);
  const verb = IMPERATIVES.matchAt(tokens, index);
  if (STANDING.find(tokens) !== undefined) {
    return {
      category: '/instruction',
      verb: verb?.exact ? verb.value : NO_VERB,
      confidence: CONFIDENCE.trailingInstruction,
      objectStart: 0,
    };
  }
  // "/etc/hosts is broken" opens with a path, not with "is".
  const opensSentence = masked.slice(0, opening.start).trim() === '';
  const startsWithWh = opensSentence && WH_WORDS.has(opening.word);
  const startsAsQuestion = startsWithWh || (opensSentence && AUXILIARIES.has(opening.word));
  const endsWithQuestionMark = masked.trimEnd().endsWith('?');

  if (verb?.exact && (request || !startsAsQuestion)) {
    const confidence =
      endsWithQuestionMark && !request ? CONFIDENCE.imperativeQuestion : CONFIDENCE.imperative;
    return { category: '/command', verb: verb.value, confidence, objectStart: verb.end };
  }
  if (startsAsQuestion) {
    const confidence = endsWithQuestionMark
      ? CONFIDENCE.question
      : startsWithWh
        ? CONFIDENCE.questionWordOnly
        : CONFIDENCE.auxiliaryOnly;
    return question(masked, confidence);
  }
  if (endsWithQuestionMark) return question(masked, CONFIDENCE.questionMarkOnly);

  const joined = coordinatedImperative(tokens);
  if (joined !== undefined) {
    return {
      category: '/command',
      verb: joined.value,
      confidence: CONFIDENCE.coordinated,
      objectStart: joined.end,
    };
  }
  // "Tests are failing" opens with an inflected verb that is no request; a cue says more.
  const cue = CUES.find(tokens);
  if (cue !== undefined) {
    return { category: '/command', verb: cue.value, confidence: CONFIDENCE.cue, objectStart: 0 };
  }
  if (verb !== undefined) {
    return {
      category: '/command',
      verb: verb.value,
      confidence: CONFIDENCE.inflectedImperative,
      objectStart: verb.end,
    };
  }
  return { category: '/unknown', verb: NO_VERB, confidence: CONFIDENCE.unknown, objectStart: 0 };
}
