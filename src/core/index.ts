export { describeUnknownError, NerdloopError } from './errors.js';
export {
  type Clock,
  type IdGenerator,
  randomIds,
  sequentialIds,
  systemClock,
} from './clock.js';
