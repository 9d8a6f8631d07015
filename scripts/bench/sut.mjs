// The systems under test: a fresh temp dir with a generated pushpin.conf + routes, free ports
// on 127.0.0.1, the origin process, and either our runner or the real Pushpin started on the
// same config; readiness checks; teardown by PID.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpConn } from './clients.mjs';
import { sleep, socketsOnPort, startProcess, stopProcess } from './procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const PUSHPIN_BIN = '/usr/bin/pushpin';

/** Temp dirs still to remove (the exit paths of bench.mjs remove them too). */
export const tempDirs = new Set();

/** Removes every temp dir not yet removed (synchronous, for exit paths). */
export function removeTempDirs() {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** The commands for each system; `{config}` is replaced by the config path. */
export const SYSTEMS = {
  ours: { command: path.join(repoRoot, 'node_modules', '.bin', 'pushpin-runner'), args: ['--config', '{config}'] },
  pushpin: { command: PUSHPIN_BIN, args: ['--config', '{config}'] },
};

export function pushpinAvailable() {
  try {
    fs.accessSync(PUSHPIN_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open until every one is picked). */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

/** The pushpin.conf text both systems run with. `set` = ['section.key=value', ...] overrides. */
export function configText(dir, ports, { logLevel, set = [] }) {
  const sections = {
    global: {
      include: '{libdir}/internal.conf', rundir: path.join(dir, 'run'), ipc_prefix: 'pushpin-',
      port_offset: 0, stats_connection_ttl: 120,
    },
    runner: {
      services: 'condure,zurl,pushpin-proxy,pushpin-handler', http_port: ports.http,
      logdir: path.join(dir, 'log'), log_level: logLevel, client_buffer_size: 8192, client_maxconn: 50000,
      condure_bin: 'condure', zurl_bin: 'zurl',
    },
    proxy: {
      routesfile: 'routes',
      // Debian's internal.conf points these at a system zurl in /var/run/zurl: use the runner's own
      zurl_out_specs: 'ipc://{rundir}/{ipc_prefix}zurl-in',
      zurl_out_stream_specs: 'ipc://{rundir}/{ipc_prefix}zurl-in-stream',
      zurl_in_specs: 'ipc://{rundir}/{ipc_prefix}zurl-out',
      debug: false, auto_cross_origin: false, accept_x_forwarded_protocol: false,
      set_x_forwarded_protocol: 'proto-only', x_forwarded_for: '', x_forwarded_for_trusted: '',
      orig_headers_need_mark: '', accept_pushpin_route: false, log_from: false, log_user_agent: false,
      sig_iss: 'pushpin', sig_key: 'changeme', upstream_key: '', updates_check: 'off',
    },
    handler: {
      push_in_spec: `tcp://127.0.0.1:${ports.push}`, push_in_sub_specs: `tcp://127.0.0.1:${ports.sub}`,
      push_in_sub_connect: false, push_in_http_addr: '127.0.0.1', push_in_http_port: ports.publish,
      push_in_http_max_headers_size: 10000, push_in_http_max_body_size: 1000000,
      stats_spec: 'ipc://{rundir}/{ipc_prefix}stats', command_spec: `tcp://127.0.0.1:${ports.command}`,
      // Pushpin's stock 2500/25000 caps per-subscriber deliveries; lift it so the proxy is measured
      message_rate: 1000000, message_hwm: 10000000,
      message_wait: 5000, id_cache_ttl: 60, connection_subscription_max: 20, subscription_linger: 60,
      stats_subscription_ttl: 60, stats_report_interval: 10, stats_format: 'tnetstring',
    },
  };
  for (const kv of set) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(kv);
    if (!m) throw new Error(`--set ${kv}: expected section.key=value`);
    sections[m[1]] = { ...(sections[m[1]] ?? {}), [m[2]]: m[3] };
  }
  return Object.entries(sections)
    .map(([name, kv]) => `[${name}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join('\n')}\n`)
    .join('\n');
}

async function waitPort(port, ms, proc) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc?.exitedNow) throw new Error(`${proc.label} exited during start-up`);
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => { c.destroy(); resolve(false); });
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} not open after ${ms} ms`);
}

/** Waits until a proxied GET /plain/ready answers 200 and POST /publish/ {"items":[]} answers 2xx. */
async function waitReady(sut, ms) {
  const deadline = Date.now() + ms;
  await waitPort(sut.ports.http, ms, sut.proc);
  await waitPort(sut.ports.publish, Math.max(1000, deadline - Date.now()), sut.proc);
  const proxy = new HttpConn(sut.ports.http, { timeoutMs: 3000 });
  const pub = new HttpConn(sut.ports.publish, { timeoutMs: 3000 });
  try {
    let proxied = false;
    let published = false;
    let last = '';
    while (Date.now() < deadline) {
      if (sut.proc.exitedNow) throw new Error(`${sut.proc.label} exited during start-up`);
      try {
        if (!proxied) {
          const r = await proxy.request('GET', '/plain/ready');
          proxied = r.status === 200;
          last = `GET /plain/ready -> ${r.status}`;
        }
        if (!published) {
          const r = await pub.request('POST', '/publish/', '{"items":[]}');
          published = r.status >= 200 && r.status < 300;
          last = `POST /publish/ -> ${r.status}`;
        }
        if (proxied && published) return;
      } catch (e) {
        last = e.message;
      }
      await sleep(200);
    }
    throw new Error(`not ready after ${ms} ms (${last})`);
  } finally {
    proxy.close();
    pub.close();
  }
}

/** The N of `--connmgr-workers N` / `--connmgr-workers=N` in runner arguments (1 without it). */
function connmgrWorkers(args) {
  for (let i = 0; i < args.length; i++) {
    const m = /^--connmgr-workers(?:=(\d+))?$/.exec(args[i]);
    if (m) return Number(m[1] ?? args[i + 1]) || 1;
  }
  return 1;
}

/** Copies the V8 profiles of a run to `outDir` as <label>-<service>-<pid>.cpuprofile. */
function saveProfiles(profDir, outDir, proc, label) {
  let files = [];
  try {
    files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return;
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of files) {
    const pid = Number(f.split('.')[1]);
    const name = proc.known.get(pid)?.name ?? 'node';
    fs.copyFileSync(path.join(profDir, f), path.join(outDir, `${label}-${name}-${pid}.cpuprofile`));
  }
}

/**
 * Starts the origin and the system `name` ('ours' | 'pushpin') in a new temp dir, with
 * `opts.extraArgs` after its usual arguments (e.g. ['--connmgr-workers', '6'] for ours).
 * Resolves with { name, dir, ports, proc, origin, stop(), logTail() }.
 */
export async function startSut(name, opts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-bench-'));
  if (!opts.keep) tempDirs.add(dir);
  const [http, publish, push, sub, command, origin] = await freePorts(6);
  const ports = { http, publish, push, sub, command, origin };
  const configFile = path.join(dir, 'pushpin.conf');
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
  fs.writeFileSync(configFile, configText(dir, ports, opts));
  fs.writeFileSync(path.join(dir, 'routes'), `* 127.0.0.1:${origin}\n`);

  const originProc = startProcess('origin', process.execPath, [path.join(here, 'origin.mjs'), String(origin)], { cwd: dir, logFile: path.join(dir, 'origin.out') });
  const sys = SYSTEMS[name];
  const args = [...sys.args.map((a) => a.replaceAll('{config}', configFile)), ...(opts.extraArgs ?? [])];
  let proc;
  const sut = {
    name, dir, ports, origin: originProc,
    get proc() { return proc; },
    logTail(chars = 3000) {
      let s = '';
      const add = (f) => { try { s += `\n--- ${path.basename(f)}\n${fs.readFileSync(f, 'utf8').slice(-chars)}`; } catch { /* none */ } };
      add(path.join(dir, 'runner.out'));
      try { for (const f of fs.readdirSync(path.join(dir, 'log'))) add(path.join(dir, 'log', f)); } catch { /* none */ }
      return s;
    },
    async stop() {
      const left = [];
      if (proc) left.push(...await stopProcess(proc));
      left.push(...await stopProcess(originProc));
      if (opts.cpuProf && proc) saveProfiles(path.join(dir, 'prof'), opts.cpuProf, proc, opts.label ?? name);
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
      return left;
    },
  };
  try {
    await waitPort(origin, 10000, originProc);
    // --cpu-prof: every node process of ours writes a V8 profile when it exits
    const env = opts.cpuProf && name === 'ours'
      ? {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${path.join(here, 'cpu-prof-preload.cjs')}`.trim(),
        BENCH_CPU_PROF_DIR: path.join(dir, 'prof'),
      }
      : {};
    proc = startProcess(name, sys.command, args, { cwd: dir, logFile: path.join(dir, 'runner.out'), env });
    await waitReady(sut, 30000);
    // with several connection managers sharing the port (SO_REUSEPORT), the kernel spreads
    // connections only over those already listening: wait for all of them
    const workers = connmgrWorkers(opts.extraArgs ?? []);
    const deadline = Date.now() + 30000;
    while (socketsOnPort(http, '0A') < workers) {
      if (Date.now() > deadline) throw new Error(`${socketsOnPort(http, '0A')} of ${workers} connection managers listening on port ${http} after 30 s`);
      if (proc.exitedNow) throw new Error(`${proc.label} exited during start-up`);
      await sleep(100);
    }
    sut.listeners = socketsOnPort(http, '0A');
  } catch (e) {
    const tail = sut.logTail();
    await sut.stop();
    throw new Error(`${name} failed to start: ${e.message}${tail}`);
  }
  return sut;
}
