/**
 * World facts for the kernel from a workspace: a `file_exists` fact for each
 * file the store's `list_files` sees (the same .gitignore and hidden-file
 * rules the agent gets), so routing can detect frameworks and languages.
 */
import { type FactInput, stringValue } from '../kernel/index.js';
import { createWorkspace, listFilesTool } from '../store/index.js';

export async function workspaceFacts(
  root: string,
  options: { maxFiles?: number; signal?: AbortSignal } = {},
): Promise<FactInput[]> {
  const workspace = await createWorkspace(root);
  const listing = await listFilesTool.run(
    { path: '.', maxEntries: options.maxFiles ?? 5_000 },
    {
      workspace,
      signal: options.signal ?? new AbortController().signal,
      clock: { now: () => Date.now() },
    },
  );
  return listing.entries
    .filter((entry) => entry.type === 'file')
    .map((entry) => ({ predicate: 'file_exists', args: [stringValue(entry.path)] }));
}
