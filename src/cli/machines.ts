/** `nerdloop machines`: the manifest's machines as Mermaid diagrams or graph JSON. */
import { dirname, resolve } from 'node:path';
import { Option } from 'commander';
import {
  defaultManifestPath,
  loadMachine,
  loadManifest,
  type MachineEntry,
  type MachineGraphJson,
  toGraphJson,
  toMermaid,
} from '../stately/index.js';
import { NerdloopCommand, outputOf, runCommand } from './command.js';
import { UnknownMachineError } from './errors.js';

export type MachinesFormat = 'mermaid' | 'json';

export type MachinesOptions = {
  format: MachinesFormat;
  /** Only this machine; all of them when absent. */
  machine?: string;
  /** The manifest to read; `defaultManifestPath()` when absent. */
  manifest?: string;
};

export type MachinesJson = {
  machines: Array<{ name: string; description: string; graph: MachineGraphJson }>;
};

export function machinesCommand(): NerdloopCommand {
  // `--manifest` has no default value: finding the default manifest can fail, and
  // that must be this command's error, not break building the whole CLI.
  return new NerdloopCommand('machines')
    .description("print the manifest's state machines as Mermaid diagrams or graph JSON")
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['mermaid', 'json'])
        .default('mermaid'),
    )
    .option('--machine <name>', 'only this machine')
    .option('--manifest <path>', "manifest to read (default: nerdloop's own stately.config.json)")
    .action(async (_flags: unknown, command: NerdloopCommand) => {
      await runCommand(command, async () => {
        const text = await renderMachines(command.opts<MachinesOptions>());
        outputOf(command).out(text);
      });
    });
}

/** The command's whole stdout, so it can be tested without a process. */
export async function renderMachines(options: MachinesOptions): Promise<string> {
  const manifestPath = resolve(options.manifest ?? defaultManifestPath());
  const manifest = await loadManifest(manifestPath);
  const entries = selectEntries(manifest.machines, options.machine);
  // Machine files are relative to the manifest, not to the working directory.
  const root = dirname(manifestPath);
  const loaded = [];
  for (const entry of entries) loaded.push({ entry, machine: await loadMachine(entry, root) });

  if (options.format === 'json') {
    const json: MachinesJson = {
      machines: loaded.map(({ entry, machine }) => ({
        name: entry.name,
        description: entry.description,
        graph: toGraphJson(machine),
      })),
    };
    return `${JSON.stringify(json, null, 2)}\n`;
  }
  return loaded
    .map(({ entry, machine }) => `%% ${entry.name}: ${entry.description}\n${toMermaid(machine)}`)
    .join('\n');
}

function selectEntries(entries: MachineEntry[], name: string | undefined): MachineEntry[] {
  if (name === undefined) return entries;
  const entry = entries.find((candidate) => candidate.name === name);
  if (!entry) {
    const known = entries.map((candidate) => candidate.name).join(', ');
    throw new UnknownMachineError(`unknown machine "${name}"; known machines: ${known}`, {
      details: { name, known: entries.map((candidate) => candidate.name) },
    });
  }
  return [entry];
}
