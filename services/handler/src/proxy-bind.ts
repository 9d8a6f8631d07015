import type { PushpinConfig } from '@pushpin-ts/config';

/**
 * `--proxy-bind`: prefixes every proxy-facing spec of `[handler]` (`proxy_*_spec(s)`) with `@`
 * so this handler binds them and any number of proxy processes (started with
 * `--handler-connect`) connect to the same endpoints (attach() in @pushpin-ts/zhttp).
 * The connection-manager specs are untouched: the connection manager binds those.
 * @example bindProxyFacing(cfg).handler.proxyAcceptSpec // '@ipc:///run/pushpin-accept'
 */
export function bindProxyFacing(cfg: PushpinConfig): PushpinConfig {
  const h: Record<string, unknown> = { ...cfg.handler };
  const flip = (s: string): string => (s === '' || s.startsWith('@') ? s : `@${s.startsWith('>') ? s.slice(1) : s}`);
  for (const [key, v] of Object.entries(h)) {
    if (!/^proxy.*Specs?$/.test(key)) continue;
    if (typeof v === 'string') h[key] = flip(v);
    else if (Array.isArray(v)) h[key] = v.map((x) => (typeof x === 'string' ? flip(x) : x));
  }
  return Object.freeze({ ...cfg, handler: Object.freeze(h) as PushpinConfig['handler'] });
}
