/** Terms and atoms: the pieces every clause and declaration is built from. */
import { type Atom, floatValue, intValue, nameValue, stringValue, type Term } from '../ast.js';
import type { TokenCursor } from './cursor.js';
import { isFunctionName, RESERVED_PREDICATE_NAMES, RESERVED_VARIABLE_NAMES } from './syntax.js';

const EXPECTED_TERM = 'a term';

export function parseTerm(cursor: TokenCursor): Term {
  const token = cursor.peek();
  switch (token.kind) {
    case 'variable':
      if (RESERVED_VARIABLE_NAMES.has(token.text)) {
        cursor.fail(EXPECTED_TERM, ` ("${token.text}" is a keyword, not a variable)`);
      }
      cursor.next();
      return { kind: 'var', name: token.text, at: token.at };
    case 'wildcard':
      cursor.next();
      return { kind: 'wildcard', at: token.at };
    case 'name':
      cursor.next();
      return { kind: 'const', value: nameValue(token.text), at: token.at };
    case 'string':
      cursor.next();
      return { kind: 'const', value: stringValue(token.value), at: token.at };
    case 'int':
      cursor.next();
      return { kind: 'const', value: intValue(token.value), at: token.at };
    case 'float':
      cursor.next();
      return { kind: 'const', value: floatValue(token.value), at: token.at };
    case 'identifier':
      return parseIdentifierTerm(cursor, token.text);
    case 'punct':
      if (token.text === '[') {
        cursor.next();
        return { kind: 'list', items: parseTermList(cursor, ']', 'list element'), at: token.at };
      }
      if (token.text === '{') cursor.fail(EXPECTED_TERM, ' (struct literals are not supported)');
      break;
  }
  return cursor.fail(EXPECTED_TERM);
}

function parseIdentifierTerm(cursor: TokenCursor, name: string): Term {
  const applied = cursor.isPunct('(', 1);
  if (isFunctionName(name)) {
    if (!applied) {
      cursor.next();
      cursor.fail(`"(" after function name "${name}"`);
    }
    return parseApplication(cursor);
  }
  if (applied) {
    return cursor.fail(
      EXPECTED_TERM,
      ` (an atom cannot be an argument; only fn: functions apply inside a term)`,
    );
  }
  return cursor.fail(
    EXPECTED_TERM,
    ` (name constants start with "/", as in /${name}; variables start with an uppercase letter)`,
  );
}

/** `fn:name(args)`; the caller has checked the name and the "(". */
export function parseApplication(cursor: TokenCursor): Term {
  const name = cursor.next();
  cursor.next();
  return {
    kind: 'apply',
    fn: name.text,
    args: parseTermList(cursor, ')', 'argument'),
    at: name.at,
  };
}

/**
 * The items up to `close`, which it consumes; the opening bracket is already
 * consumed. Mangle allows a trailing comma.
 */
export function parseTermList(cursor: TokenCursor, close: ')' | ']', item: string): Term[] {
  const items: Term[] = [];
  if (cursor.acceptPunct(close)) return items;
  for (;;) {
    items.push(parseTerm(cursor));
    if (cursor.acceptPunct(',')) {
      if (cursor.acceptPunct(close)) return items;
      continue;
    }
    if (cursor.acceptPunct(close)) return items;
    if (close === ']' && cursor.isPunct(':')) {
      cursor.fail(`"]" or "," after ${item}`, ' (map literals are not supported)');
    }
    cursor.fail(`"${close}" or "," after ${item}`);
  }
}

/** A predicate name that may head an atom, or an error saying what is wrong with it. */
export function expectPredicateName(cursor: TokenCursor, expected: string): string {
  const token = cursor.peek();
  if (token.kind !== 'identifier') return cursor.fail(expected);
  if (isFunctionName(token.text)) {
    cursor.fail(expected, ` ("${token.text}" names a function, not a predicate)`);
  }
  if (RESERVED_PREDICATE_NAMES.has(token.text)) {
    cursor.fail(expected, ` ("${token.text}" is a keyword)`);
  }
  cursor.next();
  return intern(token.text);
}

/**
 * The engine looks relations, changes and base facts up by predicate name in
 * Maps, on every premise of every plan run. The lexer's names are slices of
 * the source; as a property key V8 makes a string its one shared copy, so
 * every occurrence of a name is the same string and a lookup compares
 * pointers instead of characters (about 5× faster, measured).
 */
function intern(text: string): string {
  for (const key in { [text]: 0 }) return key;
  return text;
}

/** `pred(args)`; Mangle needs the parentheses even without arguments: `p()`. */
export function parseAtom(cursor: TokenCursor, expected: string): Atom {
  const at = cursor.peek().at;
  const predicate = expectPredicateName(cursor, expected);
  if (!cursor.acceptPunct('(')) {
    cursor.fail(
      `"(" after predicate name "${predicate}"`,
      ` (write ${predicate}() for a predicate without arguments)`,
    );
  }
  return { predicate, args: parseTermList(cursor, ')', 'argument'), at };
}
