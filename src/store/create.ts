/** Builds a VirtualStore with nerdloop's defaults: the shipped rules, every tool, a sandboxed workspace. */
import { type Clock, type IdGenerator, randomIds, systemClock } from '../core/index.js';
import type { Kernel } from '../kernel/index.js';
import { fileSystemRealpath, loadShippedRules } from '../rules/index.js';
import { runCommandTool } from './command/index.js';
import type { ApprovalHook } from './gate/approval.js';
import type { AuditSink } from './gate/audit.js';
import { PolicyGate } from './gate/gate.js';
import type { StoreModeInit } from './gate/modes.js';
import { checkPersona } from './gate/persona.js';
import { createWorkspace, type SandboxOptions } from './sandbox/index.js';
import type { AnyStoreTool } from './tool.js';
import { fileTools } from './tools/index.js';
import { VirtualStore } from './virtual-store.js';

export type VirtualStoreOptions = {
  /** The workspace root: an existing directory. */
  readonly root: string;
  /** The persona of the agent using the store: the constitution judges by it, unless a call names another. */
  readonly persona: string;
  /** Sandbox × approval; default `workspace-write` × `never`. */
  readonly mode?: StoreModeInit;
  readonly onApprovalRequest?: ApprovalHook;
  /** A sub-agent's delegators' personas: every call must be permitted for them too (PolicyGateOptions.delegators). */
  readonly delegators?: readonly string[];
  /** The policy kernel; default: the shipped rules (`loadShippedRules()`). */
  readonly kernel?: Kernel;
  /** Replaces the default tools (file tools and run_command). */
  readonly tools?: readonly AnyStoreTool[];
  /** Added to the default tools. */
  readonly extraTools?: readonly AnyStoreTool[];
  readonly sandbox?: SandboxOptions;
  readonly audit?: readonly AuditSink[];
  readonly clock?: Pick<Clock, 'now'>;
  readonly ids?: IdGenerator;
};

export const defaultTools: readonly AnyStoreTool[] = [...fileTools, runCommandTool];

export { InvalidPersonaError } from './gate/persona.js';

export async function createVirtualStore(options: VirtualStoreOptions): Promise<VirtualStore> {
  checkPersona(options.persona);
  const workspace = await createWorkspace(options.root, options.sandbox);
  const kernel = options.kernel ?? (await loadShippedRules());
  const clock = options.clock ?? systemClock;
  const gate = new PolicyGate({
    kernel,
    world: { workspaceRoot: workspace.root, realpath: fileSystemRealpath },
    persona: options.persona,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.onApprovalRequest ? { onApprovalRequest: options.onApprovalRequest } : {}),
    ...(options.delegators ? { delegators: options.delegators } : {}),
    clock,
  });
  return new VirtualStore({
    workspace,
    gate,
    tools: [...(options.tools ?? defaultTools), ...(options.extraTools ?? [])],
    clock,
    ids: options.ids ?? randomIds,
    ...(options.audit ? { audit: options.audit } : {}),
  });
}
