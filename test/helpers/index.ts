// Shared helpers for the cross-process tests: free ports, a temp pushpin.conf, starting the
// real runner (and through it every service) and stopping it by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `cond` every 25 ms until it holds; throws naming `what` (a string, or a function for a
 * message built at the time of failure) after `ms`.
 */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(25);
  }
}

/** A free TCP port on 127.0.0.1 (asks the kernel for one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A port_offset so that 5560..5563 + offset are free. The ports are drawn from below the
 * kernel's ephemeral range: a port in that range can be taken at any moment as the local end of
 * some other test's outgoing connection, which made a handler fail to bind (EADDRINUSE).
 */
export function freeOffset(): Promise<number> {
  return freeOffsetFor([5560, 5561, 5562, 5563]);
}

/** A multiple of 10 (at least 10000) that moves every port given to a free one below the ephemeral range. */
export async function freeOffsetFor(ports: number[]): Promise<number> {
  const first = 10000;
  const slots = Math.floor((ephemeralLow() - 1 - Math.max(...ports) - first) / 10);
  if (slots < 1) throw new Error(`no room below the ephemeral range for ports ${ports.join(',')} moved by ${first} or more`);
  for (let i = 0; i < 100; i++) {
    const off = first + 10 * Math.floor(Math.random() * slots);
    let ok = true;
    for (const p of ports) if (!(await isFree(p + off))) { ok = false; break; }
    if (ok) return off;
  }
  throw new Error('no free port offset');
}

/** The first port of the kernel's ephemeral range (Linux default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 16000) return low;
  } catch { /* not Linux */ }
  return 32768;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export function waitPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(); });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${ms} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface RunnerOpts {
  routes: string[];
  /** extra `section.key=value` lines merged into the config */
  extra?: Record<string, Record<string, string | number | boolean>>;
  /** extra runner command-line arguments (e.g. `--zurl-workers=2`) */
  args?: string[];
}

export interface Running {
  dir: string;
  httpPort: number;
  portOffset: number;
  publishPort: number;
  pushPort: number;
  subPort: number;
  commandPort: number;
  proc: ChildProcess;
  stop(): Promise<void>;
  logs(): string;
}

/**
 * Writes a pushpin.conf + routes to a temp dir and starts `pushpin-runner` on it. A start that
 * fails because a chosen port was taken meanwhile (another test process got it first) is tried
 * again on new ports, at most three times in all.
 */
export async function startRunner(opts: RunnerOpts): Promise<Running> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRunnerOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !(e as Error).message.includes('(a port was already in use)')) throw e;
    }
  }
}

