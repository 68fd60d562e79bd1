/**
 * Words and phrases: a tokenizer that keeps offsets, a crude lemmatizer, and
 * a phrase dictionary that matches multi-word phrases against tokens. English
 * inflection is regular enough that stripping -s/-es/-ed/-ing (and undoing a
 * doubled consonant) finds the base form of every verb in the taxonomy.
 */

export type Token = {
  /** Lower-case text of the word. */
  readonly word: string;
  readonly start: number;
  readonly end: number;
};

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)*(?:-[\p{L}\p{N}]+)*/gu;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    tokens.push({
      word: match[0].toLowerCase(),
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return tokens;
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

function undoubled(stem: string): string {
  const last = stem.at(-1);
  if (stem.length >= 3 && last !== undefined && !VOWELS.has(last) && stem.at(-2) === last) {
    return stem.slice(0, -1);
  }
  return stem;
}

/** The word itself and every base form it could be an inflection of. */
export function lemmas(word: string): readonly string[] {
  const forms = [word];
  const add = (form: string) => {
    if (form.length >= 2) forms.push(form);
  };
  if (word.endsWith('ies')) add(`${word.slice(0, -3)}y`);
  else if (word.endsWith('es')) add(word.slice(0, -2));
  if (word.endsWith('s') && !word.endsWith('ss')) add(word.slice(0, -1));
  if (word.endsWith('ied')) add(`${word.slice(0, -3)}y`);
  else if (word.endsWith('ed')) {
    const stem = word.slice(0, -2);
    add(stem);
    add(`${stem}e`);
    add(undoubled(stem));
  }
  if (word.endsWith('ing')) {
    const stem = word.slice(0, -3);
    add(stem);
    add(`${stem}e`);
    add(undoubled(stem));
  }
  return forms;
}

// Skipped between the words of a phrase: "write some more tests" is "write test".
const FILLERS = new Set([
  'a',
  'an',
  'the',
  'some',
  'more',
  'any',
  'few',
  'new',
  'my',
  'our',
  'your',
  'this',
  'these',
  'that',
  'those',
]);

export type PhraseMatch<T> = {
  readonly value: T;
  readonly phrase: string;
  /** Index of the token after the match. */
  readonly next: number;
  /** Offset in the text just after the match. */
  readonly end: number;
  /** The first word is in its base form ("fix", not "fixed"), as an imperative has it. */
  readonly exact: boolean;
};

type CompiledPhrase<T> = {
  readonly words: readonly string[];
  readonly phrase: string;
  readonly value: T;
};

/**
 * A set of phrases indexed by first word. Longer phrases win over shorter
 * ones at the same place, so "write test" beats "write".
 */
export class PhraseDictionary<T> {
  private readonly byFirstWord = new Map<string, CompiledPhrase<T>[]>();

  constructor(entries: Iterable<readonly [phrase: string, value: T]>) {
    for (const [phrase, value] of entries) {
      const words = phrase.split(' ');
      const first = words[0];
      if (first === undefined) continue;
      const list = this.byFirstWord.get(first) ?? [];
      list.push({ words, phrase, value });
      this.byFirstWord.set(first, list);
    }
    for (const list of this.byFirstWord.values()) {
      list.sort((a, b) => b.words.length - a.words.length);
    }
  }

  /** The best phrase that starts exactly at token `index`, if any. */
  matchAt(tokens: readonly Token[], index: number): PhraseMatch<T> | undefined {
    const token = tokens[index];
    if (token === undefined) return undefined;
    let best: PhraseMatch<T> | undefined;
    let bestWords = 0;
    for (const form of lemmas(token.word)) {
      for (const candidate of this.byFirstWord.get(form) ?? []) {
        if (candidate.words.length < bestWords) break;
        const match = this.matchRest(tokens, index, candidate, form === token.word);
        if (match === undefined) continue;
        // Equal length: an exact reading beats an inflected one.
        if (candidate.words.length > bestWords || (match.exact && best?.exact === false)) {
          best = match;
          bestWords = candidate.words.length;
        }
      }
    }
    return best;
  }

  /** The earliest phrase anywhere in `tokens`, from token `from` on. */
  find(tokens: readonly Token[], from = 0): PhraseMatch<T> | undefined {
    for (let index = from; index < tokens.length; index++) {
      const match = this.matchAt(tokens, index);
      if (match !== undefined) return match;
    }
    return undefined;
  }

  private matchRest(
    tokens: readonly Token[],
    index: number,
    candidate: CompiledPhrase<T>,
    firstExact: boolean,
  ): PhraseMatch<T> | undefined {
    let position = index + 1;
    let end = tokens[index]?.end ?? 0;
    for (const word of candidate.words.slice(1)) {
      let token = tokens[position];
      while (token !== undefined && token.word !== word && FILLERS.has(token.word)) {
        position++;
        token = tokens[position];
      }
      if (token === undefined || !lemmas(token.word).includes(word)) return undefined;
      end = token.end;
      position++;
    }
    return {
      value: candidate.value,
      phrase: candidate.phrase,
      next: position,
      end,
      exact: firstExact,
    };
  }
}
