/**
 * @pushpin-ts/config: pushpin.conf (Qt INI semantics) and routes parsing into frozen typed settings.
 * Pure except `loadConfig`, the one function that reads files.
 */
export { parseConfigText } from './parse-config.js';
export type { ParseConfigOptions } from './parse-config.js';
export { loadConfig } from './load-config.js';
export type { LoadConfigOptions } from './load-config.js';
export { defaults } from './defaults.js';
export type { Defaults } from './defaults.js';
export type { PushpinConfig, Listen, LogLevels, ServiceName, DeepReadonly } from './types.js';
export { parseListen, formatListen } from './listen.js';
export { parseLogLevelSpec, mergeLogLevels, logLevelFor } from './log-level.js';
export type { LogLevelSpec } from './log-level.js';
export { serviceName, pushpinServiceName, unsupportedServices } from './services.js';
export { tokenizeIni, decodeQtValue, qtBool, qtInt } from './qt-ini.js';
export { iniSection } from './flat-ini.js';
export type { IniEntry, QtValue } from './qt-ini.js';
export { resolveVars } from './settings.js';
export type { Vars } from './settings.js';
export { parseRoutes, idFromCondition } from './routes-file.js';
export type { ParseRoutesOptions, ParsedRoutes } from './routes-file.js';
export { lexRouteLine } from './routes-lexer.js';
export type { RouteSection, LexResult } from './routes-lexer.js';
export { RouteTable, hostDomain } from './route-table.js';
export type { RouteRequest } from './route-table.js';
export type { Route, Target, HttpTarget, TestTarget, ZhttpTarget, ZhttpReqTarget, JsonpConfig } from './route-types.js';
export {
  ConfigError,
  ConfigInvalidError,
  ConfigNotFoundError,
  ConfigIncludeNotFoundError,
  ConfigSetError,
  codes,
  errorCodes,
} from './errors.js';
export type { Problem, ConfigCode, SourceLocation } from './errors.js';
