/** Typed errors of the Executor; a stage's error becomes the run's `failed` result. */
import { NerdloopError } from '../../core/index.js';

/** A stage actor resolved with something its contract (`loopStageOutputSchemas`) refuses. */
export class StageOutputError extends NerdloopError {
  readonly code = 'executor_invalid_stage_output';
}

/** A stage got an input it cannot work with (an orientation another run made, say). */
export class StageInputError extends NerdloopError {
  readonly code = 'executor_invalid_stage_input';
}

/** `process` was called while another `process` of the same Executor was running. */
export class ExecutorBusyError extends NerdloopError {
  readonly code = 'executor_busy';
}

/** The Executor's options do not fit its schema. */
export class InvalidExecutorOptionsError extends NerdloopError {
  readonly code = 'executor_invalid_options';
}

/** The loop actor ended in a way the loop contract does not allow (no output, an actor error). */
export class LoopCrashedError extends NerdloopError {
  readonly code = 'executor_loop_crashed';
}
