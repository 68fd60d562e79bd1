/**
 * Entry points: a whole file, or one clause, atom or term (for queries such
 * as `permitted(/write_file, T, _)`).
 */
import type { Atom, Clause, Declaration, SourceUnit, Term } from '../ast.js';
import { parseClause as parseClauseAt } from './clauses.js';
import { TokenCursor } from './cursor.js';
import { parseDeclaration } from './declarations.js';
import { Lexer } from './lexer.js';
import { parseAtom as parseAtomAt, parseTerm as parseTermAt } from './terms.js';

const DEFAULT_FILE = '<input>';

const UNSUPPORTED_STATEMENTS: ReadonlySet<string> = new Set(['Package', 'Use']);

const cursorOver = (text: string, file: string): TokenCursor =>
  new TokenCursor(new Lexer(text, file));

function expectEnd(cursor: TokenCursor): void {
  if (cursor.peek().kind !== 'eof') cursor.fail('end of input');
}

export function parseProgram(text: string, file = DEFAULT_FILE): SourceUnit {
  const cursor = cursorOver(text, file);
  const declarations: Declaration[] = [];
  const clauses: Clause[] = [];
  for (;;) {
    const token = cursor.peek();
    if (token.kind === 'eof') return { file, declarations, clauses };
    if (token.kind === 'variable' && token.text === 'Decl') {
      declarations.push(parseDeclaration(cursor));
    } else if (token.kind === 'variable' && UNSUPPORTED_STATEMENTS.has(token.text)) {
      // Packages rename every predicate of the file; there is no namespace
      // to put them in yet, and silently ignoring them would change meaning.
      cursor.fail('a clause or declaration', ` ("${token.text}" statements are not supported)`);
    } else {
      clauses.push(parseClauseAt(cursor, 'a clause or declaration'));
    }
  }
}

/** Exactly one fact or rule. */
export function parseClause(text: string, file = DEFAULT_FILE): Clause {
  const cursor = cursorOver(text, file);
  const clause = parseClauseAt(cursor);
  expectEnd(cursor);
  return clause;
}

/** One atom such as `permitted(/write_file, T, _)`; a trailing "." is allowed. */
export function parseAtom(text: string, file = DEFAULT_FILE): Atom {
  const cursor = cursorOver(text, file);
  const atom = parseAtomAt(cursor, 'an atom');
  cursor.acceptPunct('.');
  expectEnd(cursor);
  return atom;
}

export function parseTerm(text: string, file = DEFAULT_FILE): Term {
  const cursor = cursorOver(text, file);
  const term = parseTermAt(cursor);
  expectEnd(cursor);
  return term;
}
