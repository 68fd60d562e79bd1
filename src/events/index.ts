export { createInspectionTranslator, originOf, type Publish, stateName } from './inspection.js';
export { forAgent, ofType } from './operators.js';
export {
  type EventOrigin,
  type RuntimeEvent,
  type RuntimeEventOf,
  type RuntimeEventType,
  runtimeEventSchema,
} from './schema.js';
