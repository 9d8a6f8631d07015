import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InitiatorTransport, ResponderTransport, ZhttpInitiator, ZhttpResponder, ZrpcServer,
  type Header, type InitiatorSession, type Packet, type ResponderSession, type ZrpcHandler,
} from '@pushpin-ts/zhttp';

export const quiet = { warn() {}, debug() {}, info() {}, error() {} };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); })])
    .finally(() => clearTimeout(t));
}

/** Polls `cond` until it holds; fails after `ms` naming what was awaited (e.g. a log line, which comes through a pipe later than ZeroMQ replies). */
export async function eventually(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A promise with its resolver, for callbacks. */
export function defer<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(here, '../../bin/pushpin-proxy.js');
export const SIG_KEY = 'test-sig-key';

export interface Env {
  dir: string;
  conf: string;
  routes: string;
  spec(name: string): string;
}

/** A temp dir with pushpin.conf (rundir = the dir, every proxy spec explicit) and a routes file. */
export function makeEnv(routes: string, proxyExtra = ''): Env {
  const dir = mkdtempSync(path.join(tmpdir(), 'ppx-'));
  const spec = (name: string) => `ipc://${dir}/pushpin-${name}`;
  const conf = path.join(dir, 'pushpin.conf');
  const r = (n: string) => `ipc://{rundir}/{ipc_prefix}${n}`;
  writeFileSync(conf, `[global]
rundir=${dir}
ipc_prefix=pushpin-

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
log_level=3

[proxy]
routesfile=routes
sig_iss=pushpin
sig_key=${SIG_KEY}
x_forwarded_for=append
set_x_forwarded_protocol=proto-only
condure_in_specs=${r('condure-out')}
condure_in_stream_specs=${r('condure-out-stream')}
condure_out_specs=${r('condure-in')}
zurl_out_specs=${r('zurl-in')}
zurl_out_stream_specs=${r('zurl-in-stream')}
zurl_in_specs=${r('zurl-out')}
handler_inspect_spec=${r('inspect')}
handler_accept_spec=${r('accept')}
handler_retry_in_spec=${r('retry')}
handler_ws_control_in_spec=${r('ws-control-in')}
handler_ws_control_out_spec=${r('ws-control-out')}
stats_spec=${r('proxy-stats')}
command_spec=${r('proxy-command')}
intreq_in_specs=${r('intreq-in')}
intreq_in_stream_specs=${r('intreq-in-stream')}
intreq_out_specs=${r('intreq-out')}
${proxyExtra}
`);
  const routesFile = path.join(dir, 'routes');
  writeFileSync(routesFile, routes);
  return { dir, conf, routes: routesFile, spec };
}

export interface ProxyProc {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  waitLog(pred: (l: Record<string, unknown>) => boolean, ms: number, what: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts the real proxy binary on `env` and waits for its "started" line. */
export async function startProxy(env: Env, extra: string[] = []): Promise<ProxyProc> {
  const child = spawn(process.execPath, [BIN, '--config', env.conf, '--libdir', '/work/main/config', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let obj: Record<string, unknown>;
      try { obj = JSON.parse(line) as Record<string, unknown>; } catch { continue; }
      logs.push(obj);
      for (const w of [...waiters]) if (w.pred(obj)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(obj); }
    }
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`proxy exited (${code}): ${stderr}`))));
  exited.catch(() => undefined);
  const proc: ProxyProc = {
    child,
    logs,
    waitLog(pred, ms, what) {
      const hit = logs.find(pred);
      if (hit) return Promise.resolve(hit);
      return within(Promise.race([new Promise<Record<string, unknown>>((resolve) => waiters.push({ pred, resolve })), exited]), ms, what);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
  await proc.waitLog((l) => l['msg'] === 'pushpin-proxy started', 10_000, 'proxy start');
  await sleep(300); // let SUB subscriptions and connects settle
  return proc;
}

/** Plays condure: binds the condure trio and initiates client sessions. */
export async function fakeCondure(env: Env) {
  const t = new InitiatorTransport({
    instanceId: 'condure', pushSpecs: [env.spec('condure-out')], routerSpecs: [env.spec('condure-out-stream')], subSpecs: [env.spec('condure-in')], bind: true,
  }, quiet);
  await t.start();
  const init = new ZhttpInitiator(t, { instanceId: 'condure', log: quiet });
  return { init, close: () => t.close() };
}

/** Plays zurl: binds the zurl trio; `onSession` gets every forwarded request. */
export async function fakeZurl(env: Env, onSession: (s: ResponderSession) => void) {
  const t = new ResponderTransport({
    instanceId: 'zurl-test', pullSpecs: [env.spec('zurl-in')], routerSpecs: [env.spec('zurl-in-stream')], pubSpecs: [env.spec('zurl-out')], bind: true,
  }, quiet);
  await t.start();
  const r = new ZhttpResponder(t, { instanceId: 'zurl-test', log: quiet, keyByIdOnly: true, onSession });
  return { responder: r, transport: t, close: () => t.close() };
}

/** Plays the handler's accept service (ZRPC server connecting to the proxy's accept DEALER). */
export async function fakeHandler(env: Env, handler: ZrpcHandler) {
  const s = new ZrpcServer([env.spec('accept')], false, quiet, handler);
  await s.start();
  return { close: () => s.close() };
}

export interface ClientResult {
  code: number;
  reason: string;
  headers: Header[];
  body: Buffer;
  from: string | undefined;
}

/**
 * Sends a request as condure would and collects the response, granting credits for what it
 * reads (like a client draining its socket).
 */
export function clientRequest(
  init: ZhttpInitiator,
  req: { method?: string; uri: string; headers?: Header[]; body?: Buffer; more?: boolean; credits?: number; peerAddress?: string },
  onSession?: (s: InitiatorSession) => void,
): { session: InitiatorSession; done: Promise<ClientResult> } {
  const s = init.open();
  const chunks: Buffer[] = [];
  let head: Packet | undefined;
  const done = new Promise<ClientResult>((resolve, reject) => {
    const finish = () => resolve({ code: head!.code!, reason: head!.reason ?? '', headers: head!.headers ?? [], body: Buffer.concat(chunks), from: head!.from });
    s.onresponse = (p) => {
      head = p;
      if (p.body?.length) { chunks.push(p.body); s.credit(p.body.length); }
      if (!p.more) finish();
    };
    s.ondata = (p) => {
      if (p.body?.length) { chunks.push(p.body); s.credit(p.body.length); }
      if (!p.more) finish();
    };
    s.onend = (reason, p) => reject(new Error(`client session ended: ${reason} ${p?.condition ?? ''}`));
  });
  done.catch(() => undefined);
  onSession?.(s);
  s.start({
    method: req.method ?? 'GET',
    uri: req.uri,
    headers: req.headers ?? [['Host', new URL(req.uri).host]],
    ...(req.body ? { body: req.body } : {}),
    ...(req.more ? { more: true } : {}),
    stream: true,
    credits: req.credits ?? 8192,
    peerAddress: req.peerAddress ?? '10.1.2.3',
    peerPort: 40000,
  });
  return { session: s, done };
}

export function hv(headers: readonly Header[] | undefined, name: string): string | undefined {
  return headers?.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}
