/**
 * Sandbox × approval, after Codex CLI's two axes. The sandbox says what may
 * happen at all; the approval policy says when a human is asked.
 */
import { z } from 'zod';

export const sandboxModeSchema = z.enum(['read-only', 'workspace-write', 'full-access']);
export type SandboxMode = z.infer<typeof sandboxModeSchema>;

export const approvalPolicySchema = z.enum(['never', 'on-request', 'always']);
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;

export const storeModeSchema = z.object({
  sandbox: sandboxModeSchema.default('workspace-write'),
  approval: approvalPolicySchema.default('never'),
});
export type StoreMode = z.output<typeof storeModeSchema>;
export type StoreModeInit = z.input<typeof storeModeSchema>;

/** What an action does to the world; the sandbox mode is decided on this. */
export type ActionClass = 'read' | 'write' | 'exec';

const READS = new Set(['read_file', 'list_files', 'search']);
const WRITES = new Set(['write_file', 'edit_file', 'delete_file']);

export function classify(action: string): ActionClass {
  if (READS.has(action)) return 'read';
  if (WRITES.has(action)) return 'write';
  // Anything else may change the world: treated as the most dangerous kind.
  return 'exec';
}

/**
 * Policy reasons an approval cannot override: a human clicking "yes" should
 * not be one click away from `rm -rf /` or handing a key file to a model.
 */
export const HARD_REASONS: ReadonlySet<string> = new Set([
  '/dangerous_command',
  '/sensitive_path',
  // A user's own veto (`forbidden(Id) :- …`) is meant to hold whatever the mode.
  '/forbidden',
]);

/** Whether the sandbox mode alone allows an action class. */
export function sandboxAllows(mode: SandboxMode, kind: ActionClass): boolean {
  if (mode === 'read-only') return kind === 'read';
  return true;
}
