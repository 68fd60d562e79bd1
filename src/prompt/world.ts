/**
 * World facts for the kernel from a workspace: a `file_exists` fact for each
 * file the store's `list_files` sees (the same .gitignore and hidden-file
 * rules the agent gets) and a `package_script` fact for each package.json
 * script, so routing can detect frameworks, languages and test commands.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readSmallFile } from '../core/index.js';
import { type FactInput, type Kernel, show, stringValue } from '../kernel/index.js';
import { createWorkspace, type Workspace, workspaceFiles } from '../store/index.js';

/** The world facts of a workspace: a root to open, or a store's workspace already open. */
export async function workspaceFacts(
  at: string | Workspace,
  options: { maxFiles?: number; signal?: AbortSignal } = {},
): Promise<FactInput[]> {
  const workspace = typeof at === 'string' ? await createWorkspace(at) : at;
  const root = workspace.root;
  const [listing, scripts] = await Promise.all([
    workspaceFiles(workspace, {
      maxFiles: options.maxFiles ?? 5_000,
      signal: options.signal ?? new AbortController().signal,
    }),
    packageScripts(root),
  ]);
  const files: FactInput[] = listing.paths.map((path) => ({
    predicate: 'file_exists',
    args: [stringValue(path)],
  }));
  return [...files, ...scripts];
}

/** A package.json larger than this is no real one: reading it would only cost memory and time. */
const MAX_PACKAGE_JSON_BYTES = 4 * 1024 * 1024;

const packageJsonSchema = z.looseObject({
  scripts: z.record(z.string(), z.string()).optional(),
});

/** `package_script(Name, Command)` for each script of the root package.json; none when unreadable. */
async function packageScripts(root: string): Promise<FactInput[]> {
  let data: unknown;
  try {
    const bytes = await readSmallFile(join(root, 'package.json'), MAX_PACKAGE_JSON_BYTES);
    if (bytes === undefined) return [];
    data = JSON.parse(bytes.toString('utf8'));
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

/**
 * The world facts each kernel holds from the last `replaceWorldFacts`: only
 * those that call added, so a fact that was there already (from a rule file,
 * or asserted by someone else) is never taken away. Keyed by the kernel
 * because the kernel is what holds them: an Executor orients many runs in one
 * kernel, and each run's world is a new snapshot of the workspace.
 */
const heldWorlds = new WeakMap<Kernel, ReadonlyMap<string, FactInput>>();

const factKey = (fact: FactInput): string => `${fact.predicate}(${fact.args.map(show).join(',')})`;

/**
 * Makes `facts` the kernel's world: the facts the previous call asserted and
 * `facts` lacks are retracted (a deleted file no longer `file_exists`), the
 * new ones asserted. Facts in both stay put, so nothing derived from them is
 * recomputed.
 */
export function replaceWorldFacts(kernel: Kernel, facts: readonly FactInput[]): void {
  const previous = heldWorlds.get(kernel) ?? new Map<string, FactInput>();
  const next = new Map(facts.map((fact) => [factKey(fact), fact]));
  // One evaluation pass each way, not one per fact: a workspace has thousands.
  kernel.retractAll([...previous].flatMap(([key, fact]) => (next.has(key) ? [] : [fact])));
  const added = [...next].filter(([key]) => !previous.has(key));
  const isNew = kernel.assertAll(added.map(([, fact]) => fact));
  const held = new Map([...next].filter(([key]) => previous.has(key)));
  added.forEach(([key, fact], index) => {
    if (isNew[index]) held.set(key, fact);
  });
  heldWorlds.set(kernel, held);
}
