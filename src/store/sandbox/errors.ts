/**
 * The sandbox boundary's refusals. Each is a NerdloopError with a stable
 * `code` and `details.path` (the path exactly as given), so a tool can hand
 * the refusal back to the model and an embedding app can branch on codes.
 */
import { NerdloopError } from '../../core/index.js';

/** What was wrong with a path refused before any I/O; stable, for callers that branch on it. */
export type PathInvalidReason =
  | 'not_a_string'
  | 'empty'
  | 'nul_byte'
  | 'control_character'
  | 'invisible_character'
  | 'lone_surrogate'
  | 'too_long'
  | 'component_too_long'
  | 'backslash'
  | 'drive_letter'
  | 'unc'
  | 'home'
  | 'percent_encoded'
  | 'lookalike';

/** The path is not something the sandbox will try to resolve at all. */
export class PathInvalidError extends NerdloopError {
  readonly code = 'store_path_invalid';
}

/** The path, lexically or once symlinks are followed, is not inside the workspace root. */
export class PathOutsideWorkspaceError extends NerdloopError {
  readonly code = 'store_path_outside';
}

/** The path (as written, or where its symlinks lead) names a file that may hold credentials. */
export class SecretFileError extends NerdloopError {
  readonly code = 'store_secret_file';
}

/**
 * The file system would not say where the path leads (a symlink loop, a
 * directory that cannot be searched, a name too long once links are
 * expanded): refused, since "unknown" cannot be shown to be inside.
 */
export class PathUnresolvableError extends NerdloopError {
  readonly code = 'store_path_unresolvable';
}

/** `createWorkspace` was given a root that is not an existing directory, or bad options. */
export class WorkspaceRootError extends NerdloopError {
  readonly code = 'store_workspace_root';
}

/** Longest piece of a path quoted in a message: a 5000-byte path would drown the reason. */
const QUOTE_LIMIT = 200;

/**
 * The path for a message: JSON-escaped so a NUL or a newline is visible
 * instead of cutting or splitting the message.
 */
export function quotePath(path: unknown): string {
  if (typeof path !== 'string') return `(${typeof path})`;
  if (path.length <= QUOTE_LIMIT) return JSON.stringify(path);
  return `${JSON.stringify(path.slice(0, QUOTE_LIMIT))}… (${path.length} characters)`;
}

export function invalidPath(
  path: unknown,
  reason: PathInvalidReason,
  what: string,
): PathInvalidError {
  return new PathInvalidError(`path ${quotePath(path)} ${what}`, { details: { path, reason } });
}