async function startRunnerOnce(opts: RunnerOpts): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-e2e-'));
  const httpPort = await freePort();
  const portOffset = await freeOffset();
  const sections: Record<string, Record<string, string | number | boolean>> = {
    global: { include: '{libdir}/internal.conf', rundir: path.join(dir, 'run'), ipc_prefix: 'pushpin-', port_offset: portOffset },
    runner: { services: 'condure,zurl,pushpin-proxy,pushpin-handler', http_port: httpPort, logdir: path.join(dir, 'log'), log_level: 2 },
    proxy: { routesfile: 'routes', sig_iss: 'pushpin', sig_key: 'e2e-key', x_forwarded_for: 'append' },
    handler: {
      push_in_spec: 'tcp://127.0.0.1:5560', push_in_sub_specs: 'tcp://127.0.0.1:5562', push_in_http_addr: '127.0.0.1',
      push_in_http_port: 5561, command_spec: 'tcp://127.0.0.1:5563', stats_spec: 'ipc://{rundir}/{ipc_prefix}stats',
      message_wait: 5000, id_cache_ttl: 60, connection_subscription_max: 20, subscription_linger: 60,
    },
  };
  for (const [sec, kv] of Object.entries(opts.extra ?? {})) sections[sec] = { ...(sections[sec] ?? {}), ...kv };
  const text = Object.entries(sections).map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join('\n')}\n`).join('\n');
  fs.writeFileSync(path.join(dir, 'pushpin.conf'), text);
  fs.writeFileSync(path.join(dir, 'routes'), opts.routes.join('\n') + '\n');
  const out = fs.openSync(path.join(dir, 'runner.out'), 'a');
  const proc = spawn(path.join(repoRoot, 'node_modules', '.bin', 'pushpin-runner'), ['--config', path.join(dir, 'pushpin.conf'), ...(opts.args ?? [])], {
    cwd: dir, stdio: ['pipe', out, out], detached: true,
    // the runner stops when this test process goes, even if it is killed (no orphaned suites)
    env: { ...process.env, PUSHPIN_RUNNER_PID: String(process.pid) },
  });
  (proc.stdin as net.Socket | null)?.unref();
  const running: Running = {
    dir, httpPort, portOffset, publishPort: 5561 + portOffset, pushPort: 5560 + portOffset, subPort: 5562 + portOffset, commandPort: 5563 + portOffset, proc,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise<void>((r) => proc.once('exit', () => r()));
      try { process.kill(proc.pid!, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ } }, 6000);
      await done;
      clearTimeout(t);
    },
    logs() {
      let s = fs.readFileSync(path.join(dir, 'runner.out'), 'utf8');
      const ld = path.join(dir, 'log');
      if (fs.existsSync(ld)) for (const f of fs.readdirSync(ld)) s += `\n--- ${f}\n` + fs.readFileSync(path.join(ld, f), 'utf8');
      return s;
    },
  };
  try {
    await Promise.all([waitPort(httpPort, 20000), waitPort(running.publishPort, 20000)]);
    // every tier answers: a request makes the full connmgr → proxy round trip
    const deadline = Date.now() + 15000;
    for (;;) {
      const ok = await request(httpPort, { path: '/', timeout: 2000 }).then(() => true, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('no answer to GET / within 15 s');
      await sleep(200);
    }
  } catch (e) {
    await running.stop();
    const logs = running.logs();
    const taken = /address already in use|EADDRINUSE/i.test(logs) ? ' (a port was already in use)' : '';
    throw new Error(`${(e as Error).message}${taken}\n${logs.slice(-3000)}`);
  }
  return running;
}

export interface Res { status: number; headers: http.IncomingHttpHeaders; body: Buffer; text: string }

export function request(port: number, o: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeout?: number }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path, headers: o.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { clearTimeout(t); const body = Buffer.concat(chunks); resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() }); });
      res.on('error', reject);
    });
    const t = setTimeout(() => req.destroy(new Error(`request ${o.path} timed out`)), o.timeout ?? 8000);
    req.on('error', (e) => { clearTimeout(t); reject(e); });
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** Opens a streaming GET and collects the body as it arrives. */
export function openStream(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: () => string; waitFor: (s: string, ms?: number) => Promise<void>; ended: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      let buf = '';
      let ended = false;
      const waiters: Array<() => void> = [];
      res.on('data', (c: Buffer) => { buf += c.toString(); for (const w of waiters.splice(0)) w(); });
      res.on('end', () => { ended = true; for (const w of waiters.splice(0)) w(); });
      res.on('error', () => { ended = true; });
      resolve({
        status: res.statusCode ?? 0, headers: res.headers, text: () => buf, ended: () => ended,
        close: () => req.destroy(),
        async waitFor(s: string, ms = 5000) {
          const deadline = Date.now() + ms;
          while (!buf.includes(s)) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(s)}; got ${JSON.stringify(buf.slice(-200))}`);
            if (ended) throw new Error(`stream ended before ${JSON.stringify(s)}; got ${JSON.stringify(buf.slice(-200))}`);
            await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
          }
        },
      });
    });
    req.setTimeout(8000, () => req.destroy(new Error('no response headers')));
    req.on('error', reject);
    req.end();
  });
}

/** Publishes items through the HTTP control API; throws on a non-200. */
export async function publish(r: Running, items: unknown[]): Promise<void> {
  const body = JSON.stringify({ items });
  const res = await request(r.publishPort, { method: 'POST', path: '/publish/', body, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } });
  if (res.status !== 200) throw new Error(`publish failed: ${res.status} ${res.text}`);
}

/** A real backend written in the test: `handler(req, res, body)` per request. */
export async function startBackend(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void): Promise<{ port: number; close(): Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { hits.push(req.url ?? ''); handler(req, res, Buffer.concat(chunks)); });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, hits, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}
