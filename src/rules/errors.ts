/**
 * Errors around the shipped rules. The rules themselves never throw on what
 * an agent asks for: a strange action is a verdict, not an error. These
 * describe a caller's mistake or a broken installation.
 */
import { NerdloopError } from '../core/index.js';

/** A pending action that does not match the schema (no id, a time that is not an integer, …). */
export class InvalidPendingActionError extends NerdloopError {
  readonly code = 'rules_invalid_action';
}

/** The world given to the preparer has no usable workspace root. */
export class InvalidWorkspaceError extends NerdloopError {
  readonly code = 'rules_invalid_workspace';
}

/** A shipped or user rule file that is not there. */
export class RuleFileNotFoundError extends NerdloopError {
  readonly code = 'rules_file_not_found';
}
