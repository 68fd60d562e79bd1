/**
 * Matches `{`/`}` in C-like source, skipping strings, template literals
 * (with their `${...}` holes) and comments. A lexer this small misreads
 * regex literals that contain braces or quotes; the review is a heuristic.
 */

export type BraceBlock = {
  /** 0-based line and column of the `{`. */
  readonly openLine: number;
  readonly openColumn: number;
  /** 0-based line of the matching `}`. */
  readonly closeLine: number;
};

type Mode = 'code' | 'line-comment' | 'block-comment' | 'single' | 'double' | 'template';
type Open = { readonly kind: 'block'; readonly line: number; readonly column: number };
// A `${` hole: its `}` goes back into the template string rather than closing a block.
type Hole = { readonly kind: 'hole' };

// Outside JS-like languages `'` starts a char literal (`'{'`) or, in Rust, a lifetime (`'a`).
const CHAR_LITERAL = /'(?:\\[^\n]{1,10}?|[^\\'\n])'/y;

/**
 * `singleQuotedStrings`: `'...'` is a string (JS, TS, PHP, Dart). Otherwise
 * only a short char literal is skipped, so a Rust lifetime does not open a string.
 */
export function braceBlocks(text: string, singleQuotedStrings = true): BraceBlock[] {
  const blocks: BraceBlock[] = [];
  const stack: Array<Open | Hole> = [];
  let mode: Mode = 'code';
  let line = 0;
  let lineStart = 0;
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    const next = text[index + 1];
    if (char === '\n') {
      line += 1;
      lineStart = index + 1;
      // Unterminated quotes end at the line so one stray quote cannot swallow the file.
      if (mode === 'line-comment' || mode === 'single' || mode === 'double') mode = 'code';
      index += 1;
      continue;
    }
    switch (mode) {
      case 'line-comment':
        break;
      case 'block-comment':
        if (char === '*' && next === '/') {
          mode = 'code';
          index += 1;
        }
        break;
      case 'single':
      case 'double':
        if (char === '\\' && next !== '\n') index += 1;
        else if (char === (mode === 'single' ? "'" : '"')) mode = 'code';
        break;
      case 'template':
        if (char === '\\' && next !== '\n') index += 1;
        else if (char === '`') mode = 'code';
        else if (char === '$' && next === '{') {
          stack.push({ kind: 'hole' });
          mode = 'code';
          index += 1;
        }
        break;
      case 'code':
        if (char === '/' && next === '/') mode = 'line-comment';
        else if (char === '/' && next === '*') {
          mode = 'block-comment';
          index += 1;
        } else if (char === "'" && singleQuotedStrings) mode = 'single';
        else if (char === "'") {
          CHAR_LITERAL.lastIndex = index;
          if (CHAR_LITERAL.test(text)) index = CHAR_LITERAL.lastIndex - 1;
        } else if (char === '"') mode = 'double';
        else if (char === '`') mode = 'template';
        else if (char === '{') stack.push({ kind: 'block', line, column: index - lineStart });
        else if (char === '}') {
          const open = stack.pop();
          if (open?.kind === 'hole') mode = 'template';
          else if (open?.kind === 'block') {
            blocks.push({ openLine: open.line, openColumn: open.column, closeLine: line });
          }
        }
        break;
    }
    index += 1;
  }
  return blocks.sort((a, b) => a.openLine - b.openLine || a.openColumn - b.openColumn);
}
