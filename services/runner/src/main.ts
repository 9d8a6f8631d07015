import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, mergeLogLevels } from '@pushpin-ts/config';
import { createLogger, watchParent } from '@pushpin-ts/log';
import { parseArgs, USAGE, VERSION_TEXT } from './args.js';
import type { RunnerArgs } from './args.js';
import { createSpawner, findConfigFile, killChild, pidFiles, prepareDirs } from './process-io.js';
import { Supervisor } from './supervisor.js';
import { computeTopology, DEFAULT_NODE_FLAGS } from './topology.js';

// dist/src/main.js -> services/ and the repo's config/ ({libdir})
const here = path.dirname(fileURLToPath(import.meta.url));
const servicesDir = path.resolve(here, '../../..');
const libdir = path.resolve(servicesDir, '../config');

function fail(message: string): never {
  process.stderr.write(`pushpin-runner: error: ${message}\n`);
  process.exit(1);
}

function readArgs(): RunnerArgs {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${USAGE}`);
  }
}

const args = readArgs();
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.version) {
  process.stdout.write(`${VERSION_TEXT}\n`);
  process.exit(0);
}

function setup() {
  const candidates = [path.resolve('config/pushpin.conf'), path.resolve('pushpin.conf'), path.join(libdir, 'pushpin.conf')];
  const configFile = path.resolve(args.config ?? findConfigFile(candidates) ?? fail(`no config file found (tried ${candidates.join(', ')})`));
  try {
    const ipcPrefix = args.id === undefined ? undefined : `p${args.id}-`;
    const cfg = loadConfig(configFile, { libdir, set: args.set, ...(ipcPrefix === undefined ? {} : { ipcPrefix }) });
    if (cfg.runner.services.length === 0) fail(`${cfg.file}: [runner] services is empty, nothing to run`);
    const logLevels = mergeLogLevels(cfg.runner.logLevel, ...(args.logLevel ? [args.logLevel] : []));
    const topo = computeTopology(cfg, {
      configFile: cfg.file, libdir, servicesDir, nodePath: process.execPath, logLevels, nodeFlags: DEFAULT_NODE_FLAGS,
      routes: args.routes, mergeOutput: args.mergeOutput, set: args.set,
      ...(args.proxyWorkers === undefined ? {} : { proxyWorkers: args.proxyWorkers }),
      ...(args.zurlWorkers === undefined ? {} : { zurlWorkers: args.zurlWorkers }),
      ...(args.connmgrWorkers === undefined ? {} : { connmgrWorkers: args.connmgrWorkers }),
      ...(args.id === undefined ? {} : { id: args.id }),
      ...(args.port === undefined ? {} : { port: args.port }),
    });
    prepareDirs(topo);
    return { cfg, topo, logLevels };
  } catch (err) {
    return fail((err as Error).message);
  }
}

const { cfg, topo, logLevels } = setup();
const out: NodeJS.WritableStream = args.logfile === undefined ? process.stdout : fs.createWriteStream(args.logfile, { flags: 'a' });
const log = createLogger({ service: 'runner', level: logLevels.default, stream: out });
for (const w of cfg.warnings) log.warn({ code: w.code }, w.message);

const sup = new Supervisor(topo.services, {
  spawn: createSpawner((lines) => out.write(lines), (fields, msg) => log.warn(fields, msg)),
  kill: killChild,
  log,
  pidFile: pidFiles,
});

function exit(code: number): void {
  if (out === process.stdout) process.exit(code);
  else out.end(() => process.exit(code));
}

let signals = 0;
function shutdown(signal: NodeJS.Signals): void {
  if (++signals > 1) {
    log.warn({ signal }, 'second signal, killing services now');
    sup.killNow();
    exit(0);
    return;
  }
  log.info({ signal }, 'stopping');
  void sup.stop().then(() => {
    log.info({}, 'stopped');
    exit(0);
  });
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGHUP', () => sup.hup());
// Started under a supervisor that set PUSHPIN_RUNNER_PID and holds our stdin (the test helpers
// do): stop when it goes, even if it was killed. A runner started by hand is not affected.
watchParent(() => shutdown('SIGTERM'));
// whatever ends the runner (crash included) takes the services with it
process.on('exit', () => sup.killNow());

log.info({ config: cfg.file, rundir: topo.rundir, logdir: topo.logdir ?? null, services: topo.services.map((s) => s.title) }, 'starting');
sup.start();
