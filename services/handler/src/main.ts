// pushpin-handler: args -> config -> logger -> sessions + hub -> publish inputs -> signals.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type PushpinConfig } from '@pushpin-ts/config';
import { createLogger, watchParent, type Logger } from '@pushpin-ts/log';
import { effectiveLogLevel, parseArgs, USAGE, type HandlerArgs } from './args.js';
import { startHandlerApp } from './handler-app.js';
import { bindProxyFacing } from './proxy-bind.js';
import { loadPublishInputs } from './publish-inputs.js';

const VERSION = '1.36.0';
// dist/src/main.js -> <repo>/config
const REPO_CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'config');

function fatal(message: string): never {
  process.stderr.write(`pushpin-handler: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let args: HandlerArgs;
  try { args = parseArgs(process.argv.slice(2)); } catch (err) { fatal(`${(err as Error).message}\n\n${USAGE}`); }
  if (args.help) { process.stdout.write(USAGE); process.exit(0); }
  if (args.version) { process.stdout.write(`pushpin-handler ${VERSION}\n`); process.exit(0); }

  const libdir = args.libdir ?? REPO_CONFIG_DIR;
  const configFile = args.config ?? path.join(REPO_CONFIG_DIR, 'pushpin.conf');
  let config: PushpinConfig;
  try {
    config = loadConfig(configFile, {
      libdir,
      ...(args.ipcPrefix !== undefined ? { ipcPrefix: args.ipcPrefix } : {}),
      ...(args.portOffset !== undefined ? { portOffset: args.portOffset } : {}),
      set: args.set,
    });
  } catch (err) {
    fatal(`config: ${(err as Error).message}`);
  }
  if (args.proxyBind) config = bindProxyFacing(config);

  const log: Logger = createLogger({ service: 'handler', level: effectiveLogLevel(args), ...(args.logFile ? { file: args.logFile } : {}) });
  for (const w of config.warnings) log.warn({ code: w.code, file: w.file, line: w.line }, w.message);
  const instanceId = `pushpin-handler_${process.pid}`;

  const closers: Array<{ close(): void }> = [];
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    for (const c of closers.reverse()) { try { c.close(); } catch { /* shutting down */ } }
    const timer = setTimeout(() => process.exit(code), 500);
    log.flush(() => { clearTimeout(timer); process.exit(code); });
  };

  try {
    const app = await startHandlerApp({ config, log, instanceId });
    closers.push(app);
    const startInputs = await loadPublishInputs(log);
    if (startInputs) closers.push(await startInputs({ config, hub: app.hub, log, instanceId }));
  } catch (err) {
    log.error({ err: String(err) }, 'startup failed');
    stop(1);
    return;
  }
  log.info({ instanceId, config: config.file }, 'started');

  process.on('SIGTERM', () => { log.info({}, 'SIGTERM: stopping'); stop(0); });
  watchParent(() => { log.info({}, 'runner gone: stopping'); stop(0); });
  process.on('SIGINT', () => { log.info({}, 'SIGINT: stopping'); stop(0); });
  process.on('SIGHUP', () => { log.info({}, 'SIGHUP: nothing to reload'); });
}

void main();
