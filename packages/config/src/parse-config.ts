import path from 'node:path';
import { defaults } from './defaults.js';
import { codes, ConfigIncludeNotFoundError, ConfigInvalidError } from './errors.js';
import { parseListen } from './listen.js';
import { mergeLogLevels, parseLogLevelSpec } from './log-level.js';
import { tokenizeIni } from './qt-ini.js';
import { serviceName, unsupportedServices } from './services.js';
import { keys, layerFromEntries, layerFromSet, Reader, resolveVars } from './settings.js';
import type { Layer, Lookup, Vars } from './settings.js';
import type { Listen, MutableConfig, PushpinConfig, ServiceName } from './types.js';
import { deepFreeze } from './freeze.js';

/** Options of {@link parseConfigText}. */
export interface ParseConfigOptions {
  /** Path of the main config file (relative paths are taken from `cwd`). Used for messages and relative paths. */
  readonly file: string;
  /** Value of `{libdir}` unless `[global] libdir` is set; where internal.conf lives. */
  readonly libdir: string;
  /** Returns the text of the include file, or `undefined` if it cannot be read. Without it, `include` is skipped with a warning. */
  readonly includeText?: (absPath: string) => string | undefined;
  /** Overrides `[global] ipc_prefix` (a component's `--ipc-prefix`). */
  readonly ipcPrefix?: string;
  /** Overrides `[global] port_offset` (the handler's `--port-offset`). */
  readonly portOffset?: number;
  /** `--set section.key=value` overrides; they beat the main file and the include. */
  readonly set?: ReadonlyArray<readonly [string, string]>;
  /** Directory that relative `rundir`/`logdir` are taken from (default: the process's). */
  readonly cwd?: string;
}

/**
 * Parses pushpin.conf text (Qt INI semantics, include merge, variable and port
 * offset substitution) into a frozen, typed config. Pure apart from `includeText`.
 *
 * @throws ConfigInvalidError (`PP_ERR_CONFIG_INVALID`) for unusable values (bad port, unknown service), naming file and line.
 * @throws ConfigIncludeNotFoundError (`PP_ERR_CONFIG_INCLUDE_NOT_FOUND`) when `includeText` cannot supply the include file.
 * @throws ConfigSetError (`PP_ERR_CONFIG_SET`) for a malformed `set` entry.
 * @example
 * const cfg = parseConfigText('[runner]\nhttp_port=7999\n', { file: '/etc/pushpin/pushpin.conf', libdir: '/usr/lib/pushpin' });
 * cfg.runner.httpPorts // [{ addr: '0.0.0.0', port: 7999 }]
 */
export function parseConfigText(text: string, opts: ParseConfigOptions): PushpinConfig {
  const cwd = path.resolve(opts.cwd ?? '');
  const file = path.resolve(cwd, opts.file);
  const dir = path.dirname(file);
  const setLayer = layerFromSet(opts.set ?? []);
  const mainLayer = layerFromEntries(tokenizeIni(text, file));

  // like Pushpin, libdir and the include path come from the main file only
  const pre = new Reader([setLayer, mainLayer]);
  const libdirRaw = pre.rawString(keys('global', 'libdir')) ?? '';
  const libdir = libdirRaw === '' ? opts.libdir : path.resolve(cwd, libdirRaw);
  pre.vars = computeVars(pre, libdir, opts, cwd, false);
  pre.warnings.length = 0; // the same values are read (and reported) again below

  const layers: Layer[] = [setLayer, mainLayer];
  let includeFile: string | undefined;
  const includeRaw = pre.rawString(keys('global', 'include')) ?? '';
  if (includeRaw !== '') {
    const inc = resolveVars(includeRaw === 'internal.conf' ? '{libdir}/internal.conf' : includeRaw, pre.vars);
    includeFile = path.resolve(dir, inc);
    if (opts.includeText) {
      const incText = opts.includeText(includeFile);
      if (incText === undefined) {
        throw new ConfigIncludeNotFoundError(`cannot read include file ${includeFile}`, pre.where(keys('global', 'include')));
      }
      layers.push(layerFromEntries(tokenizeIni(incText, includeFile)));
    } else {
      pre.warn(codes.PP_WARN_CONFIG_IGNORED, `include ${includeFile} not read (no reader given)`, keys('global', 'include'));
      includeFile = undefined;
    }
  }

  const r = new Reader(layers);
  r.warnings.push(...pre.warnings);
  r.vars = computeVars(r, libdir, opts, cwd, true);

  const cfg: MutableConfig = {
    file,
    dir,
    libdir,
    global: {
      rundir: r.vars.rundir,
      ipcPrefix: r.vars.ipcPrefix,
      portOffset: r.vars.portOffset,
      statsConnectionTtl: r.int(keys('global', 'stats_connection_ttl'), defaults.global.stats_connection_ttl),
      statsConnectionSend: r.bool(keys('global', 'stats_connection_send'), defaults.global.stats_connection_send),
    },
    runner: readRunner(r, cwd),
    proxy: readProxy(r, dir),
    handler: readHandler(r),
    warnings: r.warnings,
  };
  if (includeFile !== undefined) cfg.includeFile = includeFile;
  return deepFreeze(cfg) as PushpinConfig;
}

