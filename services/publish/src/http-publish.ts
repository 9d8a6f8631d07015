/**
 * HTTP transport of pushpin-publish (test-handler.md §2.3): `POST <base>/publish/` with
 * `{"items":[item]}`; success is status 200, anything else reports the trimmed body.
 */

import http from 'node:http';
import https from 'node:https';
import { PublishArgsError, PublishSendError } from './errors.js';

export interface GripBaseUrl {
  scheme: string;
  /** As written, port included: the Host header. */
  host: string;
  path: string;
  connectHost: string;
  connectPort: number;
}

/**
 * Splits `scheme://host[:port][/path]` the way Pushpin's tool does (no query handling: a
 * query string ends up in the host or the path).
 * @throws PublishArgsError `invalid URL`.
 * @example parseBaseUrl('http://localhost:5561') // { scheme: 'http', host: 'localhost:5561', path: '', connectHost: 'localhost', connectPort: 5561 }
 */
export function parseBaseUrl(url: string): GripBaseUrl {
  const invalid = new PublishArgsError('invalid URL');
  const colon = url.indexOf(':');
  if (colon < 0) throw invalid;
  const scheme = url.slice(0, colon);
  const rest = url.slice(colon + 1);
  if (!rest.startsWith('//')) throw invalid;
  const s = rest.slice(2);
  const slash = s.indexOf('/');
  const host = slash >= 0 ? s.slice(0, slash) : s;
  const path = slash >= 0 ? s.slice(slash) : '';
  let connectHost = host;
  let connectPort = scheme === 'https' ? 443 : 80;
  // [v6]:port is accepted too (Pushpin's tool cannot parse it).
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(host);
  if (!m) throw invalid;
  if (m[2] !== undefined) {
    if (!/^\d+$/.test(m[2]) || Number(m[2]) > 65535) throw invalid;
    connectPort = Number(m[2]);
  }
  connectHost = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { scheme, host, path, connectHost, connectPort };
}

export interface HttpAuth { basic?: string; bearer?: string }

/**
 * Posts `body` (the JSON of `{"items":[item]}`) and resolves on status 200.
 * @throws PublishArgsError `Authentication requires https` / `invalid URL`;
 *   PublishSendError with the trimmed response body, a connection error or a timeout.
 */
export function publishHttp(baseUrl: string, body: Buffer, auth: HttpAuth, timeoutMs: number): Promise<void> {
  const u = parseBaseUrl(baseUrl);
  const headers: Record<string, string> = {
    Host: u.host,
    'Content-Type': 'application/json',
    'Content-Length': String(body.length),
  };
  if (auth.basic !== undefined || auth.bearer !== undefined) {
    if (u.scheme !== 'https') throw new PublishArgsError('Authentication requires https');
    headers['Authorization'] = auth.basic !== undefined ? `Basic ${Buffer.from(auth.basic, 'utf8').toString('base64')}` : `Bearer ${auth.bearer ?? ''}`;
  }
  const mod = u.scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve();
    };
    let req: http.ClientRequest;
    try {
      req = mod.request({
        host: u.connectHost, port: u.connectPort, method: 'POST', path: `${u.path}/publish/`,
        headers, agent: false, setHost: false, ...(u.scheme === 'https' ? { servername: u.connectHost } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 200) done();
          else done(new PublishSendError(Buffer.concat(chunks).toString('utf8').trim()));
        });
        res.on('error', (e) => done(new PublishSendError(e.message)));
      });
    } catch (err) {
      done(new PublishArgsError(err instanceof Error ? err.message : String(err)));
      return;
    }
    const timer = setTimeout(() => {
      done(new PublishSendError(`no response from ${baseUrl} within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => done(new PublishSendError(e.message)));
    req.end(body);
  });
}
