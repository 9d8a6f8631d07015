import type { Header } from '@pushpin-ts/zhttp';
import { headerValues, removeHeader } from './headers.js';

/** An `x_forwarded_for` rule (grip.md §2.5): keep the last `truncate` entries, then maybe append the peer. */
export interface XffRule {
  truncate?: number;
  append: boolean;
}

/**
 * Parses the config list (`truncate:N`, `append`); unknown items are ignored.
 * @example parseXffRule(['truncate:0', 'append']) // { truncate: 0, append: true }
 */
export function parseXffRule(items: readonly string[]): XffRule {
  const rule: XffRule = { append: false };
  for (const raw of items) {
    const item = raw.trim();
    if (item === 'append') rule.append = true;
    else if (item.startsWith('truncate:')) {
      const n = Number(item.slice(9).trim());
      if (Number.isInteger(n) && n >= 0) rule.truncate = n;
    }
  }
  return rule;
}

/**
 * Applies a rule: all X-Forwarded-For values are collected (comma split), cut to the last N,
 * the peer address appended, and written back as one header at the end. An empty rule
 * leaves the headers untouched. Also returns the logical client address (first entry, else the peer).
 */
export function applyXff(headers: readonly Header[], rule: XffRule, peer: string | undefined): { headers: Header[]; logicalPeer?: string } {
  const entries = headerValues(headers, 'X-Forwarded-For').flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (rule.truncate === undefined && !rule.append) {
    const logicalPeer = entries[0] ?? peer;
    return logicalPeer === undefined ? { headers: [...headers] } : { headers: [...headers], logicalPeer };
  }
  let list = entries;
  if (rule.truncate !== undefined) list = rule.truncate === 0 ? [] : list.slice(-rule.truncate);
  if (rule.append && peer !== undefined && peer !== '') list = [...list, peer];
  const out = removeHeader(headers, 'X-Forwarded-For');
  if (list.length) out.push(['X-Forwarded-For', list.join(', ')]);
  const logicalPeer = (rule.truncate === 0 ? undefined : entries[0]) ?? peer;
  return logicalPeer === undefined ? { headers: out } : { headers: out, logicalPeer };
}