function computeVars(r: Reader, libdir: string, opts: ParseConfigOptions, cwd: string, warn: boolean): Vars {
  let rundir = r.rawString(keys('global', 'rundir')) ?? '';
  if (rundir === '') {
    rundir = r.rawString(keys('runner', 'rundir')) ?? '';
    if (rundir !== '' && warn) {
      r.warn(codes.PP_WARN_CONFIG_DEPRECATED, '[runner] rundir is deprecated, use [global] rundir', keys('runner', 'rundir'));
    }
  }
  if (rundir === '') {
    rundir = 'run';
    if (warn) r.warn(codes.PP_WARN_CONFIG_IGNORED, `no [global] rundir set, using ${path.resolve(cwd, rundir)}`);
  }
  const ipcPrefix = opts.ipcPrefix ?? r.rawString(keys('global', 'ipc_prefix')) ?? defaults.global.ipc_prefix;
  const portOffset = opts.portOffset ?? r.int(keys('global', 'port_offset'), defaults.global.port_offset);
  return { libdir, rundir: path.resolve(cwd, rundir), ipcPrefix, portOffset };
}

function listenList(r: Reader, key: string): Listen[] {
  const lookup = keys('runner', key);
  return r.list(lookup, []).map((item) => {
    const l = parseListen(item);
    if (!l) throw new ConfigInvalidError(`[runner] ${key}: "${item}" is not a valid [addr:]port`, r.where(lookup));
    return l;
  });
}

function optionalListen(r: Reader, lookup: Lookup): Listen | undefined {
  const s = r.str(lookup, '');
  if (s === '') return undefined;
  const l = parseListen(s);
  if (!l) r.warn(codes.PP_WARN_CONFIG_IGNORED, `"${s}" is not a valid [addr:]port, ignored`, lookup);
  return l;
}

function readRunner(r: Reader, cwd: string): MutableConfig['runner'] {
  const d = defaults.runner;
  const services: ServiceName[] = [];
  const svcLookup = keys('runner', 'services');
  for (const s of r.list(svcLookup, d.services)) {
    const name = serviceName(s);
    if (name === undefined) {
      const why = unsupportedServices.includes(s) ? 'is a legacy Mongrel2 service, not supported by pushpin-ts' : 'is not a known service';
      throw new ConfigInvalidError(`[runner] services: "${s}" ${why} (use condure, zurl, pushpin-proxy, pushpin-handler)`, r.where(svcLookup));
    }
    if (!services.includes(name)) services.push(name);
  }
  const levelLookup = keys('runner', 'log_level');
  const spec = parseLogLevelSpec(r.list(levelLookup, d.log_level));
  for (const bad of spec.invalid) r.warn(codes.PP_WARN_CONFIG_IGNORED, `[runner] log_level: cannot understand "${bad}"`, levelLookup);
  const logdir = r.str(keys('runner', 'logdir'), d.logdir);
  const out: MutableConfig['runner'] = {
    services,
    httpPorts: listenList(r, 'http_port'),
    httpsPorts: listenList(r, 'https_ports'),
    localPorts: r.list(keys('runner', 'local_ports'), d.local_ports),
    logLevel: mergeLogLevels({ default: 2, per: {} }, spec),
    clientBufferSize: r.int(keys('runner', 'client_buffer_size'), d.client_buffer_size),
    clientMaxconn: r.int(keys('runner', 'client_maxconn'), d.client_maxconn),
    allowCompression: r.bool(keys('runner', 'allow_compression'), d.allow_compression),
    condureBin: r.str(keys('runner', 'condure_bin'), d.condure_bin),
    zurlBin: r.str(keys('runner', 'zurl_bin'), d.zurl_bin),
  };
  if (logdir !== '') out.logdir = path.resolve(cwd, logdir);
  return out;
}

