/** Coded errors of pushpin-runner. Callers branch on `code`. */

export const codes = {
  PP_ERR_RUNNER_USAGE: 'PP_ERR_RUNNER_USAGE',
  PP_ERR_RUNNER_NO_PORTS: 'PP_ERR_RUNNER_NO_PORTS',
} as const;

/** The command line cannot be understood (unknown option, missing or bad value). */
export class UsageError extends Error {
  readonly code = codes.PP_ERR_RUNNER_USAGE;
  constructor(message = 'invalid command line') {
    super(message);
    this.name = 'UsageError';
  }
}

/** The connection manager is enabled but no http/https/local port (nor --port) is configured. */
export class NoPortsError extends Error {
  readonly code = codes.PP_ERR_RUNNER_NO_PORTS;
  constructor(message = 'no server ports configured') {
    super(message);
    this.name = 'NoPortsError';
  }
}

