// The scenarios. Each takes a started SUT and the options, and resolves with a result object.
// Every load loop is bounded both in count and in time.
import { fileURLToPath } from 'node:url';
import { HttpConn, publishBody } from './clients.mjs';
import { openStreams } from './open-streams.mjs';
import { CpuMeter, fdCount, fdLimit, forkProcess, round, sleep, socketsOnPort, stopProcess, treeRss } from './procs.mjs';
import { DeliveryTracker, Samples, parseMessage } from './stats.mjs';

const now = () => performance.now();

/** Total body lines and HTTP chunks received by the connections so far. */
function wireCounts(conns) {
  let lines = 0;
  let chunks = 0;
  for (const c of conns) {
    if (!c) continue;
    lines += c.lines;
    chunks += c.chunks;
  }
  return { lines, chunks };
}

/** Messages per HTTP chunk between two wireCounts() readings (> 1: the SUT batches writes). */
function perChunk(a, b) {
  const chunks = b.chunks - a.chunks;
  return chunks > 0 ? round((b.lines - a.lines) / chunks, 2) : null;
}

function closeAll(conns) {
  for (const c of conns) c?.close();
}

/** A pool of keep-alive publishing connections to the HTTP publish API. */
function publishers(sut, count) {
  return Array.from({ length: count }, () => new HttpConn(sut.ports.publish, { timeoutMs: 15000 }));
}

async function publish(conn, items) {
  const r = await conn.request('POST', '/publish/', publishBody(items));
  if (r.status < 200 || r.status >= 300) throw new Error(`publish -> ${r.status} ${r.body.slice(0, 100)}`);
}

/**
 * Publishes a warm-up line "w" to the channel of every connection that has not yet seen one,
 * until all have (subscriptions can register after the initial body), at most `budgetMs`.
 */
async function warmUp(sut, conns, channelOf, budgetMs = 20000) {
  const pub = new HttpConn(sut.ports.publish, { timeoutMs: 10000 });
  const deadline = now() + budgetMs;
  let rounds = 0;
  try {
    for (; rounds < 100 && now() < deadline; rounds++) {
      const cold = conns.filter((c) => c && !c.closed && !c.warm);
      if (cold.length === 0) break;
      const channels = [...new Set(cold.map((c) => channelOf(c.index)))];
      for (let i = 0; i < channels.length && now() < deadline; i += 100) {
        await publish(pub, channels.slice(i, i + 100).map((ch) => [ch, 'w\n']));
      }
      const waitUntil = Math.min(deadline, now() + 500 + channels.length / 10);
      while (now() < waitUntil && conns.some((c) => c && !c.closed && !c.warm)) await sleep(20);
    }
  } finally {
    pub.close();
  }
  const live = conns.filter((c) => c && !c.closed);
  return { subscribed: live.filter((c) => c.warm).length, of: live.length, rounds };
}

/** A line handler that marks warm-up lines and routes messages to the phase trackers. */
function lineRouter() {
  const router = {
    trackers: [],
    stray: 0,
    onLine(line, conn) {
      if (line === 'w') {
        conn.warm = true;
        return;
      }
      if (line === 'ok') return; // the origin's initial body
      const m = parseMessage(line);
      const t = m && router.trackers.find((x) => x.owns(m.seq));
      if (t) t.receive(conn.index, m.seq, m.pub, m.sentAt, now());
      else router.stray++;
    },
  };
  return router;
}

// ---------------------------------------------------------------------------------- held

/** openStreams options from a scenario's options (concurrency, budgets, source addresses). */
function streamOptions(o) {
  return {
    concurrency: o.concurrency, budgetMs: o.phaseBudgetMs, stallMs: o.stallMs,
    ...(o.sourceAddrs ? { localAddressOf: (i) => o.sourceAddrs[i % o.sourceAddrs.length] } : {}),
    ...(o.sourceAddrs && o.sourcePortBase ? { localPortOf: (i) => o.sourcePortBase + Math.floor(i / o.sourceAddrs.length) } : {}),
  };
}

