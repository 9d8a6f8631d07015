import { createLogger, watchParent } from '@pushpin-ts/log';
import { InitiatorTransport, ZhttpInitiator, type InitiatorSession } from '@pushpin-ts/zhttp';
import { parseArgs, USAGE, type ConnmgrArgs } from './args.js';
import { ChunkBatcher } from './chunk-batch.js';
import { CreditBatcher } from './credit-batch.js';
import { ConnServer } from './server.js';
import type { WsContext } from './ws-session.js';

/** After the first responder connects, time for the others (ZeroMQ reconnects every 100 ms). */
const RESPONDER_GRACE_MS = 150;

let args: ConnmgrArgs;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`pushpin-connmgr: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const log = createLogger({ service: 'connmgr', level: args.logLevel, ...(args.logFile ? { file: args.logFile } : {}) });
for (const option of args.ignored) log.warn({ option }, 'option accepted for compatibility and ignored');
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception; exiting');
  process.exit(1);
});

// uWS reads this when its addon loads (lazily, on the first server). The published build
// ignores it, which is why request heads are also measured against --buffer-size ourselves.
process.env['UWS_HTTP_MAX_HEADERS_SIZE'] ??= String(Math.max(args.bufferSize, 4096));

const transport = new InitiatorTransport({
  instanceId: args.id, pushSpecs: args.pushSpecs, routerSpecs: args.routerSpecs, subSpecs: args.subSpecs, bind: !args.connect,
}, log);
try {
  await transport.start();
} catch (err) {
  log.error({ err, endpoints: [...args.pushSpecs, ...args.routerSpecs, ...args.subSpecs] }, 'cannot open ZeroMQ endpoints');
  process.exit(1);
}
log.info({ bind: !args.connect, endpoints: [...args.pushSpecs, ...args.routerSpecs, ...args.subSpecs] }, 'zhttp client ready');
const initiator = new ZhttpInitiator(transport, { instanceId: args.id, log });
initiator.start();

const quarterWindow = Math.max(1, args.bufferSize >> 2);
const ctx: WsContext = {
  initiator, log, bufferSize: args.bufferSize,
  pauseAbove: Math.max(args.bufferSize, 64 * 1024),
  refuseAbove: 1024 * 1024 + args.bufferSize,
  maxQueued: 1024 * 1024 + args.bufferSize,
  closing: new Map(),
  chunks: new ChunkBatcher((err) => log.error({ err }, 'deferred client write failed')),
  // a quarter window is due at once (and flushes every due grant); smaller grants wait up to
  // 250 ms (the responder still has three quarters of its window): a fan-out of small messages
  // costs no credit packet per client
  credits: new CreditBatcher<InitiatorSession>((peer, sessions, n) => initiator.creditMany(peer, sessions, n), quarterWindow,
    { below: quarterWindow, maxDelayMs: 250 }),
};
const server = new ConnServer(ctx, {
  listens: args.listens, bufferSize: args.bufferSize, maxConn: args.maxConn, tlsDir: args.tlsDir, maxWsMessage: 1024 * 1024, reusePort: args.reusePort,
});
// Clients are taken once the responders have (re)connected, so their first replies are not
// published into the void (a restarted connection manager meets peers that retry every 100 ms).
if (!args.connect && args.responderWaitMs > 0) {
  const t0 = Date.now();
  const responders = await transport.waitForResponders(RESPONDER_GRACE_MS, args.responderWaitMs);
  if (responders === 0) log.warn({ waitedMs: Date.now() - t0 }, 'no ZHTTP responder (proxy, handler) has connected yet; taking clients anyway');
  else log.debug({ responders, waitedMs: Date.now() - t0 }, 'ZHTTP responders connected');
}
try {
  for (const where of await server.start()) log.info({ listen: where }, 'listening');
} catch (err) {
  log.error({ err }, 'cannot listen');
  process.exit(1);
}

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal, connections: server.connections }, 'stopping');
  server.close();
  for (const s of [...initiator.sessions.values()]) s.cancel();
  initiator.stop();
  // give the cancel packets a moment to leave before the sockets close
  setTimeout(() => {
    transport.close();
    process.exit(0);
  }, 100);
}
process.on('SIGTERM', () => stop('SIGTERM'));
watchParent(() => stop('runner gone'));
process.on('SIGINT', () => stop('SIGINT'));
