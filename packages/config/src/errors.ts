/**
 * Errors and warning codes of @pushpin-ts/config.
 *
 * Callers branch on `code`, never on the message. Every error that comes from a
 * file names the file and line (`file:line: what is wrong`).
 */

/** Where in a file a problem was found. */
export interface SourceLocation {
  readonly file?: string;
  readonly line?: number;
}

function locate(loc: SourceLocation, message: string): string {
  if (loc.file === undefined) return loc.line === undefined ? message : `line ${loc.line}: ${message}`;
  return loc.line === undefined ? `${loc.file}: ${message}` : `${loc.file}:${loc.line}: ${message}`;
}

/** Base class: every error of this package carries a stable `code` and an optional location. */
export class ConfigError extends Error {
  readonly code: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(code: string, message: string, loc: SourceLocation = {}) {
    super(locate(loc, message));
    this.name = 'ConfigError';
    this.code = code;
    this.file = loc.file;
    this.line = loc.line;
  }
}

/** A value in pushpin.conf cannot be used (bad port, unknown service, …). Code `PP_ERR_CONFIG_INVALID`. */
export class ConfigInvalidError extends ConfigError {
  constructor(message = 'invalid configuration value', loc: SourceLocation = {}) {
    super('PP_ERR_CONFIG_INVALID', message, loc);
    this.name = 'ConfigInvalidError';
  }
}

/** The main config file cannot be read. Code `PP_ERR_CONFIG_NOT_FOUND`. */
export class ConfigNotFoundError extends ConfigError {
  constructor(message = 'config file not found', loc: SourceLocation = {}) {
    super('PP_ERR_CONFIG_NOT_FOUND', message, loc);
    this.name = 'ConfigNotFoundError';
  }
}

/** `[global] include` names a file that cannot be read. Code `PP_ERR_CONFIG_INCLUDE_NOT_FOUND`. */
export class ConfigIncludeNotFoundError extends ConfigError {
  constructor(message = 'include file not found', loc: SourceLocation = {}) {
    super('PP_ERR_CONFIG_INCLUDE_NOT_FOUND', message, loc);
    this.name = 'ConfigIncludeNotFoundError';
  }
}

/** A `--set section.key=value` override is malformed. Code `PP_ERR_CONFIG_SET`. */
export class ConfigSetError extends ConfigError {
  constructor(message = 'invalid --set override, expected section.key=value') {
    super('PP_ERR_CONFIG_SET', message);
    this.name = 'ConfigSetError';
  }
}

/**
 * Codes used in `parseRoutes(...).errors` and `RouteTable.errors` and in
 * `PushpinConfig.warnings`. Lines with an error are skipped; warnings keep the
 * line (or the config value) and only inform.
 */
export const codes = {
  /** routes: lexical error (bad quote or escape, empty property name). The line is skipped. */
  PP_ERR_ROUTES_SYNTAX: 'PP_ERR_ROUTES_SYNTAX',
  /** routes: a value is not acceptable (proto=, ssl=, port, header format, …). The line is skipped. */
  PP_ERR_ROUTES_INVALID: 'PP_ERR_ROUTES_INVALID',
  /** routes: same domain + proto + ssl + path_beg as an earlier line. The line is skipped. */
  PP_ERR_ROUTES_DUPLICATE: 'PP_ERR_ROUTES_DUPLICATE',
  /** routes: an id is used by more than one line; routing by that id is disabled (as in Pushpin). */
  PP_WARN_ROUTES_DUPLICATE_ID: 'PP_WARN_ROUTES_DUPLICATE_ID',
  /** config: a deprecated key was used (e.g. `[runner] rundir`). */
  PP_WARN_CONFIG_DEPRECATED: 'PP_WARN_CONFIG_DEPRECATED',
  /** config: a number could not be parsed; the default is used. */
  PP_WARN_CONFIG_NUMBER: 'PP_WARN_CONFIG_NUMBER',
  /** config: a value was ignored (unknown log level entry, bad prometheus_port, missing rundir, …). */
  PP_WARN_CONFIG_IGNORED: 'PP_WARN_CONFIG_IGNORED',
} as const;

/** Registry of every code this package can produce, keyed by itself (tested). */
export const errorCodes = {
  PP_ERR_CONFIG_INVALID: 'PP_ERR_CONFIG_INVALID',
  PP_ERR_CONFIG_NOT_FOUND: 'PP_ERR_CONFIG_NOT_FOUND',
  PP_ERR_CONFIG_INCLUDE_NOT_FOUND: 'PP_ERR_CONFIG_INCLUDE_NOT_FOUND',
  PP_ERR_CONFIG_SET: 'PP_ERR_CONFIG_SET',
  ...codes,
} as const;

export type ConfigCode = keyof typeof errorCodes;

/** A non-fatal problem found while reading a file. */
export interface Problem {
  readonly code: ConfigCode;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
}

/** Builds a {@link Problem} whose message names file and line. */
export function problem(code: ConfigCode, message: string, loc: SourceLocation = {}): Problem {
  const p: { code: ConfigCode; message: string; file?: string; line?: number } = {
    code,
    message: locate(loc, message),
  };
  if (loc.file !== undefined) p.file = loc.file;
  if (loc.line !== undefined) p.line = loc.line;
  return p;
}
