/**
 * The handler's stats PUB socket (publish.md §9): one frame per packet,
 * `<type> T<tnetstring>` or `<type> J<json>`, every packet stamped with `from`.
 *
 * Timing as observed on Pushpin 1.36:
 * - `conn` is sent at once on connect and disconnect (`unavailable`), and every ¾ ttl;
 * - `sub` is sent at once for a new subscription and when the last stream/ws subscriber
 *   leaves; count changes are batched on a 1 s tick; response-mode subscriptions linger
 *   `subscription_linger` seconds before `unavailable`;
 * - `activity` and `counts` (requests received, merged from the proxy) are flushed
 *   ~200 ms after the first event;
 * - `report` every `stats_report_interval` s, merged with the proxy's report counters.
 * Packets from the proxy's stats socket (`ingest`) are re-emitted as the handler's own.
 */

import { encodeWithPrefix, type TnValue } from '@pushpin-ts/tnetstring';

export type StatsFormat = 'tnetstring' | 'json';
export type StatsFields = Record<string, string | number | boolean>;
export type SubscriptionMode = 'response' | 'stream' | 'ws';

/**
 * Encodes one stats packet. Keys are sorted (Pushpin's QVariantMap order).
 * @example encodeStatsPacket('sub', { channel: 'a' }, 'json').toString() // 'sub J{"channel":"a"}'
 */
export function encodeStatsPacket(type: string, fields: StatsFields, format: StatsFormat): Buffer {
  const sorted: Record<string, TnValue> = {};
  for (const k of Object.keys(fields).sort()) sorted[k] = fields[k];
  if (format === 'json') return Buffer.from(`${type} J${JSON.stringify(sorted)}`, 'utf8');
  return encodeWithPrefix(Buffer.from(`${type} T`, 'latin1'), sorted);
}

export interface StatsOptions {
  /** `from` of every packet: the instance id, e.g. `pushpin-handler_13175`. */
  from: string;
  format: StatsFormat;
  /** Seconds (stats_subscription_ttl). */
  subscriptionTtl: number;
  /** Seconds ([global] stats_connection_ttl). */
  connectionTtl: number;
  /** Seconds between `report` packets (stats_report_interval); 0 disables reports. */
  reportInterval: number;
  /** Seconds a response-mode subscription stays after its last subscriber (subscription_linger). */
  subscriptionLinger?: number;
  /** Current number of held connections (sampled every second for `connections`/`minutes`). */
  connectionCount(): number;
  /** Items accepted by the inputs so far (for `received`). */
  received(): number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
}

export interface ConnInfo { type: 'http' | 'ws'; peerAddress?: string | undefined; ssl?: boolean }

/** Counters of a `report` packet that the proxy measures (bytes and messages). */
export const REPORT_BYTE_COUNTERS = [
  'client-header-bytes-received', 'client-header-bytes-sent', 'client-content-bytes-received',
  'client-content-bytes-sent', 'client-messages-received', 'client-messages-sent', 'server-header-bytes-received',
  'server-header-bytes-sent', 'server-content-bytes-received', 'server-content-bytes-sent',
  'server-messages-received', 'server-messages-sent',
] as const;

interface SubEntry { mode: SubscriptionMode; channel: string; subscribers: number; dirty: boolean; lingerUntil: number }

/**
 * Emits stats packets. The hub feeds `subscription`/`connection`/`message`; the proxy's
 * stats arrive through `ingest`.
 */
export class StatsPublisher {
  private readonly subs = new Map<string, SubEntry>();
  private readonly conns = new Map<string, ConnInfo>();
  /** Connections the proxy told us about: id → expiry (ms). */
  private readonly external = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private activityCount = 0;
  private requestsReceived = 0;
  private sent = 0;
  private httpResponseSent = 0;
  private maxConnections = 0;
  /** Connection-seconds in the current report interval. */
  private connectionSeconds = 0;
  private lastReceived = 0;
  private lastReport: number;
  private proxyReport: Record<string, number> = {};
  private closed = false;
  private readonly now: () => number;

  /** `sendFrame` undefined: nothing is sent (tests of the counting). */
  constructor(private readonly sendFrame: ((frame: Buffer) => void) | undefined, private readonly o: StatsOptions) {
    this.now = o.now ?? Date.now;
    this.lastReport = this.now();
  }

