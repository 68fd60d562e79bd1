export {
  createInspectionTranslator,
  type InspectionObserver,
  inspectWith,
  originOf,
  type Publish,
  stateName,
} from './inspection.js';
export { forAgent, ofType } from './operators.js';
export {
  AGENT_ACTIVITY_TYPES,
  type AgentActivity,
  type EventOrigin,
  type RuntimeEvent,
  type RuntimeEventOf,
  type RuntimeEventType,
  runtimeEventSchema,
} from './schema.js';
