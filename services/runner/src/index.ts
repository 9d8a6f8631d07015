/** pushpin-runner internals, exported for tests and tools (the command is bin/pushpin-runner.js). */
export { parseArgs, USAGE, VERSION_TEXT } from './args.js';
export type { RunnerArgs } from './args.js';
export { computeTopology, DEFAULT_NODE_FLAGS } from './topology.js';
export type { Topology, TopologyOptions, ServiceSpec, OurService } from './topology.js';
export { renderZurlConf } from './zurl-conf.js';
export type { ZurlConfVars } from './zurl-conf.js';
export { Backoff, defaultBackoff } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { Supervisor } from './supervisor.js';
export type { ChildExit, ChildHandle, Clock, SupervisorDeps, SupervisorLog } from './supervisor.js';
export { UsageError, NoPortsError, WorkersError, codes } from './errors.js';