  /** Starts the sampling, refresh and report timers. */
  start(): void {
    this.lastReceived = this.o.received();
    this.lastReport = this.now();
    this.timers.push(setInterval(() => this.tick(), 1000));
    if (this.o.subscriptionTtl > 0) this.timers.push(setInterval(() => this.refreshSubs(), this.o.subscriptionTtl * 750));
    if (this.o.connectionTtl > 0) this.timers.push(setInterval(() => this.refreshConns(), this.o.connectionTtl * 750));
    if (this.o.reportInterval > 0) this.timers.push(setInterval(() => this.report(), this.o.reportInterval * 1000));
    for (const t of this.timers) t.unref();
  }

  send(type: string, fields: StatsFields): void {
    if (this.closed || !this.sendFrame) return;
    this.sendFrame(encodeStatsPacket(type, { ...fields, from: this.o.from }, this.o.format));
  }

  /**
   * A channel's number of `mode` subscribers is now `subscribers` (0: none left). The first
   * subscription is announced at once; changes on the next tick; the end at once (response
   * mode: after the linger).
   */
  subscription(mode: SubscriptionMode, channel: string, subscribers: number): void {
    const key = `${mode} ${channel}`;
    const e = this.subs.get(key);
    if (subscribers <= 0) {
      if (!e) return;
      const linger = (this.o.subscriptionLinger ?? 0) * 1000;
      if (mode === 'response' && linger > 0) {
        e.lingerUntil = this.now() + linger;
        e.dirty = false;
        return;
      }
      this.unsubscription(mode, channel);
      return;
    }
    if (!e) {
      this.subs.set(key, { mode, channel, subscribers, dirty: false, lingerUntil: 0 });
      this.sendSub(mode, channel, subscribers);
      return;
    }
    e.lingerUntil = 0;
    if (e.subscribers !== subscribers) { e.subscribers = subscribers; e.dirty = true; }
  }

  /** The channel has no more subscribers in `mode`: forget it and say so now. */
  unsubscription(mode: SubscriptionMode, channel: string): void {
    if (!this.subs.delete(`${mode} ${channel}`)) return;
    this.send('sub', { mode, channel, unavailable: true });
  }

  /** Subscriptions announced and not yet ended (including lingering ones). */
  get subscriptionCount(): number { return this.subs.size; }

  connection(id: string, info: ConnInfo): void {
    this.conns.set(id, info);
    this.sendConn(id, info);
  }

  disconnection(id: string): void {
    // the proxy announced it before handing it over: it is gone for both
    this.external.delete(id);
    if (!this.conns.delete(id)) return;
    this.send('conn', { id, unavailable: true });
  }

  /** Connections known here: held ones plus those the proxy reported (until their ttl). */
  get connectionCount(): number {
    let n = this.conns.size;
    for (const id of this.external.keys()) if (!this.conns.has(id)) n++;
    return n;
  }

  /** One published item was delivered to `count` receivers over `transport`. */
  message(channel: string, itemId: string | undefined, transport: 'http-response' | 'http-stream' | 'ws-message', count: number): void {
    this.sent += count;
    if (transport === 'http-response') this.httpResponseSent += count;
    this.send('message', { channel, ...(itemId !== undefined ? { 'item-id': itemId } : {}), count, transport });
  }

  /** Current subscriptions per mode (lingering ones included). */
  subscriptionsByMode(): Record<SubscriptionMode, number> {
    const out: Record<SubscriptionMode, number> = { response: 0, stream: 0, ws: 0 };
    for (const e of this.subs.values()) out[e.mode]++;
    return out;
  }

  /** Client activity (requests, messages, keep-alives); flushed ~200 ms later. */
  activity(count = 1): void {
    if (count <= 0) return;
    this.activityCount += count;
    this.scheduleFlush();
  }

  /** Requests received (from the proxy's `counts`); flushed with the activity. */
  requests(count: number): void {
    if (count <= 0) return;
    this.requestsReceived += count;
    this.scheduleFlush();
  }

