export { type MachineGraphJson, toGraphJson, toMermaid } from './graph.js';
export {
  createLiveInspector,
  InspectorConnectError,
  InspectorPortInUseError,
  type LiveInspector,
  type LiveInspectorOptions,
  redactContext,
} from './inspector.js';
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
