import path from 'node:path';
import { formatListen, logLevelFor, pushpinServiceName } from '@pushpin-ts/config';
import type { Listen, LogLevels, PushpinConfig, ServiceName } from '@pushpin-ts/config';
import { NoPortsError, WorkersError } from './errors.js';
import { renderZurlConf } from './zurl-conf.js';

/** Everything the runner needs to know, besides the config, to lay out the services. */
export interface TopologyOptions {
  /** Absolute path of pushpin.conf, passed to proxy and handler. */
  readonly configFile: string;
  /** Absolute `{libdir}` (our config/ directory), passed to proxy and handler. */
  readonly libdir: string;
  /** Absolute path of the repo's services/ directory (holds `<svc>/bin/pushpin-<svc>.js`). */
  readonly servicesDir: string;
  /** The node binary that runs our services (process.execPath). */
  readonly nodePath: string;
  /** Log levels after merging `[runner] log_level` and --loglevel. */
  readonly logLevels: LogLevels | Readonly<LogLevels>;
  readonly routes?: readonly string[];
  readonly id?: number;
  readonly port?: Listen;
  readonly mergeOutput?: boolean;
  readonly set?: ReadonlyArray<readonly [string, string]>;
  /** Proxy processes (default `[proxy] workers`, else 1). With more than one, the handler binds the proxy-facing sockets and every proxy connects to them. */
  readonly proxyWorkers?: number;
  /** zurl-role processes (default 1). With more than one, each binds its own `zurl-*-<i>` endpoints and every proxy connects to all of them. */
  readonly zurlWorkers?: number;
  /**
   * Connection-manager processes (default 1). With more than one (our connmgr only), each
   * listens on the same TCP ports with SO_REUSEPORT (`--reuse-port`), has its own ZHTTP id
   * `condure-<i>` and endpoints `condure-<i>-*`, and proxy and handler connect to all of them.
   */
  readonly connmgrWorkers?: number;
  /** V8/Node flags put before the script of each of our services (default: none). */
  readonly nodeFlags?: Readonly<Partial<Record<OurService, readonly string[]>>>;
}

/** Our Node services, as named in services/<name>. */
export type OurService = 'connmgr' | 'zurl' | 'proxy' | 'handler';

/**
 * Node flags the runner gives our services. A small young generation: V8 grows each
 * semi-space up to 16 MB under a burst of allocations (an accept burst of held streams) and
 * keeps it, which cost every process 10–30 MB of RSS that never returned; with 2 MB the
 * scavenges are more frequent but as cheap (docs/benchmarks.md, performance work log).
 */
export const DEFAULT_NODE_FLAGS: Readonly<Record<OurService, readonly string[]>> = {
  connmgr: ['--max-semi-space-size=2'],
  // --expose-gc: a full GC when they go quiet after a burst (IdleGc, @pushpin-ts/log)
  zurl: ['--max-semi-space-size=2', '--expose-gc'],
  proxy: ['--max-semi-space-size=2', '--expose-gc'],
  handler: ['--max-semi-space-size=2', '--expose-gc'],
};

/** One child process to start and supervise. */
export interface ServiceSpec {
  readonly name: ServiceName;
  /** Pushpin's process name: condure, zurl, pushpin-proxy, pushpin-handler. */
  readonly title: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where stdout+stderr are appended; unset = merged into the runner's output. */
  readonly logFile?: string;
  readonly pidFile: string;
  /** SIGHUP to the runner is forwarded (zurl, proxy, handler). */
  readonly forwardHup: boolean;
}

/** The runner's plan: directories, generated files and the services in start order. */
export interface Topology {
  readonly rundir: string;
  readonly logdir?: string;
  /** Prefix of pid and log file names: empty, or `p<n>-` with --id. */
  readonly filePrefix: string;
  readonly ipcPrefix: string;
  readonly portOffset: number;
  readonly files: ReadonlyArray<{ readonly path: string; readonly text: string }>;
  readonly services: readonly ServiceSpec[];
}

const START_ORDER: readonly ServiceName[] = ['condure', 'zurl', 'proxy', 'handler'];

/**
 * Computes every child's command line from the config, as Pushpin 1.36's runner
 * does (spec/config.md §9). Pure: no files are touched.
 *
 * The config must have been loaded with the --id ipc prefix (`p<n>-`) when --id is used.
 *
 * @throws NoPortsError (`PP_ERR_RUNNER_NO_PORTS`) when condure is enabled without any port.
 * @throws WorkersError (`PP_ERR_RUNNER_WORKERS`) for `connmgrWorkers` > 1 without our
 * connection manager (`condure_bin` not `condure`, or condure not in `services`) or without a TCP port.
 * @example computeTopology(cfg, { configFile, libdir, servicesDir, nodePath: process.execPath, logLevels: cfg.runner.logLevel }).services.map((s) => s.title)
 */
