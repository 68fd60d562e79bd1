export * from './agent-loop/index.js';
export {
  createDelegateTool,
  DEFAULT_MAX_DELEGATION_DEPTH,
  DELEGATE_TOOL,
  type DelegateArgs,
  type DelegateResult,
  type DelegateToolOptions,
  DelegationFailedError,
  delegateArgsSchema,
  delegateResultSchema,
} from './delegate/index.js';
export * from './executor/index.js';
export {
  createSubAgentLogic,
  createSupervisorLogic,
  type RestoreFunction,
  type SupervisorLogic,
} from './logic.js';
export type { DelegationRequest, Inheritance } from './outcome.js';
export {
  createRuntime,
  InvalidRuntimeOptionsError,
  InvalidTaskError,
  Runtime,
  type RuntimeOptions,
  RuntimeStoppedError,
  SpawnRejectedError,
  type TaskOutcome,
  UnknownAgentError,
} from './runtime.js';
export {
  createRunTask,
  DelegationUnavailableError,
  detachedTaskServices,
  type TaskContext,
  TaskFailedError,
  type TaskFunction,
  type TaskOutputInit,
  type TaskServices,
} from './task-runner.js';
