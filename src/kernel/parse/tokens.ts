/** The tokens the lexer hands the parser. */
import type { Position } from '../ast.js';

export type Punctuation =
  | '('
  | ')'
  | '['
  | ']'
  | '{'
  | '}'
  | ','
  | '.'
  | ':'
  | ':-'
  | '⟸'
  | '|>'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '!'
  | '@';

type Located = { readonly text: string; readonly at: Position };

export type Token =
  /** `X`, `Persona`; also the keyword-shaped `Decl`, `Package`, `Use`. */
  | (Located & { readonly kind: 'variable' })
  | (Located & { readonly kind: 'wildcard' })
  /** Predicate and function names, `:builtin` names and lowercase keywords. */
  | (Located & { readonly kind: 'identifier' })
  /** `/seg/seg`, slash included. */
  | (Located & { readonly kind: 'name' })
  | (Located & { readonly kind: 'string'; readonly value: string })
  | (Located & { readonly kind: 'int'; readonly value: bigint })
  | (Located & { readonly kind: 'float'; readonly value: number })
  | (Located & { readonly kind: 'punct'; readonly text: Punctuation })
  | (Located & { readonly kind: 'eof' });

const MAX_SHOWN = 24;

/** How a token appears after "found" in a message. */
export function describeToken(token: Token): string {
  if (token.kind === 'eof') return 'end of input';
  const firstLine = token.text.split('\n', 1)[0] ?? '';
  const shown =
    firstLine.length > MAX_SHOWN || firstLine.length < token.text.length
      ? `${firstLine.slice(0, MAX_SHOWN)}…`
      : firstLine;
  return token.kind === 'string' ? `string ${shown}` : `"${shown}"`;
}

/** How the character at `index` appears after "found" in a message. */
export function describeCharAt(text: string, index: number): string {
  const code = text.codePointAt(index);
  if (code === undefined) return 'end of input';
  if (code === 10) return 'a line break';
  return JSON.stringify(String.fromCodePoint(code));
}
