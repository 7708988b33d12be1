export {
  CONFIG_KEYS,
  configPath,
  isConfigKey,
  parseConfig,
  readConfigFile,
  serializeConfig,
  writeConfigFile,
  type ConfigKey,
  type ConfigValues,
} from './config-file.js';
export { parseTokens, readTokensFile, tokensPath, type PlatformTokens } from './tokens-file.js';
export {
  defaultApiHost,
  mergeSettings,
  normalizeApiHost,
  resolveSettings,
  type ResolveSettingsOptions,
  type SettingSource,
  type Settings,
} from './settings.js';
