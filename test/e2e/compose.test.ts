// docker-compose.yml is consistent (every connect meets a bind of the right socket, the proxy
// binds nothing so it can be scaled), and its commands work: they are run here as local
// processes (no container engine), service hostnames mapped to 127.0.0.1 and every port
// shifted to a free range, with two proxy processes standing in for `--scale proxy=2`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freeOffsetFor, openStream, repoRoot, request, sleep, waitPort } from '../helpers/index.js';

type Yaml = string | string[] | { [k: string]: Yaml };

/**
 * Parses the YAML subset docker-compose.yml is written in: nested maps by indentation
 * (2 spaces), block lists of scalars (`- x`), flow lists (`[a, b]`), plain or double-quoted
 * scalars, `#` comment lines.
 */
function parseYamlSubset(text: string): { [k: string]: Yaml } {
  const lines = text.split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  let i = 0;
  const scalar = (v: string): string => (v.startsWith('"') && v.endsWith('"') ? JSON.parse(v) as string : v);
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  function block(indent: number): Yaml {
    const first = lines[i];
    if (first !== undefined && indentOf(first) === indent && first.trimStart().startsWith('- ')) {
      const list: string[] = [];
      while (i < lines.length && indentOf(lines[i]!) === indent && lines[i]!.trimStart().startsWith('- ')) list.push(scalar(lines[i++]!.trimStart().slice(2).trim()));
      return list;
    }
    const map: { [k: string]: Yaml } = {};
    while (i < lines.length && indentOf(lines[i]!) === indent) {
      const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(lines[i]!.trim());
      if (!m) throw new Error(`docker-compose.yml: cannot read line "${lines[i]}"`);
      i++;
      const v = m[2];
      if (v === undefined || v === '') {
        const next = lines[i];
        const childIndent = next === undefined ? indent : indentOf(next);
        // compose allows a block list at the same indentation as its key
        map[m[1]!] = childIndent > indent || (childIndent === indent && next!.trimStart().startsWith('- ')) ? block(childIndent) : '';
      } else if (v.startsWith('[') && v.endsWith(']')) {
        map[m[1]!] = v.slice(1, -1).split(',').map((x) => scalar(x.trim())).filter((x) => x !== '');
      } else {
        map[m[1]!] = scalar(v);
      }
    }
    return map;
  }
  const out = block(0);
  if (i !== lines.length || Array.isArray(out) || typeof out === 'string') throw new Error(`docker-compose.yml: unexpected structure near "${lines[i]}"`);
  return out;
}

interface Svc { name: string; command: string[]; ports: string[]; build: string; image: string }

