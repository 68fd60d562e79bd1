export { type MachineGraphJson, toGraphJson, toMermaid } from './graph.js';
export {
  createLiveInspector,
  INSPECTOR_HOST,
  InspectorConnectError,
  InspectorPortInUseError,
  type LiveInspector,
  type LiveInspectorOptions,
  redactContext,
  redactInspectionEvent,
} from './inspector.js';
export {
  defaultManifestPath,
  findManifestPath,
  type InspectorSettings,
  loadMachine,
  loadManifest,
  MANIFEST_FILE,
  type MachineEntry,
  type MachineModel,
  ManifestError,
  ManifestMachineLoadError,
  ManifestNotFoundError,
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
