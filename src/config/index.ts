// The configuration layer's public surface: the property table, resolution, and config files.
export type {
  ClientKind, FunctionTypes, GregorLogger, LogFunction, LogLevel, Logger, LoggerObject, OAuthBearerToken, OAuthBearerTokenProvider,
  PropertyDef, PropertyType,
} from './types.js';
export {
  PROPERTIES, canonicalName, isSecretProperty,
  type AdminConfig, type ConfigInput, type ConsumerConfig, type InputValue, type ProducerConfig, type PropertyName,
  type PropertyNameFor,
} from './properties.js';
export {
  resolveConfig, redactProperties,
  type AnyResolvedConfig, type ConfigWarning, type ResolveOptions, type ResolvedAdminConfig, type ResolvedConfig, type ResolvedConsumerConfig,
  type ResolvedProducerConfig, type ResolvedValue,
} from './resolve.js';
export { Secret } from '../network/secret.js';
export { closestMatch, editDistance } from './suggest.js';
export { loadConfigFile, type ConfigFile, type ConfigFileFormat, type LoadConfigFileOptions } from './load-file.js';
export { parseIni, type FileEntry, type IniSection } from './ini.js';
export { parseProperties } from './properties-file.js';
