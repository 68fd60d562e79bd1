export { type MachineGraphJson, toGraphJson, toMermaid } from './graph.js';
export {
  defaultManifestPath,
  type InspectorSettings,
  loadMachine,
  loadManifest,
  type MachineEntry,
  type MachineModel,
  ManifestError,
  type StatelyManifest,
  statelyManifestSchema,
} from './manifest.js';
export {
  allStateIds,
  allTransitionKeys,
  inertMachine,
  type ModelPath,
  planPaths,
  type ReplayResult,
  replayPath,
  transitionKey,
} from './model.js';
