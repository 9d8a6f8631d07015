// Opening many held streams: used by the scenarios in the bench process and by the held
// scenario's load-generator children (held-client.mjs).
import { StreamClient } from './clients.mjs';
import { round } from './procs.mjs';
import { Samples } from './stats.mjs';

const now = () => performance.now();
/** Milliseconds since the epoch with sub-millisecond resolution (comparable across processes). */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Opens `count` streaming connections, at most `concurrency` of them connecting / waiting for
 * the initial body at a time, each tried up to 3 times. `onLine(line, conn)` gets every body line.
 * Connection j is number `indexOf(j)` overall (its path and source address follow that number).
 * Stops early after `budgetMs`, or when no connection opened for `stallMs` (the system under
 * test stopped accepting, e.g. at its open-file limit): `report.stopped` says why.
 * `localAddressOf(i)` / `localPortOf(i)`: source address and port of connection i (undefined:
 * the kernel's choice). A chosen port found in use (EADDRINUSE: someone else's, or a TIME_WAIT)
 * is left to the kernel on the next attempt (`report.port_fallbacks`).
 */
export async function openStreams(port, count, pathOf, onLine, {
  concurrency = 100, budgetMs = 120000, stallMs = Infinity, localAddressOf, localPortOf, indexOf = (j) => j,
} = {}) {
  const conns = [];
  const setup = new Samples();
  let next = 0;
  let errors = 0;
  let attemptErrors = 0;
  let portFallbacks = 0;
  let errorSample;
  let stopped = null;
  let lastOpen = now();
  let lastOpenEpoch = null;
  const deadline = now() + budgetMs;
  const go = () => {
    if (stopped) return false;
    const t = now();
    if (t >= deadline) stopped = 'budget';
    else if (t - lastOpen >= stallMs) stopped = 'stalled';
    return !stopped;
  };
  const worker = async () => {
    while (next < count && go()) {
      const j = next++;
      const i = indexOf(j);
      let localPort = localPortOf?.(i);
      for (let attempt = 0; attempt < 3 && go(); attempt++) {
        const t0 = now();
        const localAddress = localAddressOf?.(i);
        const c = new StreamClient(port, pathOf(i), { onLine, index: j, ...(localAddress ? { localAddress } : {}), ...(localPort ? { localPort } : {}) });
        try {
          await c.ready;
          const t1 = now();
          setup.add(t1 - t0);
          lastOpen = t1;
          lastOpenEpoch = epochMs();
          conns[j] = c;
          break;
        } catch (e) {
          c.close();
          attemptErrors++;
          if (e.code === 'EADDRINUSE' && localPort) {
            localPort = undefined;
            portFallbacks++;
          } else errorSample ??= e.message;
          if (attempt === 2) errors++;
        }
      }
    }
  };
  const startEpoch = epochMs();
  const t0 = now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = now() - t0;
  const opened = conns.filter(Boolean).length;
  return {
    conns, opened, elapsedMs, setup, startEpoch, endEpoch: startEpoch + elapsedMs, lastOpenEpoch,
    report: {
      requested: count, opened, errors, attempt_errors: attemptErrors, not_tried: count - next,
      ...(localPortOf ? { port_fallbacks: portFallbacks } : {}),
      ...(errorSample ? { error_sample: errorSample } : {}),
      ...(stopped ? { stopped } : {}),
      elapsed_ms: round(elapsedMs, 1), rate_per_s: round((1000 * opened) / elapsedMs),
      setup_latency_ms: setup.summary(),
    },
  };
}
