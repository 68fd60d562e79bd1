/**
 * Turns whatever the user typed into text the matchers can trust: bounded in
 * length, free of control and invisible characters (which can hide words
 * from a pattern, as in "ig\u200Bnore previous instructions"), in NFKC form
 * (so full-width letters read as ASCII) and with tidy whitespace.
 */

export type NormalizedInput = {
  readonly text: string;
  /** True when the input was longer than the limit and its tail was dropped. */
  readonly truncated: boolean;
};

// Control characters other than tab and newline.
const CONTROL = /[^\P{Cc}\n\t]/gu;
// Format characters: zero-width spaces and joiners, bidirectional overrides, soft hyphens.
const INVISIBLE = /\p{Cf}/gu;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const CURLY_APOSTROPHE = /[\u2018\u2019\u02BC]/g;

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

export function normalizeInput(raw: unknown, maxChars: number): NormalizedInput {
  // Typed callers always pass a string; plain JavaScript callers may not.
  const input = typeof raw === 'string' ? raw : '';
  // Cut before any other work so a huge paste costs no more than the limit.
  const head = clip(input, maxChars);
  const cleaned = head
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, ' ')
    .replace(INVISIBLE, '')
    .normalize('NFKC')
    .replace(CURLY_APOSTROPHE, "'")
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
  // NFKC can expand a character into many (U+FDFA becomes 18), so cut again.
  return { text: clip(cleaned, maxChars), truncated: head.length < input.length };
}