/** A forked load-generator child (held-client.mjs) with request/answer calls over IPC. */
class ClientProc {
  constructor(k) {
    this.k = k;
    this.proc = forkProcess(`loadgen-${k}`, fileURLToPath(new URL('./held-client.mjs', import.meta.url)));
    this.pending = new Map();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`load-generator child ${k} not ready after 10 s`)), 10000);
      this.proc.child.on('message', (m) => {
        if (m.ready) {
          clearTimeout(t);
          resolve();
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(`load-generator child ${k}: ${m.error}`));
        else p.resolve(m);
      });
      this.proc.exited.then(({ code, signal }) => {
        clearTimeout(t);
        const err = new Error(`load-generator child ${k} exited (${signal ?? code})`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
  }

  call(msg) {
    if (this.proc.exitedNow) return Promise.reject(new Error(`load-generator child ${this.k} is gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.child.send({ ...msg, id });
    });
  }

  async stop() {
    await this.call({ cmd: 'close' }).catch(() => {});
    await stopProcess(this.proc);
  }
}

/** Opens the held streams from the children; merges their reports into one accept report. */
async function openInChildren(clients, sut, o) {
  const procs = clients.length;
  const results = await Promise.all(clients.map((c) => c.call({
    cmd: 'open', port: sut.ports.http, n: o.n, procs, proc: c.k, addrs: o.sourceAddrs ?? [], portBase: o.sourcePortBase ?? 0,
    concurrency: Math.ceil(o.concurrency / procs), budgetMs: o.phaseBudgetMs, stallMs: o.stallMs,
  })));
  const setup = new Samples();
  for (const r of results) for (const x of r.setup) setup.add(x);
  const sum = (f) => results.reduce((a, r) => a + r.report[f], 0);
  const startEpoch = Math.min(...results.map((r) => r.startEpoch));
  const endEpoch = Math.max(...results.map((r) => r.endEpoch));
  const lastOpen = Math.max(...results.map((r) => r.lastOpenEpoch ?? -Infinity));
  const opened = sum('opened');
  const stopped = [...new Set(results.map((r) => r.report.stopped).filter(Boolean))];
  const errorSample = results.map((r) => r.report.error_sample).find(Boolean);
  return {
    opened, startEpoch, lastOpenEpoch: Number.isFinite(lastOpen) ? lastOpen : null,
    report: {
      requested: o.n, opened, errors: sum('errors'), attempt_errors: sum('attempt_errors'), not_tried: sum('not_tried'),
      ...(o.sourcePortBase ? { port_fallbacks: sum('port_fallbacks') } : {}),
      ...(errorSample ? { error_sample: errorSample } : {}),
      ...(stopped.length ? { stopped: stopped.join(',') } : {}),
      elapsed_ms: round(endEpoch - startEpoch, 1), rate_per_s: round((1000 * opened) / (endEpoch - startEpoch)),
      setup_latency_ms: setup.summary(),
      by_client_proc: results.map((r) => ({ opened: r.report.opened, errors: r.report.errors, ...(r.report.stopped ? { stopped: r.report.stopped } : {}) })),
    },
  };
}

/** Sums per-process figures over processes of the same name (`pushpin-connmgr:12` + `…:13`). */
function byService(byProcess) {
  const out = {};
  for (const [k, v] of Object.entries(byProcess)) {
    if (v === null) continue;
    const name = k.slice(0, k.lastIndexOf(':'));
    out[name] = (out[name] ?? 0) + v;
  }
  return out;
}

export async function held(sut, o) {
  // --client-procs: the streams are opened and held by child processes (a process holds at
  // most its open-file limit of sockets); they are forked before the idle reading
  const clients = o.clientProcs ? Array.from({ length: o.clientProcs }, (_, k) => new ClientProc(k)) : null;
  let conns = [];
  try {
    if (clients) await Promise.all(clients.map((c) => c.ready));
    await sleep(500);
    const idle = treeRss(sut.proc);
    const cpu = new CpuMeter({ sut: sut.proc, origin: sut.origin, ...(clients ? { loadgen: clients.map((c) => c.proc) } : {}) }).start();
    let opened;
    let report;
    let startEpoch;
    let lastOpenEpoch;
    if (clients) ({ opened, report, startEpoch, lastOpenEpoch } = await openInChildren(clients, sut, o));
    else ({ conns, opened, report, startEpoch, lastOpenEpoch } = await openStreams(sut.ports.http, o.n, (i) => `/stream/h${i}`, () => {}, streamOptions(o)));
    // the accept rate up to the last stream that opened (elapsed_ms also counts a stall at the end)
    report.rate_to_last_open_per_s = lastOpenEpoch ? round((1000 * opened) / (lastOpenEpoch - startEpoch)) : null;
    const cpuAccept = cpu.stop();
    await sleep(o.settle);
    const loaded = treeRss(sut.proc);
    const sutEstablished = socketsOnPort(sut.ports.http, '01');
    const sutFds = Object.fromEntries(sut.proc.tree().map((m) => [`${m.name}:${m.pid}`, fdCount(m.pid)]));
    const stillOpen = clients
      ? (await Promise.all(clients.map((c) => c.call({ cmd: 'count' })))).reduce((a, r) => a + r.open, 0)
      : conns.filter((c) => c && !c.closed).length;
    const byProcess = {};
    for (const [k, v] of Object.entries(loaded.by_process)) {
      byProcess[k] = opened > 0 ? round((v - (idle.by_process[k] ?? 0)) / opened) : null;
    }
    return {
      accept: report,
      still_open_after_settle: stillOpen,
      sut_established_after_settle: sutEstablished,
      idle_rss_bytes: idle.total,
      loaded_rss_bytes: loaded.total,
      rss_per_conn_bytes: opened > 0 ? round((loaded.total - idle.total) / opened) : null,
      rss_per_conn_by_process: byProcess,
      rss_per_conn_by_service: byService(byProcess),
      loaded_rss_by_process: loaded.by_process,
      sut_fds_after_settle: sutFds,
      sut_fd_limits: Object.fromEntries(sut.proc.tree().map((m) => [`${m.name}:${m.pid}`, fdLimit(m.pid)?.soft ?? null])),
      listen_sockets: sut.listeners ?? null,
      load_generator: { client_procs: clients?.length ?? 0, source_addrs: o.sourceAddrs?.length ?? 0 },
      cpu_accept: cpuAccept,
    };
  } finally {
    closeAll(conns);
    if (clients) await Promise.all(clients.map((c) => c.stop()));
  }
}

// ---------------------------------------------------------------------------------- fanout

/** Sends `msgs` messages on `channel` at `rate`/s (open loop over a pool of connections). */
async function sendFixedRate(pubs, tracker, channel, msgs, rate, budgetMs) {
  const free = pubs.map((_, i) => i);
  const waiters = [];
  const reqLatency = new Samples();
  let maxLag = 0;
  let errors = 0;
  let errorSample;
  const inflight = [];
  const t0 = now();
  const deadline = t0 + budgetMs;
  for (let i = 0; i < msgs && now() < deadline; i++) {
    const target = t0 + (1000 * i) / rate;
    const wait = target - now();
    if (wait > 1) await sleep(wait);
    while (free.length === 0 && now() < deadline) await new Promise((r) => waiters.push(r));
    if (free.length === 0) break;
    const p = free.pop();
    maxLag = Math.max(maxLag, now() - target);
    const seq = tracker.base + i;
    const sentAt = now();
    tracker.noteSend(sentAt);
    inflight.push(publish(pubs[p], [[channel, `m ${seq} ${p} ${sentAt.toFixed(3)}\n`]]).then(
      () => reqLatency.add(now() - sentAt),
      (e) => { errors++; errorSample ??= e.message; },
    ).finally(() => {
      free.push(p);
      waiters.shift()?.();
    }));
  }
  await Promise.all(inflight);
  return { publish_errors: errors, ...(errorSample ? { publish_error_sample: errorSample } : {}), publish_request_ms: reqLatency.summary(), max_schedule_lag_ms: round(maxLag, 1) };
}

/** Sends `msgs` messages as fast as the API accepts them: each connection closed-loop. */
async function sendMaxRate(pubs, tracker, channel, msgs, budgetMs) {
  const reqLatency = new Samples();
  let next = 0;
  let errors = 0;
  let errorSample;
  const deadline = now() + budgetMs;
  await Promise.all(pubs.map(async (conn, p) => {
    while (next < msgs && now() < deadline) {
      const seq = tracker.base + next++;
      const sentAt = now();
      tracker.noteSend(sentAt);
      try {
        await publish(conn, [[channel, `m ${seq} ${p} ${sentAt.toFixed(3)}\n`]]);
        reqLatency.add(now() - sentAt);
      } catch (e) {
        errors++;
        errorSample ??= e.message;
      }
    }
  }));
  return { publish_errors: errors, ...(errorSample ? { publish_error_sample: errorSample } : {}), publish_request_ms: reqLatency.summary() };
}

export async function fanout(sut, o) {
  const router = lineRouter();
  const { conns, report } = await openStreams(sut.ports.http, o.n, () => '/stream/fan', router.onLine, streamOptions(o));
  const warm = await warmUp(sut, conns, () => 'fan');
  const live = conns.filter((c) => c && !c.closed).length;
  const pubs = publishers(sut, o.pubConns);
  const result = { subscribers: report, warm };
  try {
    const phases = [['fixed', o.rate], ['max', 0]];
    let base = 0;
    for (const [name, rate] of phases) {
      const tracker = new DeliveryTracker({ base, msgs: o.msgs, conns: o.n, publishers: pubs.length, expectedPerConn: o.msgs });
      tracker.expectedTotal = o.msgs * live;
      router.trackers = [tracker];
      const cpu = new CpuMeter({ sut: sut.proc, origin: sut.origin }).start();
      const wire0 = wireCounts(conns);
      const pubInfo = rate > 0
        ? await sendFixedRate(pubs, tracker, 'fan', o.msgs, rate, o.phaseBudgetMs)
        : await sendMaxRate(pubs, tracker, 'fan', o.msgs, o.phaseBudgetMs);
      const complete = await tracker.settle(5000, o.maxWait * 1000);
      result[name] = { rate_per_s: rate, ...tracker.result(complete), messages_per_chunk: perChunk(wire0, wireCounts(conns)), ...pubInfo, cpu: cpu.stop() };
      base += o.msgs;
    }
  } finally {
    pubs.forEach((p) => p.close());
    closeAll(conns);
  }
  result.stray = router.stray;
  return result;
}

// ---------------------------------------------------------------------------------- channels

export async function channels(sut, o) {
  const router = lineRouter();
  const chan = (i) => `c${i}`;
  const { conns, report } = await openStreams(sut.ports.http, o.n, (i) => `/stream/${chan(i)}`, router.onLine, streamOptions(o));
  const warm = await warmUp(sut, conns, chan);
  const live = conns.filter((c) => c && !c.closed).length;
  const pubs = publishers(sut, o.pubConns);
  const rounds = o.rounds;
  // message seq = round; channel i always goes through publisher floor(i / batch) % P, so each
  // channel's messages come from one connection with one request in flight (order defined)
  const tracker = new DeliveryTracker({ base: 0, msgs: rounds, conns: o.n, publishers: pubs.length, expectedPerConn: rounds });
  tracker.expectedTotal = rounds * live;
  router.trackers = [tracker];
  const batches = Math.ceil(o.n / o.batch);
  const reqLatency = new Samples();
  let errors = 0;
  let errorSample;
  const cpu = new CpuMeter({ sut: sut.proc, origin: sut.origin }).start();
  const wire0 = wireCounts(conns);
  const deadline = now() + o.phaseBudgetMs;
  try {
    await Promise.all(pubs.map(async (conn, p) => {
      for (let r = 0; r < rounds; r++) {
        for (let b = p; b < batches; b += pubs.length) {
          if (now() > deadline) return;
          const sentAt = now();
          const line = ` ${p} ${sentAt.toFixed(3)}\n`;
          const items = [];
          for (let i = b * o.batch; i < Math.min(o.n, (b + 1) * o.batch); i++) {
            if (conns[i]) items.push([chan(i), `m ${r}${line}`]);
          }
          if (items.length === 0) continue;
          for (let k = 0; k < items.length; k++) tracker.noteSend(sentAt);
          try {
            await publish(conn, items);
            reqLatency.add(now() - sentAt);
          } catch (e) {
            errors++;
            errorSample ??= e.message;
          }
        }
      }
    }));
    const complete = await tracker.settle(5000, o.maxWait * 1000);
    return {
      connections: report, warm, rounds, batch: o.batch, ...tracker.result(complete),
      messages_per_chunk: perChunk(wire0, wireCounts(conns)),
      publish_errors: errors, ...(errorSample ? { publish_error_sample: errorSample } : {}),
      publish_request_ms: reqLatency.summary(), stray: router.stray, cpu: cpu.stop(),
    };
  } finally {
    pubs.forEach((p) => p.close());
    closeAll(conns);
  }
}

// ---------------------------------------------------------------------------------- passthrough

/** `clients` closed-loop keep-alive clients GETting /plain/<i> on `port` for `ms`. */
async function closedLoopGets(port, clients, ms, maxRequests) {
  const lat = new Samples();
  let ok = 0;
  let bad = 0;
  let errors = 0;
  let errorSample;
  let issued = 0;
  const t0 = now();
  const end = t0 + ms;
  await Promise.all(Array.from({ length: clients }, async (_, k) => {
    const conn = new HttpConn(port, { timeoutMs: 10000 });
    try {
      while (now() < end && issued < maxRequests) {
        issued++;
        const s = now();
        try {
          const r = await conn.request('GET', `/plain/${k}`);
          if (r.status === 200) {
            ok++;
            lat.add(now() - s);
          } else bad++;
        } catch (e) {
          errors++;
          errorSample ??= e.message;
          if (errors > 1000) return;
          await sleep(10);
        }
      }
    } finally {
      conn.close();
    }
  }));
  const elapsed = now() - t0;
  return {
    clients, duration_s: round(elapsed / 1000, 2), ok, non_200: bad, errors,
    ...(errorSample ? { error_sample: errorSample } : {}),
    rps: round((1000 * ok) / elapsed), latency_ms: lat.summary(),
  };
}

export async function passthrough(sut, o) {
  const cap = 5_000_000;
  await closedLoopGets(sut.ports.http, o.clients, 1000, cap); // warm-up
  const cpu = new CpuMeter({ sut: sut.proc, origin: sut.origin }).start();
  const proxy = await closedLoopGets(sut.ports.http, o.clients, o.duration * 1000, cap);
  proxy.cpu = cpu.stop();
  const direct = await closedLoopGets(sut.ports.origin, o.clients, Math.min(o.duration, 3) * 1000, cap);
  return { proxy, direct, ratio_proxy_over_direct_rps: direct.rps > 0 ? round(proxy.rps / direct.rps, 3) : null };
}

// ---------------------------------------------------------------------------------- publish-rate

export async function publishRate(sut, o) {
  const router = lineRouter();
  const { conns, report } = await openStreams(sut.ports.http, o.subs, () => '/stream/pr', router.onLine, streamOptions(o));
  const warm = await warmUp(sut, conns, () => 'pr');
  const live = conns.filter((c) => c && !c.closed).length;
  const pubs = publishers(sut, o.pubConns);
  const cap = 1_000_000;
  const tracker = new DeliveryTracker({ base: 0, msgs: cap, conns: o.subs, publishers: pubs.length, expectedPerConn: 0 });
  router.trackers = [tracker];
  const reqLatency = new Samples();
  let seq = 0;
  let ok = 0;
  let errors = 0;
  let errorSample;
  const cpu = new CpuMeter({ sut: sut.proc, origin: sut.origin }).start();
  const wire0 = wireCounts(conns);
  const t0 = now();
  const end = t0 + o.duration * 1000;
  try {
    await Promise.all(pubs.map(async (conn, p) => {
      while (now() < end && seq < cap) {
        const s = seq++;
        const sentAt = now();
        tracker.noteSend(sentAt);
        try {
          await publish(conn, [['pr', `m ${s} ${p} ${sentAt.toFixed(3)}\n`]]);
          ok++;
          reqLatency.add(now() - sentAt);
        } catch (e) {
          errors++;
          errorSample ??= e.message;
          if (errors > 1000) return;
        }
      }
    }));
    const elapsed = now() - t0;
    tracker.expectedTotal = ok * live;
    const complete = await tracker.settle(5000, o.maxWait * 1000);
    const cpuResult = cpu.stop(); // publishing and delivering
    return {
      subscribers: report, warm, publisher_conns: pubs.length, duration_s: round(elapsed / 1000, 2),
      published: ok, publish_errors: errors, ...(errorSample ? { publish_error_sample: errorSample } : {}),
      publishes_per_s: round((1000 * ok) / elapsed), publish_request_ms: reqLatency.summary(),
      deliveries: { ...tracker.result(complete), messages_per_chunk: perChunk(wire0, wireCounts(conns)) },
      stray: router.stray, cpu: cpuResult,
    };
  } finally {
    pubs.forEach((p) => p.close());
    closeAll(conns);
  }
}

export const SCENARIOS = { held, fanout, channels, passthrough, 'publish-rate': publishRate };
