/**
 * Argument modes of external predicates, read from their `Decl`:
 * `Decl p(A, B) descr [external(), mode("+", "-")].` Mangle's modes are `+`
 * (an input: bound before the premise runs), `-` (an output: produced by the
 * predicate) and `?` (either). For an external predicate the `+` arguments
 * are what its callback receives; every other argument is an output the
 * callback answers, and a value already known there only filters the answers.
 */
import type { Atom, Declaration, Position } from './ast.js';
import { MangleExternalError } from './errors.js';

export type ArgMode = '+' | '-' | '?';

/** What the planner and the engine need to know about one external predicate. */
export type ExternalSpec = {
  readonly predicate: string;
  readonly arity: number;
  /** One mode per argument (all `-` when the Decl gives no mode). */
  readonly modes: readonly ArgMode[];
  /** Positions of the `+` arguments, ascending: the callback's inputs. */
  readonly inputs: readonly number[];
  /** Every other position, ascending: the columns of each answer row. */
  readonly outputs: readonly number[];
  /** The Decl, for messages. */
  readonly declaredAt: Position;
};

const isMode = (text: string): text is ArgMode => text === '+' || text === '-' || text === '?';

export const isExternalDeclaration = (declaration: Declaration): boolean =>
  declaration.descr.some((atom) => atom.predicate === 'external');

/**
 * The spec of an `external()` Decl, or null for any other Decl. Modes of
 * non-external predicates are not read: nerdloop's planner orders premises
 * itself, and rule files written for Mangle carry modes it has no use for.
 */
export function externalSpec(declaration: Declaration): ExternalSpec | null {
  if (!isExternalDeclaration(declaration)) return null;
  const arity = declaration.params.length;
  const modeAtoms = declaration.descr.filter((atom) => atom.predicate === 'mode');
  const [first, second] = modeAtoms;
  if (second) {
    // The callback protocol needs one fixed split into inputs and outputs.
    throw new MangleExternalError(
      second.at,
      `external predicate ${declaration.predicate} has more than one mode(…): an external predicate takes one, which fixes what its callback receives`,
      { predicate: declaration.predicate },
    );
  }
  const modes = first ? readModes(first, declaration) : new Array<ArgMode>(arity).fill('-');
  const inputs: number[] = [];
  const outputs: number[] = [];
  modes.forEach((mode, position) => {
    (mode === '+' ? inputs : outputs).push(position);
  });
  return {
    predicate: declaration.predicate,
    arity,
    modes,
    inputs,
    outputs,
    declaredAt: declaration.at,
  };
}

function readModes(atom: Atom, declaration: Declaration): ArgMode[] {
  const arity = declaration.params.length;
  if (atom.args.length !== arity) {
    throw new MangleExternalError(
      atom.at,
      `mode(…) of ${declaration.predicate} gives ${atom.args.length} argument mode(s) for ${arity} argument(s)`,
      { predicate: declaration.predicate },
    );
  }
  return atom.args.map((term) => {
    const text = term.kind === 'const' && term.value.type === 'string' ? term.value.value : null;
    if (text === null || !isMode(text)) {
      throw new MangleExternalError(
        term.at,
        `mode(…) of ${declaration.predicate}: each argument mode is "+" (input), "-" (output) or "?" (either)`,
        { predicate: declaration.predicate },
      );
    }
    return text;
  });
}
