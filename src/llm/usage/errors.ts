import { NerdloopError } from '../../core/index.js';

/** A price table or budget that cannot be right (negative, not a number). */
export class InvalidUsageMeterOptionsError extends NerdloopError {
  readonly code = 'usage_meter_invalid_options';
}
