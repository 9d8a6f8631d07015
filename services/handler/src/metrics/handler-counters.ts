/**
 * Counts what the handler's Prometheus metrics report, fed by the hub's stats events
 * (HubStatsEvents) and the proxy's `counts` packets (request_received, as in Pushpin), read
 * at scrape time. Connection minutes are integrated exactly:
 * every change of the connection count adds `count × elapsed` to the running total.
 */

import type { HubMode, HubStatsEvents } from '../hub-api.js';
import type { HandlerMetricsSource } from './handler-metrics.js';

export interface CounterInputs {
  hub: Partial<HubStatsEvents> & { connectionCount(): number };
  /** Items accepted by the publish inputs, in all and per input. */
  received(): number;
  receivedBy(): Readonly<Record<string, number>>;
  /** Client requests the proxy reported in its `counts` stats packets. */
  requestsReceived(): number;
  now?: () => number;
}

/** Subscribes to the hub's events; the returned object is the metrics source. */
export function handlerCounters(o: CounterInputs): HandlerMetricsSource {
  const now = o.now ?? Date.now;
  let sent = 0;
  let dropped = 0;
  let connMs = 0;
  let live = 0;
  let last = now();
  const channelsByMode = new Map<HubMode, Set<string>>();
  const integrate = (): void => {
    const t = now();
    connMs += live * (t - last);
    last = t;
  };
  o.hub.onConnectionAdded?.(() => { integrate(); live++; });
  o.hub.onConnectionRemoved?.(() => { integrate(); live = Math.max(0, live - 1); });
  o.hub.onDelivered?.((_c, _id, _t, n) => { sent += n; });
  o.hub.onDropped?.(() => { dropped++; });
  o.hub.onSubscribers?.((mode, channel, n) => {
    let set = channelsByMode.get(mode);
    if (!set) { set = new Set(); channelsByMode.set(mode, set); }
    if (n > 0) set.add(channel); else set.delete(channel);
  });
  return {
    requestsReceived: () => o.requestsReceived(),
    connections: () => o.hub.connectionCount(),
    connectionMinutes: () => { integrate(); return Math.floor(connMs / 60_000); },
    messagesReceived: () => o.received(),
    messagesReceivedBy: () => o.receivedBy(),
    messagesSent: () => sent,
    messagesDropped: () => dropped,
    subscriptions: () => {
      const out: Record<string, number> = {};
      for (const [mode, set] of channelsByMode) out[mode] = set.size;
      return out;
    },
  };
}
