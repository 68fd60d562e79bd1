export * from './agent-loop/index.js';
export * from './executor/index.js';
export {
  createSubAgentLogic,
  createSupervisorLogic,
  type RestoreFunction,
  type SupervisorLogic,
} from './logic.js';
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
  type TaskContext,
  TaskFailedError,
  type TaskFunction,
  type TaskOutputInit,
} from './task-runner.js';