export function computeTopology(cfg: PushpinConfig, opts: TopologyOptions): Topology {
  const rundir = cfg.global.rundir;
  const ipcPrefix = cfg.global.ipcPrefix;
  const filePrefix = opts.id === undefined ? '' : `p${opts.id}-`;
  const portOffset = opts.id === undefined ? 0 : opts.id * 10;
  const logdir = opts.mergeOutput ? undefined : cfg.runner.logdir;
  const ipc = (name: string): string => `ipc://${rundir}/${ipcPrefix}${name}`;
  const ours = (svc: OurService): string[] => [opts.nodePath, ...(opts.nodeFlags?.[svc] ?? []), path.join(opts.servicesDir, svc, 'bin', `pushpin-${svc}.js`)];
  const level = (name: ServiceName): string => String(logLevelFor(opts.logLevels, name));
  const setArgs = (opts.set ?? []).map(([k, v]) => `--set=${k}=${v}`);
  const files: { path: string; text: string }[] = [];
  const proxies = Math.max(1, opts.proxyWorkers ?? cfg.proxy.workers);
  const zurls = Math.max(1, opts.zurlWorkers ?? 1);
  // instance suffixes: none for a single instance (Pushpin's names), `-1` … `-n` otherwise
  const suffixes = (n: number): string[] => (n === 1 ? [''] : Array.from({ length: n }, (_, i) => `-${i + 1}`));
  const zurlSuffixes = suffixes(zurls);
  // `--set=proxy.<key>=<endpoint of every instance>` for each key (several workers of one tier)
  const specSets = (sfxs: readonly string[], keys: ReadonlyArray<readonly [string, (sfx: string) => string]>): string[] =>
    keys.map(([key, name]) => `--set=proxy.${key}=${sfxs.map((s) => ipc(name(s))).join(',')}`);
  const zurlSets = zurls === 1 || !cfg.runner.services.includes('zurl') ? [] : specSets(zurlSuffixes, [
    ['zurl_out_specs', (s) => `zurl-in${s}`], ['zurl_out_stream_specs', (s) => `zurl-in-stream${s}`], ['zurl_in_specs', (s) => `zurl-out${s}`],
  ]);

  const connmgrs = Math.max(1, opts.connmgrWorkers ?? 1);
  if (connmgrs > 1) {
    if (!cfg.runner.services.includes('condure')) throw new WorkersError(`--connmgr-workers=${connmgrs}: [runner] services does not include condure, so this runner starts no connection manager`);
    if (cfg.runner.condureBin !== 'condure') throw new WorkersError(`--connmgr-workers=${connmgrs} needs our connection manager ([runner] condure_bin=condure); ${cfg.runner.condureBin} runs as one process`);
  }
  const connmgrSuffixes = suffixes(connmgrs);
  // every proxy and the handler connect to each connection manager's own endpoints
  const connmgrSets = connmgrs === 1 ? [] : specSets(connmgrSuffixes, [
    ['condure_in_specs', (s) => `condure${s}-out`], ['condure_in_stream_specs', (s) => `condure${s}-out-stream`], ['condure_out_specs', (s) => `condure${s}-in`],
  ]);
  // client listeners, worked out once; with several workers only TCP ports are shared (SO_REUSEPORT)
  // and a unix socket path, which cannot be, stays with the first worker
  const listens = listenArgs(cfg, opts.port);
  const sharedListens = listens.filter((l) => !l.includes(',local,'));
  if (cfg.runner.services.includes('condure')) {
    if (listens.length === 0) throw new NoPortsError('no server ports configured (set [runner] http_port, https_ports or local_ports, or use --port)');
    if (connmgrs > 1 && sharedListens.length === 0) throw new WorkersError(`--connmgr-workers=${connmgrs} needs a TCP port to share ([runner] http_port or https_ports, or --port); unix-socket listeners (local_ports) cannot be shared`);
  }

  const build = (name: ServiceName, sfx: string): { command: string[]; args: string[] } => {
    switch (name) {
      case 'condure': {
        const args = [`--log-level=${level(name)}`, ...(sfx === connmgrSuffixes[0] ? listens : sharedListens)];
        args.push(`--zclient-stream=${ipc(`condure${sfx}`)}`, `--buffer-size=${cfg.runner.clientBufferSize}`, `--stream-maxconn=${cfg.runner.clientMaxconn}`);
        if (cfg.runner.allowCompression) args.push('--compression');
        if (opts.port === undefined && cfg.runner.httpsPorts.length > 0) args.push(`--tls-identities-dir=${path.join(cfg.dir, 'runner', 'certs')}`);
        if (connmgrs > 1) args.push('--reuse-port');
        args.push(`--id=condure${sfx}`);
        return { command: cfg.runner.condureBin === 'condure' ? ours('connmgr') : [cfg.runner.condureBin], args };
      }
      case 'zurl': {
        const confPath = path.join(rundir, `${filePrefix}zurl${sfx}.conf`);
        files.push({ path: confPath, text: renderZurlConf({ rundir, ipcPrefix, suffix: sfx }) });
        const args = [`--config=${confPath}`, `--loglevel=${level(name)}`];
        return { command: cfg.runner.zurlBin === 'zurl' ? ours('zurl') : [cfg.runner.zurlBin], args };
      }
      case 'proxy': {
        const args = [`--config=${opts.configFile}`, `--ipc-prefix=${ipcPrefix}`, `--loglevel=${level(name)}`];
        for (const r of opts.routes ?? []) args.push(`--route=${r}`);
        // as Pushpin: with a local zurl the proxy is told to skip its updates check
        if (cfg.runner.services.includes('zurl')) args.push('--quiet-check');
        // several proxies share one handler: the handler binds, the proxies connect (README "Scaling and custom handlers")
        if (proxies > 1) args.push('--handler-connect');
        args.push(`--libdir=${opts.libdir}`, ...zurlSets, ...connmgrSets, ...setArgs);
        return { command: ours('proxy'), args };
      }
      case 'handler': {
        const args = [`--config=${opts.configFile}`, `--ipc-prefix=${ipcPrefix}`];
        if (portOffset > 0) args.push(`--port-offset=${portOffset}`);
        if (proxies > 1 && cfg.runner.services.includes('proxy')) args.push('--proxy-bind');
        args.push(`--loglevel=${level(name)}`, `--libdir=${opts.libdir}`, ...connmgrSets, ...setArgs);
        return { command: ours('handler'), args };
      }
    }
  };

  const services: ServiceSpec[] = [];
  for (const name of START_ORDER) {
    if (!cfg.runner.services.includes(name)) continue;
    const instances = name === 'proxy' ? suffixes(proxies) : name === 'zurl' ? zurlSuffixes : name === 'condure' ? connmgrSuffixes : [''];
    for (const sfx of instances) {
      const title = `${pushpinServiceName[name]}${sfx}`;
      const { command, args } = build(name, sfx);
      const spec: { -readonly [K in keyof ServiceSpec]: ServiceSpec[K] } = {
        name,
        title,
        command: command[0] as string,
        args: [...command.slice(1), ...args],
        pidFile: path.join(rundir, `${filePrefix}${title}.pid`),
        forwardHup: name !== 'condure',
      };
      if (logdir !== undefined) spec.logFile = path.join(logdir, `${filePrefix}${title}.log`);
      services.push(spec);
    }
  }
  const topo: { -readonly [K in keyof Topology]: Topology[K] } = { rundir, filePrefix, ipcPrefix, portOffset, files, services };
  if (logdir !== undefined) topo.logdir = logdir;
  return topo;
}

function listenArgs(cfg: PushpinConfig, port: Listen | undefined): string[] {
  if (port !== undefined) return [`--listen=${formatListen(port)},stream`];
  const out = cfg.runner.httpPorts.map((l) => `--listen=${formatListen(l)},stream`);
  for (const l of cfg.runner.httpsPorts) out.push(`--listen=${formatListen(l)},stream,tls,default-cert=default_${l.port}`);
  for (const p of cfg.runner.localPorts) out.push(`--listen=${localListen(p)}`);
  return out;
}

/** `path?mode=660&user=u&group=g` ([newer] 1.37 query form) → `path,local,stream,mode=660,user=u,group=g`. */
function localListen(spec: string): string {
  const q = spec.indexOf('?');
  if (q === -1) return `${spec},local,stream`;
  const params = new URLSearchParams(spec.slice(q + 1));
  const extra = ['mode', 'user', 'group'].flatMap((k) => (params.has(k) ? [`${k}=${params.get(k)}`] : []));
  return [`${spec.slice(0, q)}`, 'local', 'stream', ...extra].join(',');
}
