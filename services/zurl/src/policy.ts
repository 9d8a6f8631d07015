/** Host access policy of zurl (`defpolicy`, `allow`, `deny`); bypassed by `ignore-policies`. */
export interface HostPolicy {
  defPolicy: 'allow' | 'deny';
  allow: readonly string[];
  deny: readonly string[];
}

/** Case-insensitive match with at most one `*` wildcard (`10.*`, `*.local`). */
export function matchHostPattern(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  const star = p.indexOf('*');
  if (star === -1) return p === h;
  const start = p.slice(0, star);
  const end = p.slice(star + 1);
  return h.length >= start.length + end.length && h.startsWith(start) && h.endsWith(end);
}

/**
 * Whether zurl may connect to `host` (a name or an address text).
 * defpolicy=allow: allowed unless denied (an allow entry overrides a deny);
 * defpolicy=deny: allowed only when allowed and not denied.
 *
 * @example isHostAllowed({ defPolicy: 'allow', allow: [], deny: ['127.*'] }, '127.0.0.1') // false
 */
export function isHostAllowed(policy: HostPolicy, host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const allowed = policy.allow.some((p) => matchHostPattern(p, h));
  const denied = policy.deny.some((p) => matchHostPattern(p, h));
  return policy.defPolicy === 'allow' ? !denied || allowed : allowed && !denied;
}
