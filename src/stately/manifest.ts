/**
 * `stately.config.json` is nerdloop's own manifest of its machines (no Stately
 * tool defines that file). The graph export, the model-based test runner and
 * the inspector read it, so a machine listed there is drawn and tested with no
 * other change.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { NerdloopError } from '../core/index.js';

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
  /** Upper bound on states explored per input. */
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
  /** Port of the local WebSocket bridge (`@statelyai/inspect/server`). */
  port: z.number().int().min(1).max(65_535).default(8080),
  autoOpen: z.boolean().default(false),
  /** Context keys replaced by a size marker before events leave the process. */
  redactContextKeys: z.array(z.string()).default(['history', 'result']),
  maxDeferredEvents: z.number().int().positive().default(200),
});
export type InspectorSettings = z.output<typeof inspectorSettingsSchema>;

export const statelyManifestSchema = z.object({
  version: z.literal(1),
  machines: z.array(machineEntrySchema).min(1),
  inspector: inspectorSettingsSchema.default(inspectorSettingsSchema.parse({})),
});
export type StatelyManifest = z.output<typeof statelyManifestSchema>;

export class ManifestError extends NerdloopError {
  readonly code = 'manifest_invalid';
}

export const defaultManifestPath = (): string =>
  resolve(dirname(new URL(import.meta.url).pathname), '../../stately.config.json');

export async function loadManifest(path = defaultManifestPath()): Promise<StatelyManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ManifestError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = statelyManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
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

/** Imports a manifest entry's machine; `root` is the folder the manifest's paths are relative to. */
export async function loadMachine(entry: MachineEntry, root: string): Promise<AnyStateMachine> {
  const module = (await import(pathToFileURL(resolve(root, entry.file)).href)) as Record<
    string,
    unknown
  >;
  const machine = module[entry.export];
  if (!isStateMachine(machine)) {
    throw new ManifestError(`${entry.file} has no state machine exported as "${entry.export}"`);
  }
  return machine;
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
