/**
 * The handler's stats PUB socket (publish.md §9): one frame per packet,
 * `<type> T<tnetstring>` or `<type> J<json>`, every packet stamped with `from`.
 */

import { encode, type TnValue } from '@pushpin-ts/tnetstring';

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
  return Buffer.concat([Buffer.from(`${type} T`, 'latin1'), encode(sorted)]);
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
  /** Current number of held connections (sampled every second for `connections`/`minutes`). */
  connectionCount(): number;
  /** Items accepted by the inputs so far (for `received`). */
  received(): number;
}

interface ConnInfo { type: 'http' | 'ws'; peerAddress?: string; ssl?: boolean }

/**
 * Emits stats packets. `report` runs on its own timer; the hub (which knows modes,
 * subscriber counts and connections) feeds `subscription`/`connection`/`message`.
 */
export class StatsPublisher {
  private readonly subs = new Map<string, { mode: SubscriptionMode; channel: string; subscribers: number }>();
  private readonly conns = new Map<string, ConnInfo>();
  private readonly timers: NodeJS.Timeout[] = [];
  private activityCount = 0;
  private sent = 0;
  private httpResponseSent = 0;
  private maxConnections = 0;
  private connectionSeconds = 0;
  private lastReceived = 0;
  private lastReport = Date.now();
  private closed = false;

  constructor(private readonly sendFrame: (frame: Buffer) => void, private readonly o: StatsOptions) {}

  /** Starts the sampling, refresh and report timers. */
  start(): void {
    this.lastReceived = this.o.received();
    this.lastReport = Date.now();
    this.timers.push(setInterval(() => this.tick(), 1000));
    if (this.o.subscriptionTtl > 0) this.timers.push(setInterval(() => this.refreshSubs(), this.o.subscriptionTtl * 750));
    if (this.o.connectionTtl > 0) this.timers.push(setInterval(() => this.refreshConns(), this.o.connectionTtl * 750));
    if (this.o.reportInterval > 0) this.timers.push(setInterval(() => this.report(), this.o.reportInterval * 1000));
    for (const t of this.timers) t.unref();
  }

  send(type: string, fields: StatsFields): void {
    if (this.closed) return;
    this.sendFrame(encodeStatsPacket(type, { ...fields, from: this.o.from }, this.o.format));
  }

  /** A channel's subscriber count in `mode` changed (or it was first subscribed). */
  subscription(mode: SubscriptionMode, channel: string, subscribers: number): void {
    this.subs.set(`${mode} ${channel}`, { mode, channel, subscribers });
    this.send('sub', { mode, channel, ttl: this.o.subscriptionTtl, subscribers });
  }

  /** The channel has no more subscribers in `mode` (response mode: after the linger). */
  unsubscription(mode: SubscriptionMode, channel: string): void {
    this.subs.delete(`${mode} ${channel}`);
    this.send('sub', { mode, channel, unavailable: true });
  }

  connection(id: string, info: ConnInfo): void {
    this.conns.set(id, info);
    this.sendConn(id, info);
  }

  disconnection(id: string): void {
    this.conns.delete(id);
    this.send('conn', { id, unavailable: true });
  }

  /** One published item was delivered to `count` receivers over `transport`. */
  message(channel: string, itemId: string | undefined, transport: 'http-response' | 'http-stream' | 'ws-message', count: number): void {
    this.sent += count;
    if (transport === 'http-response') this.httpResponseSent += count;
    this.send('message', { channel, ...(itemId !== undefined ? { 'item-id': itemId } : {}), count, transport });
  }

  /** Client activity (requests, messages, keep-alives); flushed about once a second. */
  activity(count = 1): void {
    this.activityCount += count;
  }

  /** Sends the `report` packet now and starts a new interval. */
  report(): void {
    const now = Date.now();
    const minutes = Math.floor(this.connectionSeconds / 60);
    this.connectionSeconds -= minutes * 60;
    const received = this.o.received();
    const zero = ['client-header-bytes-received', 'client-header-bytes-sent', 'client-content-bytes-received',
      'client-content-bytes-sent', 'client-messages-received', 'client-messages-sent', 'server-header-bytes-received',
      'server-header-bytes-sent', 'server-content-bytes-received', 'server-content-bytes-sent',
      'server-messages-received', 'server-messages-sent'];
    const fields: StatsFields = {
      connections: Math.max(this.maxConnections, this.o.connectionCount()),
      minutes,
      received: received - this.lastReceived,
      sent: this.sent,
      'http-response-sent': this.httpResponseSent,
      duration: now - this.lastReport,
    };
    // Byte counters are the proxy's business; the handler reports them as 0 until fed.
    for (const k of zero) fields[k] = 0;
    this.send('report', fields);
    this.lastReceived = received;
    this.lastReport = now;
    this.sent = 0;
    this.httpResponseSent = 0;
    this.maxConnections = this.o.connectionCount();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }

  private tick(): void {
    const n = this.o.connectionCount();
    this.maxConnections = Math.max(this.maxConnections, n);
    this.connectionSeconds += n;
    if (this.activityCount > 0) {
      this.send('activity', { count: this.activityCount });
      this.activityCount = 0;
    }
  }

  private sendConn(id: string, info: ConnInfo): void {
    this.send('conn', {
      id, type: info.type, ...(info.peerAddress ? { 'peer-address': info.peerAddress } : {}),
      ...(info.ssl ? { ssl: true } : {}), ttl: this.o.connectionTtl,
    });
  }

  private refreshSubs(): void {
    for (const s of this.subs.values()) this.send('sub', { mode: s.mode, channel: s.channel, ttl: this.o.subscriptionTtl, subscribers: s.subscribers });
  }

  private refreshConns(): void {
    for (const [id, info] of this.conns) this.sendConn(id, info);
  }
}
