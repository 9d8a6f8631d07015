// Processes the benchmark starts: spawning (own process group), following their whole tree
// through /proc, RSS and CPU readings, and stopping everything by PID. Every process ever
// seen in a tracked tree is remembered with its start time, so a PID that the kernel reused
// for someone else's process is never signalled.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';

const CLK_TCK = 100;
const PAGE = 4096;

/** Fields of /proc/<pid>/stat we use, or undefined if the process is gone. */
export function readStat(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  return {
    pid, comm, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]), starttime: f[19], rssBytes: Number(f[21]) * PAGE,
  };
}

/** All live processes as stat records (one /proc scan). */
function scanAll() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readStat(Number(name));
    if (st) out.push(st);
  }
  return out;
}

/** The process `rootPid` and all its live descendants (detached ones included: they keep their ppid). */
export function processTree(rootPid) {
  const all = scanAll();
  const children = new Map();
  for (const p of all) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const root = all.find((p) => p.pid === rootPid);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i].pid) ?? []));
  return out;
}

/** Name of a process for reports: the basename of argv[1] for node/sh scripts, else comm. */
function displayName(st) {
  let argv = [];
  try {
    argv = fs.readFileSync(`/proc/${st.pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
  } catch {
    // gone
  }
  if ((st.comm === 'node' || st.comm === 'sh') && argv.length > 1) {
    const script = argv.find((a, i) => i > 0 && !a.startsWith('-')) ?? argv[1];
    const base = script.split('/').pop().replace(/\.(m?js)$/, '');
    return base === 'main' ? script.split('/').slice(-4, -3)[0] ?? base : base;
  }
  return st.comm;
}

/**
 * One started process and everything below it.
 * `tree()` refreshes the member list (remembering every member ever seen);
 * `stop()` sends SIGTERM to the root, waits, then SIGKILLs every survivor by PID
 * (and its process group if it leads one).
 */
export class Tracked {
  constructor(label, child) {
    this.label = label;
    this.child = child;
    this.pid = child.pid;
    /** pid -> { starttime, name } of every process seen in this tree */
    this.known = new Map();
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exitedNow = false;
    this.exited.then(() => { this.exitedNow = true; });
    this.tree();
  }

  /** Live members of the tree now: [{pid, name, rssBytes, cpuTicks, ...}]. */
  tree() {
    const members = processTree(this.pid);
    for (const m of members) {
      const k = this.known.get(m.pid);
      if (!k || k.starttime !== m.starttime) this.known.set(m.pid, { starttime: m.starttime, pgrp: m.pgrp, name: displayName(m) });
      m.name = this.known.get(m.pid).name;
    }
    return members;
  }

  /** Known members still alive (same PID and same start time as when we saw them). */
  alive() {
    const out = [];
    for (const [pid, k] of this.known) {
      const st = readStat(pid);
      if (st && st.starttime === k.starttime && st.state !== 'Z') out.push({ pid, ...k });
    }
    return out;
  }

  /** Synchronous SIGKILL of every known live member (and the groups they lead). */
  killNow() {
    for (const p of this.alive()) {
      if (p.pgrp === p.pid) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  /** SIGTERM the root, wait up to graceMs for the whole tree to go, then SIGKILL what is left. */
  async stop(graceMs = 6000) {
    this.tree();
    if (!this.exitedNow) try { process.kill(this.pid, 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.alive().length > 0) await sleep(100);
    const left = this.alive();
    if (left.length > 0) this.killNow();
    const killDeadline = Date.now() + 2000;
    while (Date.now() < killDeadline && this.alive().length > 0) await sleep(50);
    return left.map((p) => `${p.name}:${p.pid}`);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every Tracked still to be stopped; used by the exit/signal handlers. */
export const registry = new Set();

/**
 * Starts `command args` detached (own process group, so a terminal Ctrl-C reaches only the
 * benchmark), output appended to `logFile`, stdin a pipe (EOF when we die).
 */
export function startProcess(label, command, args, { cwd, logFile, env }) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, detached: true, stdio: ['pipe', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  child.stdin.on('error', () => {});
  child.on('error', () => {});
  if (child.pid === undefined) throw new Error(`${label}: could not start ${command}`);
  const t = new Tracked(label, child);
  registry.add(t);
  return t;
}

/**
 * Forks a node script with an IPC channel (structured-clone messages), in the bench's process
 * group, stderr shared with the bench's. Tracked like any other process (stopped by PID).
 */
export function forkProcess(label, script, args = []) {
  const child = fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
  child.on('error', () => {});
  if (child.pid === undefined) throw new Error(`${label}: could not start ${script}`);
  const t = new Tracked(label, child);
  registry.add(t);
  return t;
}

/** Stops a tracked process tree and forgets it. */
export async function stopProcess(t) {
  const left = await t.stop();
  registry.delete(t);
  return left;
}

/** Synchronous last resort for exit paths. */
export function killAllNow() {
  for (const t of registry) t.killNow();
  registry.clear();
}

/**
 * CPU seconds per process of the given trees between `start()` and `stop()`, plus the
 * benchmark's own process (`loadgen`). Samples every 500 ms so short-lived restarts count too.
 */
export class CpuMeter {
  constructor(groups) {
    this.groups = groups; // { sut: Tracked, origin: Tracked, loadgen?: Tracked[] (load-generator children) }
    this.first = new Map();
    this.last = new Map();
    this.peakRss = 0;
    this.timer = undefined;
  }

  #sample() {
    let rss = 0;
    for (const [group, v] of Object.entries(this.groups)) {
      for (const t of [v].flat()) {
        if (!t) continue;
        for (const m of t.tree()) {
          const key = `${group}/${m.name}:${m.pid}`;
          if (!this.first.has(key)) this.first.set(key, m.cpuTicks);
          this.last.set(key, m.cpuTicks);
          if (group === 'sut') rss += m.rssBytes;
        }
      }
    }
    this.peakRss = Math.max(this.peakRss, rss);
  }

  start() {
    this.t0 = performance.now();
    this.cpu0 = process.cpuUsage();
    this.mach0 = machineTicks();
    this.#sample();
    this.timer = setInterval(() => this.#sample(), 500);
    return this;
  }

  stop() {
    clearInterval(this.timer);
    this.#sample();
    const wall = (performance.now() - this.t0) / 1000;
    const processes = {};
    const groupCpu = {};
    for (const [key, last] of this.last) {
      const cpuS = (last - this.first.get(key)) / CLK_TCK;
      const [group, name] = key.split('/');
      processes[name] = { cpu_s: round(cpuS, 2), avg_pct: round((100 * cpuS) / wall, 1) };
      groupCpu[group] = round((groupCpu[group] ?? 0) + cpuS, 2);
    }
    const own = process.cpuUsage(this.cpu0);
    const ownS = (own.user + own.system) / 1e6;
    processes[`loadgen:${process.pid}`] = { cpu_s: round(ownS, 2), avg_pct: round((100 * ownS) / wall, 1) };
    // the bench process itself plus its load-generator children, if any
    groupCpu.loadgen = round((groupCpu.loadgen ?? 0) + ownS, 2);
    const m1 = machineTicks();
    const busyPct = m1 && this.mach0 ? (100 * (m1.busy - this.mach0.busy)) / Math.max(1, m1.total - this.mach0.total) : null;
    return { wall_s: round(wall, 2), group_cpu_s: groupCpu, processes, machine_busy_pct: busyPct === null ? null : round(busyPct, 1), sut_peak_rss_bytes: this.peakRss };
  }
}

function machineTicks() {
  try {
    const line = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { total, busy: total - v[3] - (v[4] ?? 0) };
  } catch {
    return undefined;
  }
}

/** RSS of the tree's live members: { total, by_process: { name:pid: bytes } }. */
export function treeRss(t) {
  const by = {};
  let total = 0;
  for (const m of t.tree()) {
    by[`${m.name}:${m.pid}`] = m.rssBytes;
    total += m.rssBytes;
  }
  return { total, by_process: by };
}

/** Number of open file descriptors of a process (null if unreadable). */
export function fdCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * TCP sockets whose local port is `port` in TCP state `state` (hex as in /proc/net/tcp:
 * '01' established, '0A' listening), from /proc/net/tcp and tcp6. For the client port, the
 * established ones are the server side of the clients' connections: a count the system under
 * test cannot misreport.
 */
export function socketsOnPort(port, state = '01') {
  let n = 0;
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(f, 'latin1');
    } catch {
      continue;
    }
    // "  sl  local_address rem_address   st ..."
    let at = text.indexOf('\n') + 1;
    while (at > 0 && at < text.length) {
      const end = text.indexOf('\n', at);
      const line = text.slice(at, end < 0 ? text.length : end);
      const c = line.trim().split(/\s+/);
      if (c[3] === state && `${c[1]} `.endsWith(hex)) n++;
      at = end < 0 ? -1 : end + 1;
    }
  }
  return n;
}

/** Soft/hard open-file limits of a process, from /proc/<pid>/limits. */
export function fdLimit(pid) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/limits`, 'latin1').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
    return { soft: Number(soft), hard: Number(hard) };
  } catch {
    return undefined;
  }
}

export function round(x, digits = 0) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
