import type { Listen } from './types.js';

/**
 * Parses `port`, `addr:port` or `[v6addr]:port`. Port-only means all IPv4 interfaces.
 * Returns `undefined` when the text is not a valid listen address (port 1–65535).
 *
 * @example parseListen('7999') // { addr: '0.0.0.0', port: 7999 }
 * @example parseListen('[::1]:7999') // { addr: '::1', port: 7999 }
 */
export function parseListen(text: string, defaultAddr = '0.0.0.0'): Listen | undefined {
  const s = text.trim();
  let addr: string;
  let portText: string;
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(s);
  if (v6) {
    addr = v6[1] as string;
    portText = v6[2] as string;
  } else {
    const at = s.lastIndexOf(':');
    addr = at === -1 ? defaultAddr : s.slice(0, at);
    portText = at === -1 ? s : s.slice(at + 1);
  }
  if (!/^\d+$/.test(portText) || addr === '') return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { addr, port };
}

/**
 * Formats a listen address the way condure's `--listen` expects (`[v6]:port` for IPv6).
 *
 * @example formatListen({ addr: '::1', port: 80 }) // '[::1]:80'
 */
export function formatListen(l: Listen): string {
  return l.addr.includes(':') ? `[${l.addr}]:${l.port}` : `${l.addr}:${l.port}`;
}