/** `file:` keys are relative to the config file's directory. */
function keyWithPath(value: string, dir: string): string {
  if (!value.startsWith('file:')) return value;
  return `file:${path.resolve(dir, value.slice(5))}`;
}

function readProxy(r: Reader, dir: string): MutableConfig['proxy'] {
  const d = defaults.proxy;
  const p = (key: string): Lookup => keys('proxy', key);
  const one = (lookup: Lookup): string => r.list(lookup, [])[0] ?? '';
  const routesfile = r.str(p('routesfile'), d.routesfile);
  const setXfp = r.str(p('set_x_forwarded_protocol'), d.set_x_forwarded_protocol);
  const out: MutableConfig['proxy'] = {
    debug: r.bool(p('debug'), d.debug),
    autoCrossOrigin: r.bool(p('auto_cross_origin'), d.auto_cross_origin),
    acceptXForwardedProtocol: r.bool(p('accept_x_forwarded_protocol'), d.accept_x_forwarded_protocol),
    // Pushpin compares the text exactly: anything but these two sets nothing
    setXForwardedProtocol: setXfp === 'true' || setXfp === 'proto-only' ? setXfp : '',
    xForwardedFor: r.list(p('x_forwarded_for'), d.x_forwarded_for),
    xForwardedForTrusted: r.list(p('x_forwarded_for_trusted'), d.x_forwarded_for_trusted),
    origHeadersNeedMark: r.list(p('orig_headers_need_mark'), d.orig_headers_need_mark),
    acceptPushpinRoute: r.bool(p('accept_pushpin_route'), d.accept_pushpin_route),
    cdnLoop: r.str(p('cdn_loop'), d.cdn_loop),
    logFrom: r.bool(p('log_from'), d.log_from),
    logUserAgent: r.bool(p('log_user_agent'), d.log_user_agent),
    sigIss: r.str(p('sig_iss'), d.sig_iss),
    sigKey: keyWithPath(r.str(p('sig_key'), d.sig_key), dir),
    upstreamKey: keyWithPath(r.str(p('upstream_key'), d.upstream_key), dir),
    sockjsUrl: r.str(p('sockjs_url'), d.sockjs_url),
    maxOpenRequests: r.int(p('max_open_requests'), d.max_open_requests),
    ipcFileMode: r.int(p('ipc_file_mode'), d.ipc_file_mode, 8),
    statsReportInterval: r.int(p('stats_report_interval'), d.stats_report_interval),
    prometheusPrefix: r.str(p('prometheus_prefix'), d.prometheus_prefix),
    workers: r.int(p('workers'), d.workers),
    statsConnectionsMaxTtl: r.int(p('stats_connections_max_ttl'), d.stats_connections_max_ttl),
    condureInSpecs: r.list(keys('proxy', 'connmgr_in_specs', 'condure_in_specs'), d.condure_in_specs),
    condureInStreamSpecs: r.list(keys('proxy', 'connmgr_in_stream_specs', 'condure_in_stream_specs'), d.condure_in_stream_specs),
    condureOutSpecs: r.list(keys('proxy', 'connmgr_out_specs', 'condure_out_specs'), d.condure_out_specs),
    zurlOutSpecs: r.list(p('zurl_out_specs'), d.zurl_out_specs),
    zurlOutStreamSpecs: r.list(p('zurl_out_stream_specs'), d.zurl_out_stream_specs),
    zurlInSpecs: r.list(p('zurl_in_specs'), d.zurl_in_specs),
    handlerInspectSpec: one(p('handler_inspect_spec')),
    handlerAcceptSpec: one(p('handler_accept_spec')),
    handlerRetryInSpec: one(p('handler_retry_in_spec')),
    handlerWsControlInSpec: one(p('handler_ws_control_in_spec')),
    handlerWsControlOutSpec: one(p('handler_ws_control_out_spec')),
    statsSpec: one(p('stats_spec')),
    commandSpec: one(p('command_spec')),
    intreqInSpecs: r.list(p('intreq_in_specs'), d.intreq_in_specs),
    intreqInStreamSpecs: r.list(p('intreq_in_stream_specs'), d.intreq_in_stream_specs),
    intreqOutSpecs: r.list(p('intreq_out_specs'), d.intreq_out_specs),
  };
  if (routesfile !== '') out.routesfile = path.resolve(dir, routesfile);
  const prom = optionalListen(r, p('prometheus_port'));
  if (prom) out.prometheusPort = prom;
  return out;
}

