/**
 * `Grip-Sig` tokens (grip.md §2.4): compact JWS with claims `exp` and `iss`, signed with
 * HS256 (shared secret) or ES256 / RS256 (PEM private key, Pushpin 1.36+).
 */

import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { GripSigKeyError } from './errors.js';

export type KeyMaterial =
  | { kind: 'hmac'; secret: Buffer }
  | { kind: 'ec' | 'rsa'; pem: string };

export const DEFAULT_SIG_TTL = 3600;

/**
 * Interprets a `sig_key` / `upstream_key` value: `base64:<b64>` (decoded secret), PEM key
 * text (EC or RSA; private for signing, private or public for verifying), otherwise the
 * text itself as an HMAC secret. `file:` references must be read by the caller first.
 * @throws GripSigKeyError (PP_ERR_GRIP_SIG_KEY) for unreadable PEM or a non EC/RSA key.
 * @example parseKeySpec('changeme') // { kind: 'hmac', secret: <Buffer 63 68 …> }
 */
export function parseKeySpec(spec: string): KeyMaterial {
  if (spec.startsWith('base64:')) return { kind: 'hmac', secret: Buffer.from(spec.slice(7), 'base64') };
  if (spec.includes('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = spec.includes('PRIVATE KEY') ? createPrivateKey(spec) : createPublicKey(spec);
    } catch (err) {
      throw new GripSigKeyError(`cannot read PEM key: ${(err as Error).message}`);
    }
    const t = key.asymmetricKeyType;
    if (t === 'ec') return { kind: 'ec', pem: spec };
    if (t === 'rsa') return { kind: 'rsa', pem: spec };
    throw new GripSigKeyError(`unsupported key type: ${t ?? 'unknown'}`);
  }
  return { kind: 'hmac', secret: Buffer.from(spec, 'utf8') };
}

function algOf(key: KeyMaterial): 'HS256' | 'ES256' | 'RS256' {
  return key.kind === 'hmac' ? 'HS256' : key.kind === 'ec' ? 'ES256' : 'RS256';
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function signInput(input: string, key: KeyMaterial): Buffer {
  if (key.kind === 'hmac') return createHmac('sha256', key.secret).update(input).digest();
  try {
    // JWS ES256 wants the raw r||s signature, not DER.
    return sign('sha256', Buffer.from(input), { key: createPrivateKey(key.pem), dsaEncoding: 'ieee-p1363' });
  } catch (err) {
    throw new GripSigKeyError(`cannot sign with key: ${(err as Error).message}`);
  }
}

/**
 * Creates a Grip-Sig token. Header `{"typ":"JWT","alg":"HS256"}` (or ES256/RS256); claims
 * `{"exp":<now+ttl>,"iss":<iss>}` in the key order Pushpin writes.
 * @throws GripSigKeyError when an EC/RSA key cannot sign (e.g. a public key).
 * @example signGripSig({ iss: 'pushpin', key: parseKeySpec('changeme'), nowSeconds: 1700000000 })
 */
export function signGripSig(opts: { iss: string; key: KeyMaterial; nowSeconds: number; ttlSeconds?: number }): string {
  const header = `{"typ":"JWT","alg":"${algOf(opts.key)}"}`;
  const exp = Math.floor(opts.nowSeconds) + (opts.ttlSeconds ?? DEFAULT_SIG_TTL);
  const claims = JSON.stringify({ exp, iss: opts.iss });
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${b64url(signInput(input, opts.key))}`;
}

function verifySignature(input: string, sig: Buffer, alg: unknown, key: KeyMaterial): boolean {
  if (alg !== algOf(key)) return false;
  if (key.kind === 'hmac') {
    const expected = createHmac('sha256', key.secret).update(input).digest();
    return expected.length === sig.length && timingSafeEqual(expected, sig);
  }
  try {
    const pub = createPublicKey(key.pem);
    return verify('sha256', Buffer.from(input), { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

/**
 * Checks a Grip-Sig token: the algorithm must match the key, the signature must verify,
 * and `exp` must be a positive number later than `nowSeconds`. Returns the claims, or null.
 * Never throws.
 * @example verifyGripSig(token, parseKeySpec('changeme'), Date.now() / 1000)
 */
export function verifyGripSig(token: string, key: KeyMaterial, nowSeconds: number): { iss?: string; exp: number } | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  const [h, c, s] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (header === null || typeof header !== 'object' || claims === null || typeof claims !== 'object') return null;
  if (!verifySignature(`${h}.${c}`, Buffer.from(s, 'base64url'), (header as { alg?: unknown }).alg, key)) return null;
  const { exp, iss } = claims as { exp?: unknown; iss?: unknown };
  if (typeof exp !== 'number' || exp <= 0 || nowSeconds >= exp) return null;
  return typeof iss === 'string' ? { iss, exp } : { exp };
}
