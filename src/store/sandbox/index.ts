/**
 * The sandbox boundary: `createWorkspace` turns a root into the `Workspace`
 * every store tool resolves paths through, refusing traversal, symlinks
 * that lead out, input other layers would read differently, and secrets.
 */
export {
  PathInvalidError,
  type PathInvalidReason,
  PathOutsideWorkspaceError,
  PathUnresolvableError,
  SecretFileError,
  WorkspaceRootError,
} from './errors.js';
export { DEFAULT_SECRET_PATTERNS, isSecretPath } from './secrets.js';
export { MAX_COMPONENT_BYTES, MAX_PATH_BYTES } from './validate.js';
export { MAX_SYMLINK_HOPS } from './walk.js';
export { createWorkspace, type SandboxOptions } from './workspace.js';
