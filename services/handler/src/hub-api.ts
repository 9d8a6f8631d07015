import type { PublishItem } from '@pushpin-ts/grip';

/**
 * Contract between the handler's publish inputs (src/inputs/*, src/command/*) and its
 * subscription hub (src/hub*.ts and the session modules). Inputs validate and parse items;
 * the hub sequences and delivers them.
 */
export interface PublishSink {
  /** Delivers already-validated items, in array order. Never throws on a bad item. */
  publish(items: PublishItem[]): void;
}

/** What the command socket and stats need to know about the hub. */
export interface HubState {
  /** conncheck: is a connection id (`<zhttp-sender>:<id>`, e.g. `condure:0-1a`) currently held here? */
  isConnected(cid: string): boolean;
  /** recover: clear every channel's last id and refresh/retry every HTTP session. */
  recover(): void;
  /** refresh: by connection id (false if unknown) or by channel. */
  refresh(target: { cid: string } | { channel: string }): boolean;
  /** Channels that currently have at least one subscriber (including lingering response-mode ones). */
  channels(): Iterable<string>;
  /** Number of client connections held. */
  connectionCount(): number;
}

/** Subscription changes, for the SUB input's XPUB forwarding and for stats. */
export interface HubEvents {
  onChannelAdded(cb: (channel: string) => void): void;
  onChannelRemoved(cb: (channel: string) => void): void;
}

/** Transport of a held connection (decides the format it receives and its stats `mode`). */
export type HubMode = 'response' | 'stream' | 'ws';
/** Format an item was delivered in (stats `message.transport`). */
export type HubTransport = 'http-response' | 'http-stream' | 'ws-message';

/** A connection the hub now holds (stats `conn`). */
export interface HubConnectionInfo {
  /** `<zhttp-sender>:<id>`. */
  readonly cid: string;
  readonly mode: HubMode;
  readonly peerAddress?: string | undefined;
}

/**
 * What stats and metrics observe (publish.md §9). Listeners run synchronously inside the
 * hub; they must be cheap and must not throw (errors are logged and swallowed).
 */
export interface HubStatsEvents {
  onConnectionAdded(cb: (c: HubConnectionInfo) => void): void;
  onConnectionRemoved(cb: (cid: string, mode: HubMode) => void): void;
  /** The number of `mode` subscribers of `channel` changed to `subscribers` (0: none left). */
  onSubscribers(cb: (mode: HubMode, channel: string, subscribers: number) => void): void;
  /** One item reached `count` (> 0) receivers over `transport`. */
  onDelivered(cb: (channel: string, itemId: string | undefined, transport: HubTransport, count: number) => void): void;
  /** A delivery was dropped (rate limiter over `message_hwm`, full session queue, …). */
  onDropped(cb: (channel: string, cid: string, reason: string) => void): void;
}

/**
 * Rate and queue limit in front of each (item × subscriber) delivery (publish.md §5,
 * `message_rate` / `message_hwm`). `submit` runs `run` now or later and returns false
 * when the delivery was dropped (bucket over its high-water mark).
 */
export interface DeliveryLimiter {
  submit(bucket: string, weight: number, run: () => void): boolean;
  /**
   * Charges `weight` to `bucket` if it could all run now (nothing queued in the bucket and
   * enough tokens): the caller then runs the actions itself, in order. False changes nothing.
   */
  tryCharge?(bucket: string, weight: number): boolean;
  /** Whether `weight` deliveries may wait in `bucket` as one action (one batch holds them, under the hwm). */
  canQueueWhole?(bucket: string, weight: number): boolean;
  /** The configured high-water mark, for the drop log line. */
  readonly hwm: number;
  close(): void;
}

export type Hub = PublishSink & HubState & HubEvents;
