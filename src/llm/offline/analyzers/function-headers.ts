/**
 * Decides whether the text before a `{` opens a named function or method,
 * and its name. Anonymous callbacks (`it('x', () => {`) are not reported:
 * a long test body or event handler is not the "long function" a reviewer
 * means, and it has no name to point at.
 */

const NAME = '[A-Za-z_$][\\w$]*';

// Named function forms that are unambiguous wherever they appear in the header.
const DECLARATIONS: readonly RegExp[] = [
  new RegExp(`\\bfunction\\s*\\*?\\s*(${NAME})\\s*(?:<.*>)?\\s*\\(`),
  new RegExp(
    `^(?:export\\s+)?(?:const|let|var)\\s+(${NAME})\\s*(?::[^=]*)?=\\s*(?:async\\s+)?function\\b`,
  ),
  new RegExp(`^(?:export\\s+)?(?:const|let|var)\\s+(${NAME})\\b.*=>$`),
  new RegExp(
    `^(?:(?:public|private|protected|static|readonly|override)\\s+)*(${NAME})\\s*[:=]\\s*(?:async\\s+)?(?:\\(.*\\)|${NAME})\\s*(?::.*)?=>$`,
  ),
  new RegExp(`\\bfunc\\s+(?:\\([^)]*\\)\\s*)?(${NAME})\\s*[[(<]`),
  new RegExp(`\\bfn\\s+(${NAME})\\s*[<(]`),
  new RegExp(`\\bfun\\s+(?:<[^>]*>\\s*)?(?:${NAME}\\.)?(${NAME})\\s*\\(`),
];

// `name(params)` with optional modifiers/return type before and a return type or throws after.
const METHOD = new RegExp(
  `^(?:(.*)[\\s:*&])?\\*?(${NAME})\\s*(?:<[^()]*>)?\\s*\\(.*\\)\\s*(?:(?::|->)\\s*.+|throws\\s+.+|const|noexcept)?$`,
);

// Words that make `word (...) {` a statement, a call or an expression rather than a method.
const NOT_METHOD = new Set(
  (
    'if for while switch catch with return function do else try finally match loop new ' +
    'typeof await throw yield case sizeof super this foreach using lock synchronized'
  ).split(' '),
);

// Characters a method prefix (modifiers, return type) may contain: no `=`, `(`, `.` calls.
const PREFIX = /^[\w$<>[\],.?*&|:\s@]*$/;

export function functionName(header: string): string | null {
  const text = cleanHeader(header);
  if (text === '') return null;
  for (const pattern of DECLARATIONS) {
    const name = pattern.exec(text)?.[1];
    if (name !== undefined) return name;
  }
  const match = METHOD.exec(text);
  const name = match?.[2];
  if (match === null || name === undefined || NOT_METHOD.has(name)) return null;
  const prefix = match[1] ?? '';
  if (!PREFIX.test(prefix)) return null;
  const words = prefix.split(/[^\w$]+/).filter((word) => word !== '');
  if (words.some((word) => NOT_METHOD.has(word))) return null;
  return name;
}

function cleanHeader(header: string): string {
  return (
    header
      .replace(/\s+/g, ' ')
      .trim()
      // What is left of the previous block or statement on the same line.
      .replace(/^[\s},;)]+/, '')
      // Decorators and annotations: `@Get('x') handle() {`.
      .replace(/^(?:@[\w$.]+(?:\([^)]*\))?\s*)+/, '')
      .trim()
  );
}

export type Header = { readonly text: string; readonly startLine: number };

const MAX_HEADER_LINES = 12;

/**
 * The text before the `{` at (line, column) back to the previous statement
 * boundary, reaching up previous lines while a parameter list is open. Null
 * when the brace sits inside a call's arguments (`foo({`, `[{`).
 */
export function headerBefore(
  lines: readonly string[],
  line: number,
  column: number,
): Header | null {
  let text = (lines[line] ?? '').slice(0, column);
  let startLine = line;
  for (let extra = 0; extra < MAX_HEADER_LINES; extra += 1) {
    const cut = cutAtBoundary(text);
    if (cut.kind === 'inside-call') return null;
    if (cut.kind === 'bounded') return cut.text.trim() === '' ? null : located(cut.text, startLine);
    if (cut.kind === 'whole' && cut.text.trim() !== '') return located(cut.text, startLine);
    if (startLine === 0) return null;
    startLine -= 1;
    text = `${lines[startLine] ?? ''}\n${text}`;
  }
  return null;
}

/** The header starts on the line of its first non-blank character, not where the gathered text does. */
function located(text: string, firstLine: number): Header {
  const leading = /^\s*/.exec(text)?.[0] ?? '';
  return { text, startLine: firstLine + (leading.match(/\n/g)?.length ?? 0) };
}

type Cut =
  | { readonly kind: 'inside-call' }
  /** Cut at a `;` or an unmatched `{`: the header cannot reach further up. */
  | { readonly kind: 'bounded'; readonly text: string }
  /** Balanced up to the start of the text. */
  | { readonly kind: 'whole'; readonly text: string }
  /** A `)` whose `(` is further up. */
  | { readonly kind: 'open' };

function cutAtBoundary(text: string): Cut {
  let parens = 0;
  let brackets = 0;
  let braces = 0;
  for (let index = text.length - 1; index >= 0; index -= 1) {
    const char = text[index];
    if (char === ')') parens += 1;
    else if (char === ']') brackets += 1;
    else if (char === '}') braces += 1;
    else if (char === '(') {
      if (parens === 0) return { kind: 'inside-call' };
      parens -= 1;
    } else if (char === '[') {
      if (brackets === 0) return { kind: 'inside-call' };
      brackets -= 1;
    } else if (char === '{') {
      if (braces > 0) braces -= 1;
      else if (parens > 0 || brackets > 0) return { kind: 'inside-call' };
      else return { kind: 'bounded', text: text.slice(index + 1) };
    } else if (char === ';' && parens === 0 && brackets === 0 && braces === 0) {
      return { kind: 'bounded', text: text.slice(index + 1) };
    }
  }
  return parens > 0 || brackets > 0 ? { kind: 'open' } : { kind: 'whole', text };
}
