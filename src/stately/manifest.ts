/**
 * `stately.config.json` is nerdloop's own manifest of its machines (no Stately
 * tool defines that file). The graph export, the model-based test runner and
 * the inspector read it, so a machine listed there is drawn and tested with no
 * other change.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { describeUnknownError, issueLines, NerdloopError } from '../core/index.js';

const eventSchema = z.looseObject({ type: z.string().min(1) });

export const machineModelSchema = z.object({
  /** Inputs to start the machine with; paths are generated from each. */
  inputs: z.array(z.unknown()).min(1).default([{}]),
  /** Sample events (with payloads) the traversal may send in any state. */
  events: z.array(eventSchema).default([]),
  /**
   * Context paths that distinguish states during traversal besides the state
   * value, dotted, with `*` over entries (`children.*.status`).
   */
  contextKeys: z.array(z.string()).default([]),
  /**
   * Iteration limit of each `@xstate/graph` traversal, per input: how many
   * snapshots the traversal may take off its queue. Every transition's result is
   * queued, so already-seen states count again (about distinct states × events
   * offered). Past it, planning throws `Traversal limit exceeded` instead of
   * cutting the traversal short.
   */
  limit: z.number().int().positive().default(2_000),
  /** Longest simple path replayed; longer simple paths are skipped. */
  maxSimplePathLength: z.number().int().positive().default(8),
  /** Cap on simple paths replayed per input. */
  maxSimplePaths: z.number().int().positive().default(300),
});
export type MachineModel = z.output<typeof machineModelSchema>;

export const machineEntrySchema = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/),
  file: z.string().min(1),
  export: z.string().min(1),
  description: z.string().min(1),
  model: machineModelSchema.default(machineModelSchema.parse({})),
});
export type MachineEntry = z.output<typeof machineEntrySchema>;

export const inspectorSettingsSchema = z.object({
  /** Port of the local bridge (page over http, WebSocket over ws), bound to 127.0.0.1 only. */
  port: z.number().int().min(1).max(65_535).default(8080),
  autoOpen: z.boolean().default(false),
  /**
   * Keys replaced by a size marker before an inspection event leaves the
   * process, at any depth of its snapshot (context, output) and of its event
   * payload (`START`'s task, a done event's result, a `SPAWN` spec).
   */
  redactContextKeys: z.array(z.string()).default(['history', 'result', 'task']),
  maxDeferredEvents: z.number().int().positive().default(200),
});
export type InspectorSettings = z.output<typeof inspectorSettingsSchema>;

export const statelyManifestSchema = z.object({
  version: z.literal(1),
  machines: z.array(machineEntrySchema).min(1),
  inspector: inspectorSettingsSchema.default(inspectorSettingsSchema.parse({})),
});
export type StatelyManifest = z.output<typeof statelyManifestSchema>;

/** The manifest cannot be read, is not valid, or names a machine that cannot be loaded. */
export class ManifestError extends NerdloopError {
  // Typed as string so the subclasses below can refine it and still be caught as ManifestError.
  readonly code: string = 'manifest_invalid';
}

/** No `stately.config.json` in the folder searched or any folder above it. */
export class ManifestNotFoundError extends ManifestError {
  override readonly code = 'manifest_not_found';
}

/** A manifest entry's module failed to import, or has no state machine under its `export`. */
export class ManifestMachineLoadError extends ManifestError {
  override readonly code = 'manifest_machine_load_failed';
}

export const MANIFEST_FILE = 'stately.config.json';

/**
 * The manifest nerdloop ships: the nearest `stately.config.json` above this
 * module, which is the package root both from `src/stately/` and from the
 * compiled `dist/src/stately/`.
 */
export const defaultManifestPath = (): string => findManifestPath(import.meta.url);

/**
 * The nearest `stately.config.json` in the folder of the module at `moduleUrl`
 * (a `file:` URL, such as `import.meta.url`) or in a folder above it.
 */
export function findManifestPath(moduleUrl: string | URL): string {
  // fileURLToPath, not URL.pathname: the pathname keeps percent-escapes such as %20.
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, MANIFEST_FILE);
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new ManifestNotFoundError(`no ${MANIFEST_FILE} in ${start} or any folder above it`, {
    details: { start },
  });
}

export async function loadManifest(path = defaultManifestPath()): Promise<StatelyManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ManifestError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = statelyManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = issueLines(parsed.error.issues);
    throw new ManifestError(`${path} is not a valid manifest: ${problems.join('; ')}`);
  }
  const names = new Set<string>();
  for (const machine of parsed.data.machines) {
    if (names.has(machine.name))
      throw new ManifestError(`${path}: machine "${machine.name}" is listed twice`);
    names.add(machine.name);
  }
  return parsed.data;
}

/**
 * Imports a manifest entry's machine; `root` is the folder the manifest's paths
 * are relative to. Throws ManifestMachineLoadError, naming the machine, the file
 * and the cause, when the module cannot be imported (missing, or does not
 * compile) or has no state machine under `entry.export`.
 */
export async function loadMachine(entry: MachineEntry, root: string): Promise<AnyStateMachine> {
  const file = resolve(root, entry.file);
  const details = { machine: entry.name, file, export: entry.export };
  const failure = (cause: string, error?: unknown) =>
    new ManifestMachineLoadError(`cannot load machine "${entry.name}" from ${file}: ${cause}`, {
      cause: error,
      details,
    });
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw failure(describeUnknownError(error), error);
  }
  const machine = module[entry.export];
  if (!isStateMachine(machine)) {
    const found = machine === undefined ? 'nothing' : describeKind(machine);
    throw failure(`its export "${entry.export}" is not a state machine (found ${found})`);
  }
  return machine;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function isStateMachine(value: unknown): value is AnyStateMachine {
  return (
    typeof value === 'object' &&
    value !== null &&
    'root' in value &&
    'transition' in value &&
    'provide' in value &&
    typeof (value as { provide: unknown }).provide === 'function'
  );
}
