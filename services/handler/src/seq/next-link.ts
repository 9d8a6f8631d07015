/**
 * Pure helpers for next links and retries (grip.md §8, §9): URI resolution, `Grip-Last`
 * headers, retry back-off.
 */
import type { Header } from '@pushpin-ts/zhttp';
import type { ChannelSub } from '../hub.js';

/** Next-link fetch retries before `Failed to retrieve next link.` */
export const NEXT_LINK_RETRY_MAX = 5;
/** First retry delay (ms); doubles per retry. */
export const NEXT_LINK_RETRY_BASE_MS = 1000;
export const RETRY_JITTER_MS = 1000;

/**
 * Resolves a Grip-Link target against the current URI; undefined when it is not a valid
 * http(s) URI.
 * @example resolveLink('http://h:1/a/b?x', '/c?n=2') // 'http://h:1/c?n=2'
 */
export function resolveLink(base: string, link: string): string | undefined {
  try {
    const u = new URL(link, base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.toString();
  } catch {
    return undefined;
  }
}

/** `Grip-Last: <channel>; last-id=<id>` for every subscription with a prev-id (route prefix removed). */
export function gripLastHeaders(subs: Iterable<ChannelSub>, prefix: string): Header[] {
  const out: Header[] = [];
  for (const s of subs) {
    if (s.prevId === undefined) continue;
    const name = prefix && s.channel.startsWith(prefix) ? s.channel.slice(prefix.length) : s.channel;
    out.push(['Grip-Last', `${name}; last-id=${s.prevId}`]);
  }
  return out;
}

/**
 * Delay before retry number `n` (0-based): base·2ⁿ plus a 0–999 ms jitter scaled like base.
 * @example retryDelay(2, 1000, () => 0) // 4000
 */
export function retryDelay(n: number, baseMs: number, rand: () => number = Math.random): number {
  const jitter = Math.floor(rand() * RETRY_JITTER_MS * (baseMs / NEXT_LINK_RETRY_BASE_MS));
  return baseMs * 2 ** n + jitter;
}

/** `host[:port]` of an absolute URI, for the Host header of internal requests. */
export function authorityOf(uri: string): string | undefined {
  try { return new URL(uri).host; } catch { return undefined; }
}

/** Client headers of a retried request: every `Grip-*` header removed, Grip-Last added. */
export function retryHeaders(client: readonly Header[], gripLast: readonly Header[]): Header[] {
  return [...client.filter(([n]) => !n.toLowerCase().startsWith('grip-')), ...gripLast];
}
