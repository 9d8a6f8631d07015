/**
 * The handler's SUB socket on the proxy's stats PUB (`proxy_stats_spec`, architecture.md
 * §3.4): connects (binds with `--proxy-bind`), subscribes to everything and hands each
 * decoded packet on. A malformed packet is one warning (PP_ERR_HANDLER_PROXY_STATS) and is
 * skipped; the socket keeps reading.
 */

import type { Logger } from '@pushpin-ts/log';
import { Receiver } from '@pushpin-ts/zhttp';
import { decodeStatsPacket } from './stats-packet.js';
import type { ZmqInput } from './zmq-inputs.js';

export const PROXY_STATS_MALFORMED = 'PP_ERR_HANDLER_PROXY_STATS';

export interface ProxyStatsInputOptions {
  spec: string;
  log: Logger;
  /** One decoded packet; `fields` includes the proxy's `from`. */
  onPacket(type: string, fields: Record<string, unknown>): void;
  ipcFileMode?: number;
}

/**
 * Starts the SUB socket.
 * @throws the bind error from zeromq (only with a `@` bind spec; connecting does not fail).
 */
export async function startProxyStatsInput(o: ProxyStatsInputOptions): Promise<ZmqInput> {
  const r = new Receiver('sub', { specs: [o.spec], bind: false, ...(o.ipcFileMode !== undefined ? { ipcFileMode: o.ipcFileMode } : {}) }, o.log);
  r.subscribe('');
  r.onMessage = (frames) => {
    if (frames.length !== 1) {
      o.log.warn({ code: PROXY_STATS_MALFORMED, parts: frames.length }, 'IN proxy stats: received message with parts != 1, skipping');
      return;
    }
    const res = decodeStatsPacket(frames[0]!);
    if (!res.ok) {
      o.log.warn({ code: PROXY_STATS_MALFORMED, error: res.error }, `IN proxy stats: malformed packet (${res.error}), skipping`);
      return;
    }
    o.onPacket(res.type, res.fields);
  };
  try {
    await r.start();
  } catch (err) {
    r.close();
    throw err;
  }
  o.log.info({ spec: o.spec }, 'proxy stats input connected');
  return { close: () => r.close() };
}
