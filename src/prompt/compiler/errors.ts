/** Typed prompt-compiler errors: callers branch on `code`. */
import { NerdloopError } from '../../core/index.js';

export abstract class PromptCompilerError extends NerdloopError {}

/**
 * Even the mandatory atoms at their shortest, plus the brief, do not fit.
 * `minimum` is the exact token count of that smallest possible prompt.
 */
export class PromptBudgetTooSmallError extends PromptCompilerError {
  readonly code = 'prompt_budget_too_small';
  constructor(
    readonly budget: number,
    readonly minimum: number,
    readonly encoding: string,
  ) {
    super(
      `prompt budget of ${budget} tokens is too small: the mandatory atoms at their shortest and the brief need ${minimum} tokens (${encoding})`,
      { details: { budget, minimum, encoding } },
    );
  }
}

/** A budget or cache size that is not a usable integer. */
export class PromptCompilerOptionError extends PromptCompilerError {
  readonly code = 'prompt_compiler_option_invalid';
}

/**
 * An atom set the compiler cannot honour whatever the context: duplicate ids,
 * a mandatory atom whose dependency does not exist, or two atoms that must
 * both always be present but conflict.
 */
export class PromptAtomsInvalidError extends PromptCompilerError {
  readonly code = 'prompt_atoms_invalid';
}
