import type { TnValue } from '@pushpin-ts/tnetstring';

/** ZHTTP packet types (absent = data packet). */
export type PacketType =
  | 'error' | 'credit' | 'keep-alive' | 'cancel' | 'handoff-start' | 'handoff-proceed'
  | 'close' | 'ping' | 'pong';

export const PACKET_TYPES: ReadonlySet<string> = new Set<PacketType>([
  'error', 'credit', 'keep-alive', 'cancel', 'handoff-start', 'handoff-proceed', 'close', 'ping', 'pong',
]);

/** A header as [name, value]; both are latin1-decoded so any byte survives a round trip. */
export type Header = [string, string];

/** One entry of the multi-id form of `id` (spec zhttp.md §6). */
export interface MultiId { id: string; seq?: number }

/**
 * A decoded ZHTTP packet (spec zhttp.md §2). Field names are the wire names in camelCase;
 * `multi` is `ext.multi`. Byte-string fields that carry text (ids, method, uri, reason,
 * headers) are latin1 strings; bodies stay Buffers.
 */
export interface Packet {
  from?: string;
  id: string | MultiId[];
  seq?: number;
  type?: PacketType;
  condition?: string;
  credits?: number;
  more?: boolean;
  body?: Buffer;
  code?: number;
  reason?: string;
  headers?: Header[];
  method?: string;
  uri?: string;
  contentType?: 'text' | 'binary';
  stream?: boolean;
  maxSize?: number;
  timeout?: number;
  peerAddress?: string;
  peerPort?: number;
  connectHost?: string;
  connectPort?: number;
  ignorePolicies?: boolean;
  trustConnectHost?: boolean;
  ignoreTlsErrors?: boolean;
  followRedirects?: boolean;
  routerResp?: boolean;
  userData?: TnValue;
  /**
   * Handler → proxy internal requests (Pushpin 1.36 already sends it, although zhttp.md §8 lists
   * it as newer): a map with `route` (the route id from the accept), `prefer-internal`,
   * `auto-share`. A request carrying it is answered raw: no GRIP processing, no handoff.
   */
  passthrough?: TnValue;
  multi?: boolean;
}
