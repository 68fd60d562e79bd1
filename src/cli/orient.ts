/**
 * The parts of OBSERVE → ORIENT → JIT that the CLI commands share: the
 * shipped rules (plus the workspace's own `.nerdloop/rules/*.mg`), the shipped
 * atoms (plus `.nerdloop/atoms/`), the config layers, and the workspace's
 * world facts.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sequentialIds } from '../core/index.js';
import type { Kernel } from '../kernel/index.js';
import { createTransducer } from '../perception/index.js';
import {
  type AtomLoadError,
  type ConfigFactory,
  type ConfigFile,
  createConfigFactory,
  createPromptCompiler,
  loadAtoms,
  loadConfigLayers,
  type PreparedTask,
  type PromptAtom,
  prepareTask,
  SHIPPED_ATOMS_DIR,
  workspaceFacts,
} from '../prompt/index.js';
import { loadShippedRules } from '../rules/index.js';
import { WorkspaceError } from './errors.js';

export type Oriented = PreparedTask & {
  readonly workspace: string;
  readonly atomErrors: readonly AtomLoadError[];
};

export const isDirectory = async (path: string): Promise<boolean> =>
  (await stat(path).catch(() => undefined))?.isDirectory() === true;

/** A workspace's rules, atoms and config: nerdloop's shipped ones plus its `.nerdloop/`. */
export type WorkspaceSetup = {
  readonly workspace: string;
  readonly kernel: Kernel;
  readonly atoms: readonly PromptAtom[];
  readonly atomErrors: readonly AtomLoadError[];
  readonly configFactory: ConfigFactory;
  /** The workspace's own rule directory, when it has one (for agents that load rules afresh). */
  readonly rules: readonly string[];
  readonly configLayers: readonly ConfigFile[];
};

/** The workspace's absolute path, or a WorkspaceError when it is not a directory. */
export async function checkWorkspace(dir: string): Promise<string> {
  const path = resolve(dir);
  if (!(await isDirectory(path))) {
    throw new WorkspaceError(`workspace ${path} is not a directory`, { details: { path } });
  }
  return path;
}

export async function loadWorkspaceSetup(workspaceDir: string): Promise<WorkspaceSetup> {
  const workspace = await checkWorkspace(workspaceDir);
  const own = join(workspace, '.nerdloop');
  const rules = (await isDirectory(join(own, 'rules'))) ? [join(own, 'rules')] : [];
  const kernel = await loadShippedRules(rules);
  const atomDirs = [SHIPPED_ATOMS_DIR];
  if (await isDirectory(join(own, 'atoms'))) atomDirs.push(join(own, 'atoms'));
  const { atoms, errors } = await loadAtoms(atomDirs);
  const configLayers = await loadConfigLayers(join(own, 'config.yaml'));
  const configFactory = createConfigFactory(kernel, configLayers);
  return { workspace, kernel, atoms, atomErrors: errors, configFactory, rules, configLayers };
}

export async function orient(task: string, workspaceDir: string): Promise<Oriented> {
  const setup = await loadWorkspaceSetup(workspaceDir);
  const prepared = await prepareTask(
    {
      kernel: setup.kernel,
      // One task per command: a sequential id reads better than a UUID.
      transducer: createTransducer({ ids: sequentialIds() }),
      compiler: createPromptCompiler({ atoms: setup.atoms }),
      configFactory: setup.configFactory,
    },
    task,
    { world: await workspaceFacts(setup.workspace) },
  );
  return { ...prepared, workspace: setup.workspace, atomErrors: setup.atomErrors };
}
