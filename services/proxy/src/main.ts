import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, logLevelFor, type PushpinConfig } from '@pushpin-ts/config';
import { createLogger, watchParent } from '@pushpin-ts/log';
import { ProxyApp } from './app.js';
import { parseArgs, type ProxyArgs } from './args.js';
import { GripSigner } from './grip-signing.js';
import { exposedGc, IdleGc } from '@pushpin-ts/log';
import { RoutesSource } from './routes-source.js';
import { proxySettings } from './settings.js';
import { buildSockets, connectHandlerFacing } from './sockets.js';
import { ProxyStats } from './stats.js';
import { startProxyMetrics } from './metrics/index.js';
import { CustomTargets } from './zhttp-target.js';
import { WsControlLink } from './wsoh/ws-control-link.js';

const defaultLibdir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config');

function fail(message: string): never {
  process.stderr.write(`pushpin-proxy: ${message}\n`);
  process.exit(1);
}

let args: ProxyArgs;
let cfg: PushpinConfig;
try {
  args = parseArgs(process.argv.slice(2));
  cfg = loadConfig(args.config, {
    libdir: args.libdir ?? defaultLibdir,
    ...(args.ipcPrefix !== undefined ? { ipcPrefix: args.ipcPrefix } : {}),
    set: args.set,
  });
} catch (err) {
  fail((err as Error).message);
}

if (args.handlerConnect) cfg = connectHandlerFacing(cfg);
const instanceId = (args.id ?? 'pushpin-proxy_{pid}').replaceAll('{pid}', String(process.pid)).replaceAll('{hostname}', os.hostname());
const log = createLogger({
  service: 'proxy',
  level: args.logLevel ?? logLevelFor(cfg.runner.logLevel, 'proxy'),
  ...(args.logFile ? { file: args.logFile } : {}),
});
for (const u of args.unknown) log.warn({ arg: u }, 'unknown command line argument ignored');
for (const w of cfg.warnings) log.warn({ code: w.code }, w.message);

const routes = new RoutesSource({ file: cfg.proxy.routesfile, lines: args.routes }, log);
const signer = new GripSigner(cfg.proxy.sigIss, cfg.proxy.sigKey, cfg.proxy.upstreamKey, log);
// --zhttp-timeout, else PUSHPIN_ZHTTP_TIMEOUT_MS (lets a runner-started proxy be tuned), else 30 s
const envTimeout = Number(process.env['PUSHPIN_ZHTTP_TIMEOUT_MS']);
const zhttpTimeoutMs = args.zhttpTimeoutMs ?? (Number.isInteger(envTimeout) && envTimeout > 0 ? envTimeout : undefined);
const custom = new CustomTargets({ instanceId, log, ...(zhttpTimeoutMs !== undefined ? { timeoutMs: zhttpTimeoutMs } : {}) });
// custom targets' sockets are bound as soon as a route names them, so handlers can connect first
routes.onReload = () => { signer.clear(); custom.prepare(routes.table.routes.flatMap((r) => r.targets)); };
routes.load();
routes.watch();

let app: ProxyApp | undefined;
let wsControl: WsControlLink | undefined;
let sockets: ReturnType<typeof buildSockets>;
try {
  sockets = buildSockets(cfg, instanceId, log, {
    client: (s) => app?.onClientSession(s),
    internal: (s) => app?.onInternalSession(s),
    isConnected: (cid) => wsControl?.has(cid) ?? false,
    retry: (frame) => app?.onRetry(frame, sockets.client),
  });
} catch (err) {
  log.error({ err: (err as Error).message }, 'cannot set up sockets');
  fail((err as Error).message);
}
wsControl = new WsControlLink(instanceId, sockets.wsControlOut, log);
if (sockets.wsControlIn) sockets.wsControlIn.onMessage = (frames) => wsControl?.onFrame(frames);
wsControl.start();
const statsOut = sockets.stats;
const stats = new ProxyStats(statsOut ? (f) => statsOut.send(f) : undefined, {
  from: instanceId, reportInterval: cfg.proxy.statsReportInterval, openSessions: () => app?.open ?? 0, connectionTtl: cfg.global.statsConnectionTtl,
});
app = new ProxyApp({ log, settings: proxySettings(cfg), routes: () => routes.table, signer, zurl: sockets.zurl, accept: sockets.accept, wsControl, custom, stats, idleGc: new IdleGc(exposedGc()) });

try {
  await sockets.start();
} catch (err) {
  log.error({ err: (err as Error).message }, 'cannot bind or connect sockets');
  sockets.close();
  fail((err as Error).message);
}
stats.start();
const metrics = await startProxyMetrics(cfg.proxy, { totals: stats.totals, openSessions: () => app?.open ?? 0 }, log);
log.info({ id: instanceId, config: cfg.file }, 'pushpin-proxy started');

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  routes.close();
  wsControl?.stop();
  custom.close();
  stats.close();
  metrics?.close();
  sockets.close();
  log.flush?.();
  setTimeout(() => process.exit(0), 100).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
watchParent(() => stop('runner gone'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => { log.info({}, 'SIGHUP: reloading routes'); routes.reload(); });
process.on('uncaughtException', (err) => log.error({ err: err.message, stack: err.stack }, 'uncaught exception (continuing)'));
process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'unhandled rejection (continuing)'));
