/**
 * nerdloop's public surface for embedding apps. Each module's own index lists
 * its full API; this file re-exports what an embedding app needs day to day.
 */
export * from '../machines/contracts.js';
export {
  type SpawnerMachine,
  type SupervisorCommand,
  type SupervisorEmitted,
  type SupervisorEvent,
  spawnerMachine,
} from '../machines/spawner.machine.js';
export { type SubAgentMachine, subAgentMachine } from '../machines/subagent.machine.js';
export * from './core/index.js';
export * from './events/index.js';
export * from './inspect-page/index.js';
export * from './kernel/index.js';
export * from './llm/index.js';
export * from './perception/index.js';
export * from './prompt/index.js';
export * from './rules/index.js';
export * from './session/index.js';
export * from './snapshots/index.js';
export * from './stately/index.js';
export * from './store/index.js';
