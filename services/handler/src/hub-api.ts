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

export type Hub = PublishSink & HubState & HubEvents;
