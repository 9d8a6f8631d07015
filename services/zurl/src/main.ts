/**
 * pushpin-zurl: args → config → logger → app → sockets → signals.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLogger, watchParent } from '@pushpin-ts/log';
import { ResponderTransport } from '@pushpin-ts/zhttp';
import { parseArgs, USAGE, type ZurlArgs } from './args.js';
import { ZurlApp } from './zurl-app.js';
import { buildSettings, parseGeneralSection, type ZurlSettings } from './zurl-conf.js';
import { exposedGc, IdleGc } from '@pushpin-ts/log';

let args: ZurlArgs;
let settings: Readonly<ZurlSettings>;
try {
  args = parseArgs(process.argv.slice(2));
  if (args.help) { process.stdout.write(`${USAGE}\n`); process.exit(0); }
  const text = args.config !== undefined ? readFileSync(args.config, 'latin1') : '';
  settings = buildSettings(parseGeneralSection(text), args, () => `{${randomUUID()}}`);
} catch (err) {
  process.stderr.write(`pushpin-zurl: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
}

const log = createLogger({ service: 'zurl', level: args.verbose ? 3 : args.logLevel ?? 2, ...(args.logFile ? { file: args.logFile } : {}) });
process.on('uncaughtException', (err) => log.error({ err: err.stack ?? String(err) }, 'zurl: uncaught exception'));
process.on('unhandledRejection', (err) => log.error({ err: String(err) }, 'zurl: unhandled rejection'));

const transport = new ResponderTransport({
  instanceId: settings.instanceId,
  pullSpecs: settings.inSpecs,
  routerSpecs: settings.inStreamSpecs,
  pubSpecs: settings.outSpecs,
  bind: true,
}, log);
const app = new ZurlApp(settings, transport, log, new IdleGc(exposedGc()));

// handlers first: the runner may signal as soon as it sees the started line
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(1);
  stopping = true;
  log.info({ signal }, 'zurl: stopping');
  const force = setTimeout(() => process.exit(0), 2000);
  force.unref();
  void app.close().finally(() => {
    transport.close();
    log.flush(() => process.exit(0));
  });
};
process.on('SIGTERM', () => stop('SIGTERM'));
watchParent(() => stop('runner gone'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => log.info({}, 'zurl: SIGHUP ignored (logs are written by the runner)'));

try {
  await transport.start();
} catch (err) {
  log.error({ err: String(err), in: settings.inSpecs, inStream: settings.inStreamSpecs, out: settings.outSpecs }, 'zurl: cannot bind sockets');
  log.flush();
  process.exit(1);
}
app.start();
if (settings.inReqSpecs.length) log.warn({ spec: settings.inReqSpecs }, 'zurl: in_req_spec (req-mode ZHTTP) is not supported, ignored');
log.info({ id: settings.instanceId, in: settings.inSpecs, inStream: settings.inStreamSpecs, out: settings.outSpecs }, 'zurl: started');
