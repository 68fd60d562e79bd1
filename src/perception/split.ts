/**
 * Splits text into sentences at line breaks and at `.`, `!`, `?` followed by
 * a space, but never inside backquoted code, so a fenced snippet stays one
 * reference and "src/app.ts" is not cut at its dot.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  let inFence = false;
  let inInline = false;
  const flush = (end: number) => {
    const sentence = text.slice(start, end).trim();
    if (sentence !== '') sentences.push(sentence);
  };
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (text.startsWith('```', index)) {
      inFence = !inFence;
      inInline = false;
      index += 2;
      continue;
    }
    if (inFence) continue;
    if (char === '`') {
      inInline = !inInline;
      continue;
    }
    if (char === '\n') {
      // An inline code span never crosses a line.
      inInline = false;
      flush(index);
      start = index + 1;
      continue;
    }
    if (inInline || !'.!?'.includes(char)) continue;
    const next = text.charAt(index + 1);
    if (next === '' || next === ' ' || next === '\n') {
      flush(index + 1);
      start = index + 1;
    }
  }
  flush(text.length);
  return sentences;
}
