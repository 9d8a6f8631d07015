import { readFileSync } from 'node:fs';
import { parseKeySpec, signGripSig, verifyGripSig, type KeyMaterial } from '@pushpin-ts/grip';
import type { Header } from '@pushpin-ts/zhttp';
import { headerValue } from './headers.js';
import type { Log } from './log.js';

/** Route fields that override the global signing settings. */
export interface SigRoute { sigIss?: string | undefined; sigKey?: string | undefined }

/**
 * Grip-Sig signing with `[proxy] sig_iss/sig_key` (route values override) and checking of an
 * upstream proxy's Grip-Sig with `upstream_key` (grip.md §2.4, §2.6). Key specs are
 * resolved once (`file:` read, `base64:` decoded) and cached until `clear()`.
 */
export class GripSigner {
  private readonly cache = new Map<string, { text: string; key: KeyMaterial } | null>();
  /** Last token per issuer and key: a token only depends on the whole second it was made in. */
  private readonly tokens = new Map<string, { second: number; token: string }>();

  constructor(
    private readonly globalIss: string,
    private readonly globalKey: string,
    private readonly upstreamKey: string,
    private readonly log: Log,
  ) {}

  /** Forgets resolved keys (routes reload, SIGHUP). */
  clear(): void { this.cache.clear(); this.tokens.clear(); }

  /** Issuer and key text for a route, when both are known. The key text is what `file:` pointed at. */
  settingsFor(route: SigRoute): { iss: string; keyText: string; key: KeyMaterial } | undefined {
    const iss = route.sigIss ?? this.globalIss;
    const spec = route.sigKey ?? this.globalKey;
    if (iss === '' || spec === '') return undefined;
    const k = this.resolve(spec);
    return k ? { iss, keyText: k.text, key: k.key } : undefined;
  }

  /** A fresh Grip-Sig token for a route, or undefined when no issuer/key is configured. */
  tokenFor(route: SigRoute, nowSeconds = Date.now() / 1000): string | undefined {
    const s = this.settingsFor(route);
    if (!s) return undefined;
    const second = Math.floor(nowSeconds);
    const k = `${s.iss}\n${s.keyText}`;
    const hit = this.tokens.get(k);
    if (hit && hit.second === second) return hit.token;
    try {
      const token = signGripSig({ iss: s.iss, key: s.key, nowSeconds: second });
      this.tokens.set(k, { second, token });
      return token;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot sign Grip-Sig; sending none');
      return undefined;
    }
  }

  /** True when `upstream_key` is set and the request's Grip-Sig verifies with it. */
  isTrusted(headers: readonly Header[], nowSeconds = Date.now() / 1000): boolean {
    if (this.upstreamKey === '') return false;
    const token = headerValue(headers, 'Grip-Sig');
    if (token === undefined || token === '') return false;
    const k = this.resolve(this.upstreamKey);
    return k !== undefined && verifyGripSig(token, k.key, nowSeconds) !== null;
  }

  private resolve(spec: string): { text: string; key: KeyMaterial } | undefined {
    const hit = this.cache.get(spec);
    if (hit !== undefined) return hit ?? undefined;
    let value: { text: string; key: KeyMaterial } | null = null;
    try {
      const text = spec.startsWith('file:') ? readFileSync(spec.slice(5), 'utf8').replace(/\r?\n$/, '') : spec;
      value = { text, key: parseKeySpec(text) };
    } catch (err) {
      this.log.error({ err: (err as Error).message, key: spec.startsWith('file:') ? spec : '(inline)' }, 'cannot use Grip-Sig key');
    }
    this.cache.set(spec, value);
    return value ?? undefined;
  }
}
