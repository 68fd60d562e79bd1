/**
 * World facts for the kernel from a workspace: a `file_exists` fact for each
 * file the store's `list_files` sees (the same .gitignore and hidden-file
 * rules the agent gets) and a `package_script` fact for each package.json
 * script, so routing can detect frameworks, languages and test commands.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
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
  const files: FactInput[] = listing.entries
    .filter((entry) => entry.type === 'file')
    .map((entry) => ({ predicate: 'file_exists', args: [stringValue(entry.path)] }));
  return [...files, ...(await packageScripts(root))];
}

const packageJsonSchema = z.looseObject({
  scripts: z.record(z.string(), z.string()).optional(),
});

/** `package_script(Name, Command)` for each script of the root package.json; none when unreadable. */
async function packageScripts(root: string): Promise<FactInput[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  } catch {
    // No package.json, or not JSON: the workspace simply has no scripts to offer.
    return [];
  }
  const parsed = packageJsonSchema.safeParse(data);
  if (!parsed.success) return [];
  return Object.entries(parsed.data.scripts ?? {}).map(([name, command]) => ({
    predicate: 'package_script',
    args: [stringValue(name), stringValue(command)],
  }));
}
