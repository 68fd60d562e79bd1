/**
 * The files of a workspace as `list_files` would list them (the same
 * .gitignore, hidden-name and always-skipped rules), without what only the
 * model needs: no sizes, so no stat per file. For nerdloop's own view of a
 * workspace (world facts), not a tool.
 */
import type { Workspace } from '../tool.js';
import { comparePaths, SCAN_LIMIT, walk } from './walk.js';

export type WorkspaceFiles = {
  /** Workspace-relative, `/`-separated, in tree order. */
  readonly paths: readonly string[];
  /** More files than `maxFiles`, or the walk stopped early: `paths` is not all of them. */
  readonly truncated: boolean;
};

export async function workspaceFiles(
  workspace: Workspace,
  options: { readonly maxFiles: number; readonly signal: AbortSignal },
): Promise<WorkspaceFiles> {
  const root = await workspace.resolve('.');
  const paths: string[] = [];
  let truncated = false;
  const end = await walk(
    root,
    {
      workspaceRoot: workspace.root,
      includeHidden: false,
      recursive: true,
      signal: options.signal,
      scanLimit: SCAN_LIMIT,
    },
    (entry) => {
      if (entry.type !== 'file') return true;
      if (paths.length === options.maxFiles) {
        truncated = true;
        return false;
      }
      paths.push(entry.relative);
      return true;
    },
  );
  return { paths: paths.sort(comparePaths), truncated: truncated || end !== 'complete' };
}
