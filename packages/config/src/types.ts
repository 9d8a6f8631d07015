import type { Problem } from './errors.js';

/** Makes a type and everything inside it read-only (the parsed config is frozen). */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** A TCP listen address. Port-only config values mean `0.0.0.0`; `[::1]:7999` gives addr `::1`. */
export interface Listen {
  readonly addr: string;
  readonly port: number;
}

/** Our names for the runner's services (Pushpin's old and new names map onto these). */
export type ServiceName = 'condure' | 'zurl' | 'proxy' | 'handler';

/** Pushpin log levels: 0=error 1=warning 2=info 3=debug 4+=trace. `per` is keyed by {@link ServiceName}. */
export interface LogLevels {
  default: number;
  per: Record<string, number>;
}

interface GlobalShape {
  /** Absolute run directory (ipc sockets, pid files, zurl.conf); relative values are taken from the cwd. */
  rundir: string;
  ipcPrefix: string;
  portOffset: number;
  statsConnectionTtl: number;
  statsConnectionSend: boolean;
}

interface RunnerShape {
  /** Normalised, de-duplicated, in config order. */
  services: ServiceName[];
  httpPorts: Listen[];
  httpsPorts: Listen[];
  /** Unix socket paths (with `?mode=…` query kept as written). */
  localPorts: string[];
  /** Absolute; unset when `logdir` is empty. */
  logdir?: string;
  logLevel: LogLevels;
  clientBufferSize: number;
  clientMaxconn: number;
  allowCompression: boolean;
  condureBin: string;
  zurlBin: string;
}

interface ProxyShape {
  /** Absolute path, relative values resolved against the config file's directory. */
  routesfile?: string;
  debug: boolean;
  autoCrossOrigin: boolean;
  acceptXForwardedProtocol: boolean;
  setXForwardedProtocol: 'true' | 'proto-only' | '';
  xForwardedFor: string[];
  xForwardedForTrusted: string[];
  origHeadersNeedMark: string[];
  acceptPushpinRoute: boolean;
  cdnLoop: string;
  logFrom: boolean;
  logUserAgent: boolean;
  sigIss: string;
  /** As written, except a relative `file:` path is made absolute (config dir). */
  sigKey: string;
  upstreamKey: string;
  sockjsUrl: string;
  maxOpenRequests: number;
  ipcFileMode: number;
  statsReportInterval: number;
  prometheusPort?: Listen;
  prometheusPrefix: string;
  workers: number;
  statsConnectionsMaxTtl: number;
  condureInSpecs: string[];
  condureInStreamSpecs: string[];
  condureOutSpecs: string[];
  zurlOutSpecs: string[];
  zurlOutStreamSpecs: string[];
  zurlInSpecs: string[];
  handlerInspectSpec: string;
  handlerAcceptSpec: string;
  handlerRetryInSpec: string;
  handlerWsControlInSpec: string;
  handlerWsControlOutSpec: string;
  statsSpec: string;
  commandSpec: string;
  intreqInSpecs: string[];
  intreqInStreamSpecs: string[];
  intreqOutSpecs: string[];
}

interface HandlerShape {
  ipcFileMode: number;
  pushInSpec: string;
  pushInSubSpecs: string[];
  pushInSubConnect: boolean;
  pushInHttpAddr: string;
  /** Already shifted by port_offset when > 0; -1 when not configured. */
  pushInHttpPort: number;
  pushInHttpMaxHeadersSize: number;
  pushInHttpMaxBodySize: number;
  statsSpec: string;
  commandSpec: string;
  stateSpec: string;
  messageRate: number;
  messageHwm: number;
  messageBlockSize: number;
  messageWait: number;
  idCacheTtl: number;
  connectionSubscriptionMax: number;
  subscriptionLinger: number;
  statsSubscriptionTtl: number;
  statsReportInterval: number;
  statsFormat: string;
  shareAll: boolean;
  prometheusPort?: Listen;
  prometheusPrefix: string;
  updateOnFirstSubscription: boolean;
  proxyInspectSpec: string;
  proxyAcceptSpec: string;
  proxyRetryOutSpec: string;
  proxyWsControlInSpec: string;
  proxyWsControlOutSpec: string;
  proxyStatsSpec: string;
  proxyCommandSpec: string;
  /** Read from `[proxy]` as pushpin-handler 1.36 does (fallback `[handler]`). */
  condureInStreamSpecs: string[];
  /** Read from `[proxy]` as pushpin-handler 1.36 does (fallback `[handler]`). */
  condureOutSpecs: string[];
  proxyIntreqOutSpecs: string[];
  proxyIntreqOutStreamSpecs: string[];
  proxyIntreqInSpecs: string[];
}

interface ConfigShape {
  /** Absolute path of the main config file. */
  file: string;
  /** Its directory. */
  dir: string;
  /** Value used for `{libdir}`. */
  libdir: string;
  /** Absolute path of the include file that was merged, if any. */
  includeFile?: string;
  global: GlobalShape;
  runner: RunnerShape;
  proxy: ProxyShape;
  handler: HandlerShape;
  /** Non-fatal problems (deprecated keys, unparsable numbers); services should log them. */
  warnings: Problem[];
}

/** The parsed, validated, deeply frozen pushpin.conf (+ include). */
export type PushpinConfig = DeepReadonly<ConfigShape>;
/** Mutable shape used while building; not exported from the package. */
export type MutableConfig = ConfigShape;
