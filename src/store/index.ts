/**
 * The VirtualStore: workspace tools behind a sandbox boundary and a policy
 * gate, with an audit log. Every action an agent takes on the world goes here.
 */
export * from './command/index.js';
export {
  createVirtualStore,
  defaultTools,
  InvalidPersonaError,
  type VirtualStoreOptions,
} from './create.js';
export { type StoreEvent, storeEventSchema } from './events.js';
export type { ApprovalAnswer, ApprovalHook, ApprovalRequest } from './gate/approval.js';
export {
  type AuditEntry,
  AuditLog,
  type AuditSink,
  auditEntrySchema,
  digestArgs,
  jsonLinesAuditSink,
} from './gate/audit.js';
export {
  type GateDecision,
  type GateRequest,
  type GateVerdict,
  InvalidStoreModeError,
  PolicyGate,
  type PolicyGateOptions,
} from './gate/gate.js';
export {
  type ActionClass,
  type ApprovalPolicy,
  approvalPolicySchema,
  type CallMode,
  callModeSchema,
  classify,
  HARD_REASONS,
  type SandboxMode,
  type StoreMode,
  type StoreModeInit,
  sandboxModeSchema,
  storeModeSchema,
  tightenMode,
} from './gate/modes.js';
export * from './sandbox/index.js';
export type {
  AnyStoreTool,
  CallTerms,
  ResolvedPath,
  StoreTool,
  ToolContext,
  Truncation,
  Workspace,
} from './tool.js';
export * from './tools/index.js';
export {
  type CallOptions,
  DuplicateToolError,
  InvalidToolError,
  type ToolOutcome,
  toolOutcomeContent,
  VirtualStore,
  type VirtualStoreParts,
} from './virtual-store.js';
