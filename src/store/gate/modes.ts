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

/**
 * A per-call limit on the mode: each axis given can only make the store's own
 * mode stricter, never looser, so a caller (a run's AgentConfig) cannot widen
 * what the store's owner allowed. An axis left out keeps the store's.
 */
export const callModeSchema = z.strictObject({
  sandbox: sandboxModeSchema.optional(),
  approval: approvalPolicySchema.optional(),
});
export type CallMode = z.infer<typeof callModeSchema>;

// Strictness, loosest first. A read-only sandbox allows the least. Asking a
// human is stricter than not asking: `always` asks before every write and
// command, `on-request` only when the rules refuse. (A human who says yes can
// let through what `never` would deny: that is what asking is for, and with no
// approval hook every question is a denial.)
const SANDBOX_ORDER: readonly SandboxMode[] = ['full-access', 'workspace-write', 'read-only'];
const APPROVAL_ORDER: readonly ApprovalPolicy[] = ['never', 'on-request', 'always'];

const stricter = <T>(order: readonly T[], a: T, b: T | undefined): T =>
  b !== undefined && order.indexOf(b) > order.indexOf(a) ? b : a;

/** The stricter of the store's mode and a call's limit, axis by axis. */
export function tightenMode(mode: StoreMode, limit: CallMode | undefined): StoreMode {
  if (limit === undefined) return mode;
  return {
    sandbox: stricter(SANDBOX_ORDER, mode.sandbox, limit.sandbox),
    approval: stricter(APPROVAL_ORDER, mode.approval, limit.approval),
  };
}

/**
 * What an action does to the world; the sandbox mode is decided on this.
 * `delegate` hands work to a sub-agent, whose own store has the same sandbox.
 */
export type ActionClass = 'read' | 'write' | 'exec' | 'delegate';

const READS = new Set(['read_file', 'list_files', 'search']);
const WRITES = new Set(['write_file', 'edit_file', 'delete_file']);

export function classify(action: string): ActionClass {
  if (READS.has(action)) return 'read';
  if (WRITES.has(action)) return 'write';
  if (action === 'delegate') return 'delegate';
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
  // A sub-agent with a persona no rule knows would have no role to be judged by.
  '/unknown_persona',
]);

/** Whether the sandbox mode alone allows an action class. */
export function sandboxAllows(mode: SandboxMode, kind: ActionClass): boolean {
  // A sub-agent cannot leave the sandbox its delegator is in, so handing work on
  // is no wider than reading; the constitution bounds its persona.
  if (mode === 'read-only') return kind === 'read' || kind === 'delegate';
  return true;
}