function readCompose(): Svc[] {
  const doc = parseYamlSubset(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'));
  const services = doc['services'];
  assert.ok(services && typeof services === 'object' && !Array.isArray(services), 'services: is a map');
  return Object.entries(services).map(([name, v]) => {
    assert.ok(typeof v === 'object' && !Array.isArray(v), `${name} is a map`);
    const command = v['command'];
    assert.ok(Array.isArray(command), `${name}: command is a list`);
    const ports = v['ports'] ?? [];
    assert.ok(Array.isArray(ports));
    return { name, command, ports, build: String(v['build'] ?? ''), image: String(v['image'] ?? '') };
  });
}

/** Every `tcp://host:port` in a service's command: `*`/`0.0.0.0` binds, a name connects to that service. */
function endpoints(s: Svc): Array<{ key: string; host: string; port: number; bind: boolean }> {
  const out: Array<{ key: string; host: string; port: number; bind: boolean }> = [];
  for (const arg of s.command) {
    const m = /^--(?:set=)?([^=]+)=(.*)$/.exec(arg);
    if (!m) continue;
    const key = m[1]!;
    for (const t of m[2]!.matchAll(/tcp:\/\/([^:,]+):(\d+)/g)) {
      const host = t[1]!;
      const bind = host === '*' || host === '0.0.0.0';
      const port = Number(t[2]);
      // condure-style base: P, P+1, P+2
      const n = key === 'zclient-stream' ? 3 : 1;
      for (let k = 0; k < n; k++) out.push({ key: n === 3 ? `${key}+${k}` : key, host, port: port + k, bind });
    }
  }
  return out;
}

const services = readCompose();
const byName = new Map(services.map((s) => [s.name, s]));

test('compose: the four tiers from one image, each started by its own command', () => {
  assert.deepEqual(services.map((s) => s.name).sort(), ['connmgr', 'handler', 'proxy', 'zurl']);
  for (const s of services) {
    assert.equal(s.build, '.', `${s.name} builds the repo's Dockerfile`);
    assert.equal(s.image, 'pushpin-ts', `${s.name} uses the shared image`);
    assert.equal(s.command[0], 'node');
    assert.ok(fs.existsSync(path.join(repoRoot, s.command[1]!)), `${s.name}: ${s.command[1]} exists`);
  }
  assert.match(byName.get('connmgr')!.command[1]!, /connmgr/);
  assert.match(byName.get('zurl')!.command[1]!, /zurl/);
  assert.match(byName.get('proxy')!.command[1]!, /proxy/);
  assert.match(byName.get('handler')!.command[1]!, /handler/);
});

test('compose: every connect meets a bind of the matching socket; the proxy binds nothing (scalable)', () => {
  const binds = new Map(services.map((s) => [s.name, new Map(endpoints(s).filter((e) => e.bind).map((e) => [e.port, e.key]))]));
  for (const s of services) {
    for (const e of endpoints(s).filter((x) => !x.bind)) {
      assert.ok(byName.has(e.host), `${s.name} ${e.key} connects to unknown service ${e.host}`);
      assert.ok(binds.get(e.host)!.has(e.port), `${s.name} ${e.key} connects to ${e.host}:${e.port}, which ${e.host} does not bind`);
    }
  }
  const proxy = byName.get('proxy')!;
  assert.equal(endpoints(proxy).filter((e) => e.bind).length, 0, 'proxy binds no endpoint');
  assert.equal(proxy.ports.length, 0, 'proxy publishes no port');
  assert.ok(proxy.command.includes('--handler-connect'));
  assert.ok(byName.get('handler')!.command.includes('--proxy-bind'));
  assert.ok(proxy.command.some((a) => a.startsWith('--id=') && a.includes('{hostname}')), 'proxy ids differ per container');

  // the socket pairs of architecture.md §3: proxy key -> the peer's key at the same port
  const pairs: Array<[string, string, string]> = [
    ['condure_in_specs', 'connmgr', 'zclient-stream+0'],
    ['condure_in_stream_specs', 'connmgr', 'zclient-stream+1'],
    ['condure_out_specs', 'connmgr', 'zclient-stream+2'],
    ['zurl_out_specs', 'zurl', 'in-spec'],
    ['zurl_out_stream_specs', 'zurl', 'in-stream-spec'],
    ['zurl_in_specs', 'zurl', 'out-spec'],
    ['handler_accept_spec', 'handler', 'handler.proxy_accept_spec'],
    ['handler_inspect_spec', 'handler', 'handler.proxy_inspect_spec'],
    ['handler_retry_in_spec', 'handler', 'handler.proxy_retry_out_spec'],
    ['handler_ws_control_in_spec', 'handler', 'handler.proxy_ws_control_out_spec'],
    ['handler_ws_control_out_spec', 'handler', 'handler.proxy_ws_control_in_spec'],
    ['stats_spec', 'handler', 'handler.proxy_stats_spec'],
    ['command_spec', 'handler', 'handler.proxy_command_spec'],
    ['intreq_in_specs', 'handler', 'handler.proxy_intreq_out_specs'],
    ['intreq_in_stream_specs', 'handler', 'handler.proxy_intreq_out_stream_specs'],
    ['intreq_out_specs', 'handler', 'handler.proxy_intreq_in_specs'],
  ];
  const proxyEps = endpoints(proxy);
  for (const [key, peer, peerKey] of pairs) {
    const e = proxyEps.find((x) => x.key === `proxy.${key}`);
    assert.ok(e, `proxy sets ${key}`);
    assert.equal(e.host, peer, `${key} goes to ${peer}`);
    assert.equal(binds.get(peer)!.get(e.port), peerKey, `${key} (port ${e.port}) meets ${peer}'s ${peerKey}`);
  }
  // the handler reaches the connection manager's ROUTER and SUB
  const h = endpoints(byName.get('handler')!);
  assert.equal(binds.get('connmgr')!.get(h.find((x) => x.key === 'proxy.condure_in_stream_specs')!.port), 'zclient-stream+1');
  assert.equal(binds.get('connmgr')!.get(h.find((x) => x.key === 'proxy.condure_out_specs')!.port), 'zclient-stream+2');
  // published ports are served by the service that publishes them
  for (const s of services) {
    for (const p of s.ports) {
      const container = Number(p.split(':').at(-1));
      const served = endpoints(s).some((e) => e.bind && e.port === container) || s.command.some((a) => a.includes(`:${container},`) || a.endsWith(`_port=${container}`));
      assert.ok(served, `${s.name} publishes ${container} but does not listen on it`);
    }
  }
});

// ---- running the compose commands as local processes ----------------------------------------

const procs: ChildProcess[] = [];
let dir: string;
let offset = 0;

function portsUsed(): number[] {
  const set = new Set<number>();
  for (const s of services) {
    for (const e of endpoints(s)) set.add(e.port);
    for (const a of s.command) for (const m of a.matchAll(/(?::|_port=)(\d{4,5})\b/g)) set.add(Number(m[1]));
  }
  return [...set];
}

/** The container command with service names → 127.0.0.1, ports shifted, rundir private. */
function localArgs(s: Svc): string[] {
  return s.command.slice(1).map((a) => a
    .replace(/tcp:\/\/([^:,]+):(\d+)/g, (_m, _h: string, p: string) => `tcp://127.0.0.1:${Number(p) + offset}`)
    .replace(/^--listen=0\.0\.0\.0:(\d+)/, (_m, p: string) => `--listen=127.0.0.1:${Number(p) + offset}`)
    .replace(/_port=(\d+)$/, (_m, p: string) => `_port=${Number(p) + offset}`)
    .replace(/_addr=0\.0\.0\.0$/, '_addr=127.0.0.1')
    .replace(/^--set=global\.rundir=.*$/, `--set=global.rundir=${dir}`));
}

function start(s: Svc, tag: string): void {
  const out = fs.openSync(path.join(dir, `${tag}.log`), 'a');
  const env = { ...process.env };
  delete env['PUSHPIN_RUNNER_PID'];
  const p = spawn(process.execPath, localArgs(s), { cwd: repoRoot, stdio: ['ignore', out, out], env, detached: true });
  procs.push(p);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-compose-'));
  offset = await freeOffsetFor(portsUsed());
  for (const name of ['connmgr', 'zurl', 'handler']) start(byName.get(name)!, name);
  // `docker compose up --scale proxy=2`
  start(byName.get('proxy')!, 'proxy-1');
  start(byName.get('proxy')!, 'proxy-2');
});

