/** `Decl pred(A, B) descr [...] bound [...] bound [...].` */
import type { Atom, Declaration, Term } from '../ast.js';
import type { TokenCursor } from './cursor.js';
import { RESERVED_VARIABLE_NAMES } from './syntax.js';
import { expectPredicateName, parseAtom, parseTermList } from './terms.js';

const UNSUPPORTED_BLOCKS: Readonly<Record<string, string>> = {
  inclusion: ' (inclusion constraints are not supported)',
  temporal: ' (temporal predicates are not supported)',
};

/** The cursor is on the `Decl` keyword. */
export function parseDeclaration(cursor: TokenCursor): Declaration {
  const at = cursor.next().at;
  const predicate = expectPredicateName(cursor, 'a predicate name after "Decl"');
  cursor.expectPunct('(', `after declared predicate "${predicate}"`);
  const params = parseParams(cursor);

  let descr: Atom[] = [];
  const hasDescr = cursor.isKeyword('descr');
  if (hasDescr) {
    cursor.next();
    cursor.expectPunct('[', 'after "descr"');
    descr = parseAtomList(cursor);
  }
  const bounds: Term[][] = [];
  while (cursor.isKeyword('bound')) {
    cursor.next();
    cursor.expectPunct('[', 'after "bound"');
    bounds.push(parseTermList(cursor, ']', 'bound'));
  }
  if (!cursor.isPunct('.')) {
    const expected =
      !hasDescr && bounds.length === 0 ? '"descr", "bound" or "."' : '"bound" or "."';
    const next = cursor.peek();
    const hint = next.kind === 'identifier' ? (UNSUPPORTED_BLOCKS[next.text] ?? '') : '';
    cursor.fail(`${expected} in declaration of "${predicate}"`, hint);
  }
  cursor.next();
  return { predicate, params, descr, bounds, at };
}

/** Mangle requires every declared argument to be a variable (`_` included). */
function parseParams(cursor: TokenCursor): string[] {
  const params: string[] = [];
  if (cursor.acceptPunct(')')) return params;
  for (;;) {
    const token = cursor.peek();
    const isParam =
      token.kind === 'wildcard' ||
      (token.kind === 'variable' && !RESERVED_VARIABLE_NAMES.has(token.text));
    if (!isParam) cursor.fail('a variable as declared argument');
    cursor.next();
    params.push(token.text);
    if (cursor.acceptPunct(',')) {
      if (cursor.acceptPunct(')')) return params;
      continue;
    }
    if (cursor.acceptPunct(')')) return params;
    cursor.fail('")" or "," after declared argument');
  }
}

function parseAtomList(cursor: TokenCursor): Atom[] {
  const atoms: Atom[] = [];
  if (cursor.acceptPunct(']')) return atoms;
  for (;;) {
    atoms.push(parseAtom(cursor, 'a descr atom such as doc("…")'));
    if (cursor.acceptPunct(',')) {
      if (cursor.acceptPunct(']')) return atoms;
      continue;
    }
    if (cursor.acceptPunct(']')) return atoms;
    cursor.fail('"]" or "," after descr atom');
  }
}