function readHandler(r: Reader): MutableConfig['handler'] {
  const d = defaults.handler;
  const h = (...names: string[]): Lookup => keys('handler', ...names);
  // a [newer] list spelling and the 1.36 single spec: the first element is the spec
  const one = (lookup: Lookup): string => r.list(lookup, [])[0] ?? '';
  // pushpin-handler 1.36 reads the condure specs from [proxy]; [handler] is only a fallback
  const condure = (newKey: string, oldKey: string): Lookup => [
    [['proxy', newKey], ['proxy', oldKey]],
    [['handler', newKey], ['handler', oldKey]],
  ];
  let pushInSubSpecs = r.list(h('push_in_sub_specs'), d.push_in_sub_specs);
  if (pushInSubSpecs.length === 0) pushInSubSpecs = r.list(h('push_in_sub_spec'), []);
  let httpPort = r.int(h('push_in_http_port'), d.push_in_http_port);
  if (httpPort > 0) httpPort += r.vars.portOffset;
  const out: MutableConfig['handler'] = {
    ipcFileMode: r.int(h('ipc_file_mode'), d.ipc_file_mode, 8),
    pushInSpec: r.str(h('push_in_spec'), d.push_in_spec),
    pushInSubSpecs,
    pushInSubConnect: r.bool(h('push_in_sub_connect'), d.push_in_sub_connect),
    pushInHttpAddr: r.str(h('push_in_http_addr'), d.push_in_http_addr),
    pushInHttpPort: httpPort,
    // 1.36 reads the keys without "http_" (a bug fixed in 1.41): accept both
    pushInHttpMaxHeadersSize: r.int(h('push_in_http_max_headers_size', 'push_in_max_headers_size'), d.push_in_http_max_headers_size),
    pushInHttpMaxBodySize: r.int(h('push_in_http_max_body_size', 'push_in_max_body_size'), d.push_in_http_max_body_size),
    statsSpec: r.str(h('stats_spec'), d.stats_spec),
    commandSpec: r.str(h('command_spec'), d.command_spec),
    stateSpec: r.str(h('state_spec'), d.state_spec),
    messageRate: r.int(h('message_rate'), d.message_rate),
    messageHwm: r.int(h('message_hwm'), d.message_hwm),
    messageBlockSize: r.int(h('message_block_size'), d.message_block_size),
    messageWait: r.int(h('message_wait'), d.message_wait),
    idCacheTtl: r.int(h('id_cache_ttl'), d.id_cache_ttl),
    connectionSubscriptionMax: r.int(h('connection_subscription_max'), d.connection_subscription_max),
    subscriptionLinger: r.int(h('subscription_linger'), d.subscription_linger),
    statsSubscriptionTtl: r.int(h('stats_subscription_ttl'), d.stats_subscription_ttl),
    statsReportInterval: r.int(h('stats_report_interval'), d.stats_report_interval),
    statsFormat: r.str(h('stats_format'), d.stats_format),
    shareAll: r.bool(h('share_all'), d.share_all),
    prometheusPrefix: r.str(h('prometheus_prefix'), d.prometheus_prefix),
    updateOnFirstSubscription: r.bool(h('update_on_first_subscription'), d.update_on_first_subscription),
    proxyInspectSpec: one(h('proxy_inspect_specs', 'proxy_inspect_spec')),
    proxyAcceptSpec: one(h('proxy_accept_specs', 'proxy_accept_spec')),
    proxyRetryOutSpec: one(h('proxy_retry_out_specs', 'proxy_retry_out_spec')),
    proxyWsControlInSpec: one(h('proxy_ws_control_in_spec')),
    proxyWsControlOutSpec: one(h('proxy_ws_control_out_spec')),
    proxyStatsSpec: one(h('proxy_stats_specs', 'proxy_stats_spec')),
    proxyCommandSpec: one(h('proxy_command_spec')),
    condureInStreamSpecs: r.list(condure('connmgr_in_stream_specs', 'condure_in_stream_specs'), []),
    condureOutSpecs: r.list(condure('connmgr_out_specs', 'condure_out_specs'), []),
    proxyIntreqOutSpecs: r.list(h('proxy_intreq_out_specs'), d.proxy_intreq_out_specs),
    proxyIntreqOutStreamSpecs: r.list(h('proxy_intreq_out_stream_specs'), d.proxy_intreq_out_stream_specs),
    proxyIntreqInSpecs: r.list(h('proxy_intreq_in_specs'), d.proxy_intreq_in_specs),
  };
  const prom = optionalListen(r, h('prometheus_port'));
  if (prom) out.prometheusPort = prom;
  return out;
}
