/** Coded errors of pushpin-runner. Callers branch on `code`. */

export const codes = {
  PP_ERR_RUNNER_USAGE: 'PP_ERR_RUNNER_USAGE',
  PP_ERR_RUNNER_NO_PORTS: 'PP_ERR_RUNNER_NO_PORTS',
  PP_ERR_RUNNER_WORKERS: 'PP_ERR_RUNNER_WORKERS',
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

/**
 * A worker count the layout cannot honour: `--connmgr-workers` > 1 with an external
 * `condure_bin`, without the condure service, or without a TCP port to share.
 */
export class WorkersError extends Error {
  readonly code = codes.PP_ERR_RUNNER_WORKERS;
  constructor(message = 'cannot run that many workers') {
    super(message);
    this.name = 'WorkersError';
  }
}
