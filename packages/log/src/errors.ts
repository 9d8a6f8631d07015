/** Coded errors of @pushpin-ts/log. */

export const codes = {
  PP_ERR_LOG_LEVEL: 'PP_ERR_LOG_LEVEL',
  PP_ERR_LOG_FILE: 'PP_ERR_LOG_FILE',
} as const;

/** A log level is neither a pino level name nor a Pushpin number (0–4+). */
export class LogLevelError extends Error {
  readonly code = codes.PP_ERR_LOG_LEVEL;
  constructor(message = 'invalid log level') {
    super(message);
    this.name = 'LogLevelError';
  }
}

/** The log file (or its directory) cannot be created or opened for appending. */
export class LogFileError extends Error {
  readonly code = codes.PP_ERR_LOG_FILE;
  constructor(message = 'cannot open log file') {
    super(message);
    this.name = 'LogFileError';
  }
}
