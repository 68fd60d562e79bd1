/**
 * The file tools' typed errors. Each has a stable `code` and `details.path`
 * (workspace-relative) so the loop can hand it back to the model as is and an
 * embedding app can branch on codes. Refusals of the path itself come from the
 * workspace (`store_path_*`, `store_secret_file`) and pass through unchanged.
 */
import { describeUnknownError, errnoCode, NerdloopError } from '../../core/index.js';

export { errnoCode } from '../../core/index.js';

type Options = { cause?: unknown; details?: Record<string, unknown> };

/** The path (or, for a write without `createDirs`, its parent directory) does not exist. */
export class StoreNotFoundError extends NerdloopError {
  readonly code = 'store_not_found';
}

/** A file operation was pointed at a directory. */
export class StoreIsDirectoryError extends NerdloopError {
  readonly code = 'store_is_directory';
}

/**
 * Neither a regular file nor a directory (a FIFO, a socket, a device): reading
 * one can block forever or never end, so no tool touches them.
 */
export class StoreNotRegularFileError extends NerdloopError {
  readonly code = 'store_not_regular_file';
}

/** A component of the parent path exists but is a file, so the file cannot be created there. */
export class StoreNotADirectoryError extends NerdloopError {
  readonly code = 'store_not_a_directory';
}

/** A NUL byte in the first 8 KiB: the file is treated as binary and not shown or edited. */
export class StoreBinaryFileError extends NerdloopError {
  readonly code = 'store_binary_file';
}

/** edit_file only: writing back text decoded from invalid UTF-8 would corrupt the bytes that were not UTF-8. */
export class StoreNotUtf8Error extends NerdloopError {
  readonly code = 'store_not_utf8';
}

/** The file is larger than the tool holds in memory at once. */
export class StoreFileTooLargeError extends NerdloopError {
  readonly code = 'store_file_too_large';
}

/** read_file: `startLine` after `endLine`, or after the last line. */
export class StoreInvalidRangeError extends NerdloopError {
  readonly code = 'store_invalid_range';
}

/** edit_file: `oldText` occurs nowhere in the file. */
export class StoreEditNoMatchError extends NerdloopError {
  readonly code = 'store_edit_no_match';
}

/** edit_file: `oldText` occurs more than once and `replaceAll` is not set. */
export class StoreEditAmbiguousError extends NerdloopError {
  readonly code = 'store_edit_ambiguous';
}

/** search: `pattern` is not a valid JavaScript regular expression. */
export class StoreSearchInvalidPatternError extends NerdloopError {
  readonly code = 'store_search_invalid_pattern';
}

/**
 * The context's signal fired before a single-file tool finished. (list_files
 * and search return what they found so far instead, marked truncated.)
 */
export class StoreAbortedError extends NerdloopError {
  readonly code = 'store_aborted';
}

/** Any other file-system failure (permissions, a full disk, …), with the errno code in details. */
export class StoreIoError extends NerdloopError {
  readonly code = 'store_io_error';
}

/**
 * Turns whatever an fs call threw into a typed error; errors that already are
 * NerdloopErrors (the workspace's refusals, ours) pass through unchanged.
 */
export function toStoreError(error: unknown, operation: string, path: string): Error {
  if (error instanceof NerdloopError) return error;
  const errno = errnoCode(error);
  const options: Options = { cause: error, details: { path, operation, errno } };
  const reason = describeUnknownError(error);
  switch (errno) {
    case 'ENOENT':
      return new StoreNotFoundError(`${operation} ${path}: no such file or directory`, options);
    case 'EISDIR':
      return new StoreIsDirectoryError(`${operation} ${path}: is a directory`, options);
    case 'ENOTDIR':
      return new StoreNotADirectoryError(
        `${operation} ${path}: a component of the path is not a directory`,
        options,
      );
    default:
      return new StoreIoError(`${operation} ${path} failed: ${reason}`, options);
  }
}

export function abortedError(operation: string, path: string, signal: AbortSignal): Error {
  return new StoreAbortedError(`${operation} ${path} was aborted`, {
    cause: signal.reason,
    details: { path, operation },
  });
}
