export { type ConfigSources, loadConfig, parseConfig } from './load.js';
export {
  type BackoffConfig,
  type Config,
  configSchema,
  type LogLevel,
  type SourceConfig,
  sourceSchema,
} from './schema.js';
