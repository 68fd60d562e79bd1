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

  constructor(
    at: Position,
    message: string,
    details: Record<string, unknown> = {},
    /** What went wrong underneath (a callback's own error), kept for the caller. */
    cause?: unknown,
  ) {
    super(`${formatPosition(at)}: ${message}`, {
      details: { ...details, ...at },
      ...(cause === undefined ? {} : { cause }),
    });
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

/**
 * An external predicate used or declared wrongly, found while loading: no
 * callback for an `external()` Decl, a callback for a predicate not declared
 * external, an external predicate in a head or a fact, a malformed `mode(…)`,
 * or a premise whose `+` arguments no premise before it can bind.
 */
export class MangleExternalError extends PositionedKernelError {
  readonly code = 'mangle_external';
}

/**
 * An `externals` option or a `refreshExternal` call that names no external
 * predicate of the program, or registers something that is not a function.
 * There is no rule-file position to give: the mistake is in the calling code.
 */
export class KernelExternalOptionError extends NerdloopError {
  readonly code = 'kernel_external_option';
}

/** `setKernelCacheLimits` given a limit that is not a non-negative integer. */
export class KernelCacheOptionError extends NerdloopError {
  readonly code = 'kernel_cache_option';
}

/**
 * An external predicate's callback threw. Positioned at the premise that
 * asked; names the predicate and its inputs; the thrown value is the `cause`.
 * A failed assert, retract or refresh leaves the kernel as it was before.
 */
export class ExternalCallbackError extends PositionedKernelError {
  readonly code = 'kernel_external_failed';
}

/**
 * An external predicate's callback answered something that is not rows of
 * kernel values with one value per output argument (or a promise: callbacks
 * are synchronous). Positioned at the premise that asked.
 */
export class ExternalResultError extends PositionedKernelError {
  readonly code = 'kernel_external_result';
}
