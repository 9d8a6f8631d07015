import type { PushpinConfig } from '@pushpin-ts/config';
import { parseXffRule, type XffRule } from './forwarded-for.js';

/** The `[proxy]` settings a forwarding session needs, parsed once. */
export interface ProxySettings {
  readonly debug: boolean;
  readonly autoCrossOrigin: boolean;
  /** Honour a `Pushpin-Route: <id>` request header. */
  readonly acceptPushpinRoute: boolean;
  readonly acceptXForwardedProtocol: boolean;
  readonly setXForwardedProtocol: 'true' | 'proto-only' | '';
  readonly xff: XffRule;
  readonly xffTrusted: XffRule;
  /** -1 = unlimited. */
  readonly maxOpenRequests: number;
  /** ZRPC accept timeout. */
  readonly acceptTimeoutMs: number;
}

export function proxySettings(cfg: PushpinConfig): ProxySettings {
  const p = cfg.proxy;
  return Object.freeze({
    debug: p.debug,
    autoCrossOrigin: p.autoCrossOrigin,
    acceptPushpinRoute: p.acceptPushpinRoute,
    acceptXForwardedProtocol: p.acceptXForwardedProtocol,
    setXForwardedProtocol: p.setXForwardedProtocol,
    xff: parseXffRule(p.xForwardedFor),
    xffTrusted: parseXffRule(p.xForwardedForTrusted),
    maxOpenRequests: p.maxOpenRequests,
    acceptTimeoutMs: 10_000,
  });
}
