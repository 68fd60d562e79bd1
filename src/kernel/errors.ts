/**
 * Kernel errors. Each names where in which file the problem is, so a user
 * editing a rule file can go straight to it.
 */
import { NerdloopError } from '../core/errors.js';
import type { Position } from './ast.js';

export const formatPosition = (at: Position): string => `${at.file}:${at.line}:${at.column}`;

abstract class PositionedKernelError extends NerdloopError {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(at: Position, message: string, details: Record<string, unknown> = {}) {
    super(`${formatPosition(at)}: ${message}`, { details: { ...details, ...at } });
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
  }
}

/** A premise, head or declaration that refers to a predicate with the wrong number of arguments. */
export class MangleArityError extends PositionedKernelError {
  readonly code = 'mangle_arity';
}

/** A variable that no premise can bind: in the head, a negation, a comparison or a function. */
export class MangleUnsafeVariableError extends PositionedKernelError {
  readonly code = 'mangle_unsafe_variable';
}

/** Recursion through negation or aggregation; the message names the cycle. */
export class MangleStratificationError extends PositionedKernelError {
  readonly code = 'mangle_unstratifiable';
}

/** A body refers to a predicate that has no fact, no rule and no declaration. */
export class MangleUnknownPredicateError extends PositionedKernelError {
  readonly code = 'mangle_unknown_predicate';
}

/** `fn:…` or `:…` that is not a builtin, or a reducer used outside a transform. */
export class MangleUnknownBuiltinError extends PositionedKernelError {
  readonly code = 'mangle_unknown_builtin';
}

/** A predicate declared twice; the message names both places. */
export class MangleDuplicateDeclarationError extends PositionedKernelError {
  readonly code = 'mangle_duplicate_declaration';
}

/** A fact or a derived tuple outside the `bound` types its predicate declares. */
export class MangleBoundError extends PositionedKernelError {
  readonly code = 'mangle_bound_violation';
}

/** A malformed transform: a reducer without `do`, a let that rebinds a variable, … */
export class MangleTransformError extends PositionedKernelError {
  readonly code = 'mangle_transform';
}

/** A builtin applied to values of the wrong type while evaluating, e.g. `fn:plus("a", 1)`. */
export class MangleEvaluationError extends PositionedKernelError {
  readonly code = 'mangle_evaluation';
}

/** A fact given to `assert`/`retract` that is not ground or not a base predicate. */
export class KernelFactError extends NerdloopError {
  readonly code = 'kernel_invalid_fact';
}
