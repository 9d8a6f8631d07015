#!/usr/bin/env node
// One load-generator child of the held scenario (`--client-procs`), forked by the bench with an
// IPC channel. A process can hold only as many sockets as its open-file limit, so 100,000
// streams need several of these. Requests (each answered with the same `id`):
//   { cmd: 'open', port, n, procs, proc, addrs, portBase, concurrency, budgetMs, stallMs }
//       opens the streams i = proc, proc + procs, proc + 2*procs, … < n (path /stream/h<i>,
//       source address addrs[i % A], source port portBase + floor(i / A) when portBase > 0);
//       answers with counts, timings and setup samples
//   { cmd: 'count' }   -> { open }: streams still open
//   { cmd: 'close' }   closes every stream and exits
// Exits by itself when the bench goes away (IPC channel closed).
import { openStreams } from './open-streams.mjs';

let conns = [];

function reply(id, body) {
  process.send?.({ id, ...body });
}

async function open(m) {
  const count = m.proc < m.n ? Math.ceil((m.n - m.proc) / m.procs) : 0;
  const r = await openStreams(m.port, count, (i) => `/stream/h${i}`, () => {}, {
    concurrency: m.concurrency, budgetMs: m.budgetMs, stallMs: m.stallMs,
    indexOf: (j) => m.proc + j * m.procs,
    ...(m.addrs.length > 0 ? { localAddressOf: (i) => m.addrs[i % m.addrs.length] } : {}),
    ...(m.addrs.length > 0 && m.portBase > 0 ? { localPortOf: (i) => m.portBase + Math.floor(i / m.addrs.length) } : {}),
  });
  conns = r.conns;
  const s = r.setup;
  return {
    report: r.report, startEpoch: r.startEpoch, endEpoch: r.endEpoch, lastOpenEpoch: r.lastOpenEpoch,
    // raw setup latencies, merged into one distribution by the bench
    setup: Array.from(s.data.subarray(0, s.n)), setupSeen: s.seen,
  };
}

process.on('message', (m) => {
  const done = (body) => reply(m.id, body);
  const fail = (e) => reply(m.id, { error: e?.stack ?? String(e) });
  try {
    if (m.cmd === 'open') open(m).then(done, fail);
    else if (m.cmd === 'count') done({ open: conns.filter((c) => c && !c.closed).length });
    else if (m.cmd === 'close') {
      for (const c of conns) c?.close();
      conns = [];
      done({ closed: true });
      setTimeout(() => process.exit(0), 50);
    } else fail(new Error(`unknown command ${m.cmd}`));
  } catch (e) {
    fail(e);
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true, pid: process.pid });
