import { ZurlBadRequestError, ZurlConnectTimeoutError, ZurlMaxSizeError, ZurlPolicyError, ZurlSessionTimeoutError, ZurlTooManyRedirectsError } from './errors.js';

/** ZHTTP error conditions zurl sends (zhttp.md §3). */
export type ZurlCondition =
  | 'bad-request' | 'policy-violation' | 'remote-connection-failed' | 'connection-timeout'
  | 'tls-error' | 'undefined-condition' | 'max-size-exceeded' | 'session-timeout'
  | 'too-many-redirects' | 'connection-pool' | 'rejected';

/** Which stage the outbound request had reached when it failed. */
export type FailStage = 'connect' | 'response';

// One table: error code (ours, undici's or node's) -> condition.
const BY_CODE: Readonly<Record<string, ZurlCondition>> = {
  [new ZurlBadRequestError().code]: 'bad-request',
  [new ZurlMaxSizeError().code]: 'max-size-exceeded',
  [new ZurlSessionTimeoutError().code]: 'session-timeout',
  [new ZurlConnectTimeoutError().code]: 'connection-timeout',
  [new ZurlTooManyRedirectsError().code]: 'too-many-redirects',
  [new ZurlPolicyError().code]: 'policy-violation',
  UND_ERR_INVALID_ARG: 'bad-request',
  UND_ERR_NOT_SUPPORTED: 'bad-request',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'bad-request',
  ERR_INVALID_URL: 'bad-request',
  ERR_INVALID_HTTP_TOKEN: 'bad-request',
  ERR_INVALID_CHAR: 'bad-request',
  UND_ERR_CONNECT_TIMEOUT: 'connection-timeout',
  ETIMEDOUT: 'connection-timeout',
  UND_ERR_HEADERS_TIMEOUT: 'session-timeout',
  UND_ERR_BODY_TIMEOUT: 'session-timeout',
  UND_ERR_MAX_REDIRECTIONS: 'too-many-redirects',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'max-size-exceeded',
  EPROTO: 'tls-error',
};

// Failures of the connection itself; after the response started they are a broken body instead.
const CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'EHOSTUNREACH',
  'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'EADDRNOTAVAIL',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ENOENT',
]);

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 4) return;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    visit((e as { cause?: unknown }).cause, depth + 1);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const x of errors) visit(x, depth + 1);
  };
  visit(err, 0);
  return out;
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT') || code.includes('SIGNATURE');
}

/**
 * Maps a failure of the outbound request to the ZHTTP condition to send.
 * Connection-level failures are `remote-connection-failed` before the response started and
 * `undefined-condition` after (a backend that closes mid-body).
 *
 * @example conditionFor(Object.assign(new Error(), { code: 'ECONNREFUSED' }), 'connect') // 'remote-connection-failed'
 */
export function conditionFor(err: unknown, stage: FailStage): ZurlCondition {
  const codes = codesOf(err);
  for (const c of codes) {
    const hit = BY_CODE[c];
    if (hit) return hit;
  }
  if (codes.some(isTlsCode) || (err as { library?: unknown } | null)?.library === 'SSL routines') return 'tls-error';
  if (codes.some((c) => CONNECT_CODES.has(c))) return stage === 'connect' ? 'remote-connection-failed' : 'undefined-condition';
  return 'undefined-condition';
}