after(async () => {
  await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) { resolve(); return; }
    p.once('exit', () => resolve());
    try { process.kill(p.pid!, 'SIGTERM'); } catch { resolve(); }
    setTimeout(() => { try { process.kill(p.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000).unref();
  })));
});

function logs(): string {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8').slice(-1500)}`).join('\n');
}

test('compose commands as local processes: requests through two proxies, a hold and a publish', async () => {
  const http = 7999 + offset;
  const publishPort = 5561 + offset;
  await waitPort(http, 20000);
  await waitPort(publishPort, 20000);
  const deadline = Date.now() + 20000;
  let res = await request(http, { path: '/', timeout: 3000 }).catch(() => undefined);
  while (res?.status !== 200 && Date.now() < deadline) {
    await sleep(300);
    res = await request(http, { path: '/', timeout: 3000 }).catch(() => undefined);
  }
  assert.equal(res?.status, 200, logs());
  // PUSH spreads new requests over the proxies that are connected: soon both serve
  const servedBy = () => ['proxy-1', 'proxy-2'].map((t) => (fs.readFileSync(path.join(dir, `${t}.log`), 'utf8').match(/request done/g) ?? []).length);
  for (let i = 0; i < 60 && !servedBy().every((n) => n > 0); i++) {
    assert.equal((await request(http, { path: `/?n=${i}` })).status, 200);
    if (i >= 10) await sleep(100);
  }
  assert.ok(servedBy().every((n) => n > 0), `both proxies served requests (${servedBy().join(', ')})\n${logs()}`);

  // a GRIP hold through a proxy reaches the handler over tcp; a publish on 5561 reaches it
  const s = await openStream(http, '/stream?channel=compose');
  try {
    await s.waitFor('[stream opened]\n');
    await sleep(300);
    const body = JSON.stringify({ items: [{ channel: 'compose', formats: { 'http-stream': { content: 'over tcp\n' } } }] });
    const pub = await request(publishPort, { method: 'POST', path: '/publish/', body, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } });
    assert.equal(pub.status, 200, pub.text);
    await s.waitFor('over tcp\n');
  } finally {
    s.close();
  }
});
