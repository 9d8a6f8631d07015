#!/usr/bin/env node
// pushpin-ts end-to-end benchmark (`pnpm bench`). For each scenario and each system (ours,
// and the real Pushpin when /usr/bin/pushpin exists) it starts a fresh instance on a generated
// pushpin.conf with its own origin, runs the load from this process, prints one JSON line, and
// stops everything by PID. Ends with a summary line of ours/pushpin ratios.
// See docs/benchmarks.md. Usage: node scripts/bench.mjs --help
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { USAGE, capacityProblem, parseArgs, scenarioOptions, streamsOf } from './bench/args.mjs';
import { fdLimit, killAllNow, registry, round, stopProcess } from './bench/procs.mjs';
import { SCENARIOS } from './bench/scenarios.mjs';
import { PUSHPIN_BIN, pushpinAvailable, removeTempDirs, repoRoot, startSut } from './bench/sut.mjs';

let parsed;
try {
  parsed = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`bench: ${e.message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const { scenarios, flags } = parsed;

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---- teardown on every way out: signals, global timeout, crashes, normal exit
let stopping = false;
async function shutdown(code, why) {
  if (stopping) {
    killAllNow();
    process.exit(code);
  }
  stopping = true;
  log(`${why}: stopping ${registry.size} process tree(s)`);
  const hard = setTimeout(() => { killAllNow(); process.exit(code); }, 10000);
  await Promise.all([...registry].map((t) => stopProcess(t).catch(() => t.killNow())));
  clearTimeout(hard);
  removeTempDirs();
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void shutdown(130, sig));
process.on('exit', () => {
  killAllNow();
  removeTempDirs();
});
process.on('uncaughtException', (e) => { log(`uncaught: ${e.stack ?? e}`); void shutdown(1, 'crash'); });
process.on('unhandledRejection', (e) => { log(`unhandled rejection: ${e?.stack ?? e}`); void shutdown(1, 'crash'); });
const globalTimer = setTimeout(() => void shutdown(3, `global timeout (${flags.timeout ?? 900} s)`), (flags.timeout ?? 900) * 1000);

// ---- which systems
let systems = ['ours', 'pushpin'];
if (flags.only) systems = [flags.only];
if (systems.includes('pushpin') && !pushpinAvailable()) {
  if (flags.only === 'pushpin') {
    log(`${PUSHPIN_BIN} not found`);
    process.exit(2);
  }
  log(`${PUSHPIN_BIN} not found: measuring ours only`);
  systems = ['ours'];
}

// ---- can this machine's client side hold the streams? (ports per source address, open files)
function ephemeralPorts() {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/).map(Number);
    return { lo, hi };
  } catch {
    return undefined;
  }
}
const ephemeral = ephemeralPorts();
const limits = { portRange: ephemeral ? ephemeral.hi - ephemeral.lo + 1 : undefined, fdLimit: fdLimit(process.pid)?.soft };
for (const scenario of scenarios) {
  const problem = capacityProblem(scenario, scenarioOptions(scenario, flags), limits);
  if (problem) {
    process.stderr.write(`bench: ${problem}\n`);
    process.exit(2);
  }
}
/** Resolves if `addr` can be a source address here (bind to addr:0), else rejects with a message. */
function checkBindable(addr) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e) => reject(new Error(`--source-addrs: cannot use ${addr} as a source address here (${e.code ?? e.message}); use addresses of this host, e.g. 127.0.0.2-127.0.0.6 (all of 127/8 is loopback)`)));
    s.listen(0, addr, () => s.close(() => resolve()));
  });
}
for (const addr of flags.sourceAddrs ?? []) {
  try {
    await checkBindable(addr);
  } catch (e) {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exit(2);
  }
}
if (flags.sourceAddrs) log(`streams connect from ${flags.sourceAddrs.length} source address(es): ${flags.sourceAddrs[0]} … ${flags.sourceAddrs.at(-1)}`);

const jsonOut = flags.json ? fs.openSync(flags.json, 'a') : undefined;
function emit(obj) {
  const line = JSON.stringify(obj);
  process.stdout.write(`${line}\n`);
  if (jsonOut !== undefined) fs.writeSync(jsonOut, `${line}\n`);
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return null;
  }
}
const host = {
  node: process.version, cpus: os.cpus().length, loadavg: os.loadavg().map((x) => round(x, 2)),
  commit: safe(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()),
  pushpin: systems.includes('pushpin') ? safe(() => execFileSync(PUSHPIN_BIN, ['--version'], { encoding: 'utf8' }).trim()) : null,
  ...(flags.oursArgs ? { ours_args: flags.oursArgs.join(' ') } : {}),
};

// ---- run
const results = {}; // scenario -> system -> result
for (const scenario of scenarios) {
  const opts = scenarioOptions(scenario, flags);
  if (opts.sourceAddrs && ephemeral) {
    // with --source-addrs the bench picks the source ports: connection i uses address
    // i % A and port base + floor(i / A), the same block of ports at the top of the ephemeral
    // range on every address (ports bound this way are closed to other processes' connect()
    // while held, so more addresses leave more of the range to everyone else)
    opts.sourcePortBase = ephemeral.hi - Math.ceil(streamsOf(scenario, opts) / opts.sourceAddrs.length) + 1;
  }
  for (const system of systems) {
    if (stopping) break;
    log(`${scenario} / ${system} ${JSON.stringify(opts)}`);
    let sut;
    const started = Date.now();
    try {
      sut = await startSut(system, {
        logLevel: flags['log-level'] ?? 2, set: flags.set, keep: flags.keep,
        ...(system === 'ours' && flags.oursArgs ? { extraArgs: flags.oursArgs } : {}),
        ...(flags['cpu-prof'] ? { cpuProf: path.resolve(flags['cpu-prof']), label: scenario } : {}),
      });
      const result = await SCENARIOS[scenario](sut, opts);
      (results[scenario] ??= {})[system] = result;
      emit({ scenario, system, params: opts, host: { ...host, loadavg: os.loadavg().map((x) => round(x, 2)) }, elapsed_s: round((Date.now() - started) / 1000, 1), ...(flags.keep ? { dir: sut.dir } : {}), result });
    } catch (e) {
      log(`${scenario} / ${system} failed: ${e.message}`);
      emit({ scenario, system, params: opts, error: e.message.slice(0, 4000) });
    } finally {
      if (sut) {
        const left = await sut.stop();
        if (left.length > 0) log(`had to SIGKILL: ${left.join(', ')}`);
      }
    }
  }
}

// ---- summary: ours / pushpin
const pick = {
  rss_per_conn: (r) => r.held?.rss_per_conn_bytes,
  accept_rate: (r) => r.held?.accept?.rate_per_s,
  fanout_deliveries_per_s: (r) => r.fanout?.max?.deliveries_per_s,
  fanout_p99_fixed_ms: (r) => r.fanout?.fixed?.latency_ms?.p99,
  channels_deliveries_per_s: (r) => r.channels?.deliveries_per_s,
  passthrough_rps: (r) => r.passthrough?.proxy?.rps,
  publish_rps: (r) => r['publish-rate']?.publishes_per_s,
};
const bySystem = (sys) => Object.fromEntries(Object.entries(results).map(([s, r]) => [s, r[sys]]));
const summary = {};
for (const [key, get] of Object.entries(pick)) {
  const ours = get(bySystem('ours')) ?? null;
  const pushpin = get(bySystem('pushpin')) ?? null;
  if (ours === null && pushpin === null) continue;
  summary[key] = { ours, pushpin, ratio: ours !== null && pushpin ? round(ours / pushpin, 3) : null };
}
// delivery health: any loss, duplicate or reordering is a correctness problem, not a speed one
const health = {};
for (const sys of systems) {
  const r = bySystem(sys);
  const phases = [r.fanout?.fixed, r.fanout?.max, r.channels, r['publish-rate']?.deliveries].filter(Boolean);
  health[sys] = {
    lost: phases.reduce((a, p) => a + p.lost, 0),
    duplicated: phases.reduce((a, p) => a + p.duplicated, 0),
    out_of_order: phases.reduce((a, p) => a + p.out_of_order, 0),
    connect_errors: [r.held?.accept, r.fanout?.subscribers, r.channels?.connections, r['publish-rate']?.subscribers]
      .reduce((a, x) => a + (x?.errors ?? 0), 0),
    request_errors: [r.fanout?.fixed, r.fanout?.max, r.channels, r['publish-rate']].reduce((a, x) => a + (x?.publish_errors ?? 0), 0)
      + (r.passthrough?.proxy ? r.passthrough.proxy.errors + r.passthrough.proxy.non_200 : 0),
  };
}
for (const [key, v] of Object.entries(summary)) log(`${key.padEnd(26)} ours ${String(v.ours).padStart(10)}  pushpin ${String(v.pushpin).padStart(10)}  ratio ${v.ratio}`);
emit({ summary, health, note: 'ratio = ours / pushpin (higher is better except rss_per_conn and fanout_p99_fixed_ms)' });

clearTimeout(globalTimer);
if (jsonOut !== undefined) fs.closeSync(jsonOut);
process.exit(0);
