/**
 * Canonical Mangle text for syntax trees. Parsing what this prints gives the
 * same tree back (positions aside), and Mangle reads it too.
 */
import type {
  Atom,
  Clause,
  Declaration,
  LetBinding,
  Literal,
  SourceUnit,
  Term,
  TransformStage,
  Value,
} from '../ast.js';
import { quoteString } from './escapes.js';
import { formatFloat } from './numbers.js';

/** `[a, b]`, kept from starting with `[-`, which Mangle lexes as a temporal operator. */
function bracketed(items: readonly string[]): string {
  const inner = items.join(', ');
  return inner.startsWith('-') ? `[ ${inner}]` : `[${inner}]`;
}

const applied = (name: string, args: readonly string[]): string => `${name}(${args.join(', ')})`;

/**
 * A ground value. Lists and pairs have no literal syntax: they print as the
 * list term and `fn:pair(…)` that build them, for reading, not as constants.
 */
export function printValue(value: Value): string {
  switch (value.type) {
    case 'name':
      return value.value;
    case 'string':
      return quoteString(value.value);
    case 'int':
      return value.value.toString();
    case 'float':
      return formatFloat(value.value);
    case 'list':
      return bracketed(value.items.map(printValue));
    case 'pair':
      return applied('fn:pair', [printValue(value.first), printValue(value.second)]);
  }
}

export function printTerm(term: Term): string {
  switch (term.kind) {
    case 'var':
      return term.name;
    case 'wildcard':
      return '_';
    case 'const':
      return printValue(term.value);
    case 'apply':
      return applied(term.fn, term.args.map(printTerm));
    case 'list':
      return bracketed(term.items.map(printTerm));
  }
}

export function printAtom(atom: Atom): string {
  return applied(atom.predicate, atom.args.map(printTerm));
}

export function printLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'atom':
      return printAtom(literal.atom);
    case 'negation':
      return `!${printAtom(literal.atom)}`;
    case 'comparison':
      // Spaces matter: `X<-1` would lex as the temporal operator `<-`.
      return `${printTerm(literal.left)} ${literal.op} ${printTerm(literal.right)}`;
  }
}

const printLet = (binding: LetBinding): string =>
  `let ${binding.variable} = ${applied(binding.fn, binding.args.map(printTerm))}`;

export function printTransform(stage: TransformStage): string {
  const lets = stage.lets.map(printLet);
  const parts =
    stage.groupBy === null ? lets : [`do ${applied('fn:group_by', stage.groupBy)}`, ...lets];
  return `|> ${parts.join(', ')}`;
}

/** A name swallows a directly following "." (`/a.`), so the period needs a space. */
function endsWithName(literal: Literal | undefined): boolean {
  return (
    literal?.kind === 'comparison' &&
    literal.right.kind === 'const' &&
    literal.right.value.type === 'name'
  );
}

export function printClause(clause: Clause): string {
  const head = printAtom(clause.head);
  if (clause.body.length === 0 && clause.transforms.length === 0) return `${head}.`;
  const body = clause.body.map(printLiteral).join(', ');
  const transforms = clause.transforms.map((stage) => ` ${printTransform(stage)}`).join('');
  const last = clause.body[clause.body.length - 1];
  const period = transforms === '' && endsWithName(last) ? ' .' : '.';
  return `${head} ${clause.arrow ?? ':-'} ${body}${transforms}${period}`;
}

export function printDeclaration(declaration: Declaration): string {
  const descr =
    declaration.descr.length === 0 ? '' : ` descr ${bracketed(declaration.descr.map(printAtom))}`;
  const bounds = declaration.bounds
    .map((bound) => ` bound ${bracketed(bound.map(printTerm))}`)
    .join('');
  return `Decl ${applied(declaration.predicate, declaration.params)}${descr}${bounds}.`;
}

/** Declarations first, then clauses, one per line, each group in source order. */
export function printProgram(unit: SourceUnit): string {
  const lines = [...unit.declarations.map(printDeclaration), ...unit.clauses.map(printClause)];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
