export { ConfigFileError, UnroutedIntentError } from './errors.js';
export {
  type ConfigFactory,
  createConfigFactory,
  loadConfigFile,
  loadConfigLayers,
  SHIPPED_DEFAULTS_FILE,
  settingsFor,
} from './factory.js';
export {
  type AgentConfig,
  agentConfigSchema,
  type ConfigFile,
  type ConfigLayer,
  configFileSchema,
  configLayerSchema,
} from './schema.js';
