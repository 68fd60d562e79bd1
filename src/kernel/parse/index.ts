/** Mangle text in and out: the parser and printer of nerdloop's Datalog kernel. */
export { MangleSyntaxError } from './errors.js';
export { quoteString } from './escapes.js';
export { formatFloat } from './numbers.js';
export { parseAtom, parseClause, parseProgram, parseTerm } from './parser.js';
export {
  printAtom,
  printClause,
  printDeclaration,
  printLiteral,
  printProgram,
  printTerm,
  printTransform,
  printValue,
} from './printer.js';
export {
  isFunctionName,
  RESERVED_PREDICATE_NAMES,
  RESERVED_VARIABLE_NAMES,
} from './syntax.js';