  /**
   * A packet from the proxy's stats socket (architecture.md §3.4 `proxy_stats_spec`):
   * `conn` is re-emitted as ours, `activity`/`counts` are added to ours, `report` counters
   * are added to our next report. Returns false for packets it cannot use.
   */
  ingest(type: string, fields: Record<string, unknown>): boolean {
    const num = (k: string): number => {
      const v = fields[k];
      return typeof v === 'number' && Number.isFinite(v) ? v : 0;
    };
    switch (type) {
      case 'conn': {
        const id = fields['id'];
        if (typeof id !== 'string' || id === '') return false;
        const out: StatsFields = {};
        for (const [k, v] of Object.entries(fields)) {
          if (k === 'from') continue;
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
        }
        if (fields['unavailable'] === true) this.external.delete(id);
        else this.external.set(id, this.now() + Math.max(1, num('ttl') || this.o.connectionTtl) * 1000);
        this.send('conn', out);
        return true;
      }
      case 'activity': this.activity(num('count')); return true;
      case 'counts': this.requests(num('requests-received')); return true;
      case 'report':
        for (const [k, v] of Object.entries(fields)) {
          if (k === 'from' || typeof v !== 'number' || !Number.isFinite(v)) continue;
          if (k === 'connections') this.proxyReport[k] = Math.max(this.proxyReport[k] ?? 0, v);
          else if (k !== 'duration') this.proxyReport[k] = (this.proxyReport[k] ?? 0) + v;
        }
        return true;
      default:
        return false;
    }
  }

  /** Sends the `report` packet now and starts a new interval. */
  report(): void {
    const now = this.now();
    this.maxConnections = Math.max(this.maxConnections, this.currentConnections());
    const received = this.o.received();
    const p = this.proxyReport;
    const minutes = Math.ceil(this.connectionSeconds / 60) + (p['minutes'] ?? 0);
    const fields: StatsFields = {
      connections: Math.max(this.maxConnections, p['connections'] ?? 0),
      minutes,
      received: received - this.lastReceived,
      sent: this.sent + (p['sent'] ?? 0),
      'http-response-sent': this.httpResponseSent + (p['http-response-sent'] ?? 0),
      duration: now - this.lastReport,
    };
    for (const k of REPORT_BYTE_COUNTERS) fields[k] = p[k] ?? 0;
    this.send('report', fields);
    this.proxyReport = {};
    this.lastReceived = received;
    this.lastReport = now;
    this.sent = 0;
    this.httpResponseSent = 0;
    this.connectionSeconds = 0;
    this.maxConnections = this.currentConnections();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Sends pending `activity`/`counts` now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.activityCount > 0) {
      this.send('activity', { count: this.activityCount });
      this.activityCount = 0;
    }
    if (this.requestsReceived > 0) {
      this.send('counts', { 'requests-received': this.requestsReceived });
      this.requestsReceived = 0;
    }
  }

  /** The 1 s tick: connection sampling, batched `sub` changes, linger expiry. */
  tick(): void {
    this.sample();
    const now = this.now();
    for (const e of [...this.subs.values()]) {
      if (e.lingerUntil > 0) {
        if (now >= e.lingerUntil) this.unsubscription(e.mode, e.channel);
      } else if (e.dirty) {
        e.dirty = false;
        this.sendSub(e.mode, e.channel, e.subscribers);
      }
    }
    for (const [id, until] of this.external) if (now >= until) this.external.delete(id);
  }

  private currentConnections(): number {
    return Math.max(this.o.connectionCount(), this.connectionCount);
  }

  private sample(): void {
    const n = this.currentConnections();
    this.maxConnections = Math.max(this.maxConnections, n);
    this.connectionSeconds += n;
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => this.flush(), 200);
    this.flushTimer.unref?.();
  }

  private sendSub(mode: SubscriptionMode, channel: string, subscribers: number): void {
    this.send('sub', { mode, channel, ttl: this.o.subscriptionTtl, subscribers });
  }

  private sendConn(id: string, info: ConnInfo): void {
    this.send('conn', {
      id, type: info.type, ...(info.peerAddress ? { 'peer-address': info.peerAddress } : {}),
      ...(info.ssl ? { ssl: true } : {}), ttl: this.o.connectionTtl,
    });
  }

  private refreshSubs(): void {
    for (const s of this.subs.values()) this.sendSub(s.mode, s.channel, s.subscribers);
  }

  private refreshConns(): void {
    for (const [id, info] of this.conns) this.sendConn(id, info);
  }
}
