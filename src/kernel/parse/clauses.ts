/** Facts and rules: head, body premises and `|>` transforms. */
import type { Clause, ComparisonOperator, LetBinding, Literal, TransformStage } from '../ast.js';
import type { TokenCursor } from './cursor.js';
import { isFunctionName, RESERVED_VARIABLE_NAMES } from './syntax.js';
import { parseAtom, parseTerm, parseTermList } from './terms.js';

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

const isComparisonOperator = (text: string): text is ComparisonOperator =>
  COMPARISON_OPERATORS.has(text);

export function parseClause(cursor: TokenCursor, expected = 'a clause'): Clause {
  const head = parseAtom(cursor, expected);
  if (cursor.acceptPunct('.')) {
    return { head, body: [], transforms: [], arrow: null, at: head.at };
  }
  let arrow: ':-' | '⟸';
  if (cursor.acceptPunct(':-')) arrow = ':-';
  else if (cursor.acceptPunct('⟸')) arrow = '⟸';
  else if (cursor.isPunct('@')) {
    return cursor.fail(
      '":-", "⟸" or "." after clause head',
      ' (temporal annotations are not supported)',
    );
  } else return cursor.fail('":-", "⟸" or "." after clause head');

  const body = parseBody(cursor);
  const transforms: TransformStage[] = [];
  while (cursor.isPunct('|>')) {
    transforms.push(parseTransform(cursor));
    if (!cursor.isPunct('|>') && !cursor.isPunct('.')) {
      cursor.fail('",", "|>" or "." after transform');
    }
  }
  cursor.next();
  return { head, body, transforms, arrow, at: head.at };
}

/** Premises up to (not including) the "." or the first "|>". */
function parseBody(cursor: TokenCursor): Literal[] {
  const body = [parseLiteral(cursor)];
  for (;;) {
    if (cursor.acceptPunct(',')) {
      // Mangle allows a trailing comma after the last premise.
      if (cursor.isPunct('.') || cursor.isPunct('|>')) return body;
      body.push(parseLiteral(cursor));
    } else if (cursor.isPunct('.') || cursor.isPunct('|>')) {
      return body;
    } else {
      cursor.fail('",", "." or "|>" after premise');
    }
  }
}

function parseLiteral(cursor: TokenCursor): Literal {
  const token = cursor.peek();
  if (token.kind === 'punct' && token.text === '!') {
    cursor.next();
    return { kind: 'negation', atom: parseAtom(cursor, 'a predicate after "!"'), at: token.at };
  }
  if (token.kind === 'identifier' && !isFunctionName(token.text)) {
    const next = cursor.peek(1);
    // A lowercase word before an operator is a mistyped constant; parseTerm says so.
    if (!(next.kind === 'punct' && isComparisonOperator(next.text))) {
      return { kind: 'atom', atom: parseAtom(cursor, 'a premise') };
    }
  }
  if (token.kind === 'eof' || (token.kind === 'punct' && token.text !== '[')) {
    return cursor.fail('a premise');
  }
  const left = parseTerm(cursor);
  const operator = cursor.peek();
  if (operator.kind !== 'punct' || !isComparisonOperator(operator.text)) {
    return cursor.fail('a comparison operator (=, !=, <, <=, >, >=) after term');
  }
  cursor.next();
  const right = parseTerm(cursor);
  return { kind: 'comparison', op: operator.text, left, right, at: left.at };
}

function parseTransform(cursor: TokenCursor): TransformStage {
  const at = cursor.next().at;
  if (cursor.isKeyword('do')) {
    cursor.next();
    const groupBy = parseGroupBy(cursor);
    const lets: LetBinding[] = [];
    while (cursor.acceptPunct(',')) lets.push(parseLet(cursor));
    return { groupBy, lets, at };
  }
  if (!cursor.isKeyword('let')) cursor.fail('"do" or "let" after "|>"');
  const lets = [parseLet(cursor)];
  while (cursor.acceptPunct(',')) lets.push(parseLet(cursor));
  return { groupBy: null, lets, at };
}

/** `fn:group_by(K1, …)`: the keys must be variables. */
function parseGroupBy(cursor: TokenCursor): string[] {
  if (!cursor.isKeyword('fn:group_by') || !cursor.isPunct('(', 1)) {
    cursor.fail('fn:group_by(…) after "do"');
  }
  cursor.next();
  cursor.next();
  const keys: string[] = [];
  if (cursor.acceptPunct(')')) return keys;
  for (;;) {
    keys.push(expectVariable(cursor, 'a variable to group by'));
    if (cursor.acceptPunct(',')) {
      if (cursor.acceptPunct(')')) return keys;
      continue;
    }
    if (cursor.acceptPunct(')')) return keys;
    cursor.fail('")" or "," after group_by key');
  }
}

/** `let V = fn:…(…)`. */
function parseLet(cursor: TokenCursor): LetBinding {
  if (!cursor.isKeyword('let')) cursor.fail('"let"');
  const at = cursor.next().at;
  const variable = expectVariable(cursor, 'a variable after "let"');
  cursor.expectPunct('=', `after "let ${variable}"`);
  const fn = cursor.peek();
  if (fn.kind !== 'identifier' || !isFunctionName(fn.text) || !cursor.isPunct('(', 1)) {
    return cursor.fail('a function application such as fn:count() after "="');
  }
  cursor.next();
  cursor.next();
  return { variable, fn: fn.text, args: parseTermList(cursor, ')', 'argument'), at };
}

function expectVariable(cursor: TokenCursor, expected: string): string {
  const token = cursor.peek();
  if (token.kind !== 'variable' || RESERVED_VARIABLE_NAMES.has(token.text)) {
    return cursor.fail(expected);
  }
  cursor.next();
  return token.text;
}
