/**
 * The file tools: read_file, write_file, edit_file, list_files, search. Each
 * resolves its path through the context's workspace before any I/O, so the
 * sandbox's refusals (outside the root, secret files) come first and typed.
 */
import type { AnyStoreTool } from '../tool.js';
import { editFileTool } from './edit-file.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { searchTool } from './search.js';
import { writeFileTool } from './write-file.js';

export {
  createEditFileTool,
  EDIT_MAX_BYTES,
  type EditFileArgs,
  type EditFileResult,
  editFileTool,
} from './edit-file.js';
export * from './errors.js';
export { type IgnoreFile, type IgnoreRule, isIgnored, parseGitignore } from './gitignore.js';
export { compileGlob, type GlobOptions, globMatcher } from './glob.js';
export {
  LIST_DEFAULT_MAX_ENTRIES,
  LIST_HARD_MAX_ENTRIES,
  type ListEntry,
  type ListFilesArgs,
  type ListFilesResult,
  listFilesTool,
} from './list-files.js';
export {
  READ_DEFAULT_MAX_BYTES,
  READ_HARD_MAX_BYTES,
  type ReadFileArgs,
  type ReadFileResult,
  readFileTool,
} from './read-file.js';
export type { WalkTruncation } from './schemas.js';
export {
  SEARCH_DEFAULT_MAX_MATCHES,
  SEARCH_HARD_MAX_MATCHES,
  SEARCH_MAX_CONTEXT_LINES,
  SEARCH_MAX_FILE_BYTES,
  type SearchArgs,
  type SearchResult,
  searchTool,
} from './search.js';
export { DISPLAY_CHARS, MAX_EXAMINED_CHARS } from './search-lines.js';
export { ALWAYS_SKIPPED, comparePaths, SCAN_LIMIT } from './walk.js';
export { type WorkspaceFiles, workspaceFiles } from './workspace-files.js';
export {
  createWriteFileTool,
  type FileWriteToolOptions,
  type WriteFileArgs,
  type WriteFileResult,
  writeFileTool,
} from './write-file.js';

/** Every file tool, in the order they are offered to a model. */
export const fileTools: readonly AnyStoreTool[] = [
  readFileTool,
  listFilesTool,
  searchTool,
  writeFileTool,
  editFileTool,
];
