/** Coded errors of @pushpin-ts/log. */

export const codes = {
  PP_ERR_LOG_LEVEL: 'PP_ERR_LOG_LEVEL',
} as const;

/** A log level is neither a pino level name nor a Pushpin number (0–4+). */
export class LogLevelError extends Error {
  readonly code = codes.PP_ERR_LOG_LEVEL;
  constructor(message = 'invalid log level') {
    super(message);
    this.name = 'LogLevelError';
  }
}
