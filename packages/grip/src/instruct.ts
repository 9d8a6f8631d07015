/**
 * GRIP instructions from a backend response (grip.md §3–§6, §12): `Grip-*` headers and
 * the application/grip-instruct JSON body, parsed into one {@link Instruct}.
 */

import { GripInstructError } from './errors.js';
import {
  getHeaderValue, getHeaderValues, getParam, hasHeader, parseHeaderParamList, parseHeaderParams,
  splitHeaderList, stripInstructHeaders, type HeaderList,
} from './header-params.js';
import { applyJsonInstruct } from './instruct-json.js';
import { statusReason } from './status-reasons.js';
import { fromBase64, qtToInt, setKey } from './value-util.js';

export type HoldMode = 'none' | 'response' | 'stream';
export type KeepAliveMode = 'idle' | 'interval';

export interface InstructChannel {
  name: string;
  /** Absent when not given or empty. */
  prevId?: string;
  filters: string[];
}

export interface KeepAlive {
  data: Buffer;
  /** Seconds, at least 1. */
  timeout: number;
  mode: KeepAliveMode;
}

/** An HTTP response as the codecs see it. */
export interface HttpResponseData {
  code: number;
  reason: string;
  headers: HeaderList;
  body: Buffer;
}

export interface Instruct {
  hold: HoldMode;
  channels: InstructChannel[];
  /** Response-hold timeout in seconds (default 55, at least 5). */
  timeout: number;
  keepAlive?: KeepAlive;
  meta: Record<string, string>;
  /** The `Grip-Status` override, when given. Already applied to `response`. */
  status?: { code: number; reason: string };
  /** `Grip-Link: <uri>; rel=next`; `uri` as written (the caller resolves it). */
  nextLink?: { uri: string; timeout: number };
  goneLink?: string;
  /** `Grip-Expose-Headers` names, when present. Already applied to `response.headers`. */
  exposeHeaders?: string[];
  /** What the client should see (initial / timeout response), without Grip-*, hop-by-hop or Content-Length headers. */
  response: HttpResponseData;
}

export const DEFAULT_RESPONSE_TIMEOUT = 55;
export const MINIMUM_RESPONSE_TIMEOUT = 5;
export const DEFAULT_KEEP_ALIVE_TIMEOUT = 55;
export const DEFAULT_NEXT_LINK_TIMEOUT = 120;
export const MAX_FILTERS_PER_CHANNEL = 5;
export const GRIP_INSTRUCT_CONTENT_TYPE = 'application/grip-instruct';

function fail(message: string): never {
  throw new GripInstructError(message);
}

/** Media type of the first Content-Type header (text before `;`, trimmed), or undefined. */
export function contentMediaType(headers: HeaderList): string | undefined {
  const ct = getHeaderValue(headers, 'Content-Type');
  if (ct === undefined || ct === '') return undefined;
  return parseHeaderParams(ct)?.value;
}

/**
 * True when a backend response carries GRIP instructions: Content-Type media type exactly
 * `application/grip-instruct`, or any header whose name starts with `Grip-` (case-insensitive).
 * @example isGripResponse([['Grip-Hold', 'stream']]) // true
 */
export function isGripResponse(headers: HeaderList): boolean {
  if (contentMediaType(headers) === GRIP_INSTRUCT_CONTENT_TYPE) return true;
  return headers.some(([name]) => name.length >= 5 && name.slice(0, 5).toLowerCase() === 'grip-');
}

/**
 * Decodes Grip-Keep-Alive `format=cstring` data: `\\`, `\r`, `\n`, `\xHH`; any other escaped
 * character is dropped. Returns null for a lone trailing `\`, bad hex, or (as in Pushpin) an
 * empty result.
 */
export function decodeCString(input: Buffer): Buffer | null {
  const out: number[] = [];
  for (let n = 0; n < input.length; ++n) {
    const c = input[n] as number;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    if (n + 1 >= input.length) return null;
    ++n;
    const e = input[n];
    if (e === 0x5c) out.push(0x5c);
    else if (e === 0x72) out.push(0x0d);
    else if (e === 0x6e) out.push(0x0a);
    else if (e === 0x78) {
      if (n + 2 >= input.length) return null;
      const hex = input.subarray(n + 1, n + 3).toString('latin1');
      n += 2;
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      out.push(parseInt(hex, 16));
    }
  }
  // Pushpin's decoder returns a null QByteArray when nothing was appended, which it reports as an error.
  return out.length > 0 ? Buffer.from(out) : null;
}

function parseChannels(headers: HeaderList): InstructChannel[] {
  const channels: InstructChannel[] = [];
  for (const element of splitHeaderList(getHeaderValues(headers, 'Grip-Channel'))) {
    const p = parseHeaderParams(element);
    if (!p) continue; // unterminated quote: Pushpin skips the element silently
    if (p.value === '') fail('failed to parse Grip-Channel');
    const c: InstructChannel = { name: p.value, filters: [] };
    const prevId = getParam(p.params, 'prev-id');
    if (prevId) c.prevId = prevId;
    for (const [k, v] of p.params) if (k === 'filter') c.filters.push(v);
    if (c.filters.length > MAX_FILTERS_PER_CHANNEL) fail(`too many filters for channel '${c.name}'`);
    channels.push(c);
  }
  return channels;
}

function parseKeepAlive(headers: HeaderList): KeepAlive | undefined {
  const raw = getHeaderValue(headers, 'Grip-Keep-Alive');
  if (!raw) return undefined;
  const p = parseHeaderParams(raw);
  if (!p) return undefined;
  if (p.value === '') fail('Grip-Keep-Alive cannot be empty');

  const modeStr = getParam(p.params, 'mode');
  let mode: KeepAliveMode;
  if (!modeStr || modeStr === 'idle') mode = 'idle';
  else if (modeStr === 'interval') mode = 'interval';
  else fail(`no such Grip-Keep-Alive mode '${modeStr}'`);

  let timeout = DEFAULT_KEEP_ALIVE_TIMEOUT;
  const timeoutStr = getParam(p.params, 'timeout');
  if (timeoutStr !== undefined) {
    const t = qtToInt(timeoutStr);
    if (t === undefined) fail('failed to parse Grip-Keep-Alive timeout value');
    if (t < 0) fail('Grip-Keep-Alive timeout has invalid value');
    timeout = t;
  }

  const format = getParam(p.params, 'format');
  let data: Buffer;
  if (!format || format === 'raw') data = Buffer.from(p.value, 'utf8');
  else if (format === 'cstring') {
    data = decodeCString(Buffer.from(p.value, 'utf8')) ?? fail('failed to parse Grip-Keep-Alive cstring format');
  } else if (format === 'base64') data = fromBase64(p.value);
  else fail(`no such Grip-Keep-Alive format '${format}'`);

  return { data, timeout, mode };
}

function parseMeta(headers: HeaderList): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const element of splitHeaderList(getHeaderValues(headers, 'Grip-Set-Meta'))) {
    const pairs = parseHeaderParamList(element);
    if (!pairs) continue;
    const first = pairs[0];
    if (!first) fail('Grip-Set-Meta cannot be empty');
    setKey(meta, first[0], first[1]);
  }
  return meta;
}

function parseStatus(headers: HeaderList): { code: number; reason: string } | undefined {
  const raw = getHeaderValue(headers, 'Grip-Status');
  if (!raw) return undefined;
  const sp = raw.indexOf(' ');
  const code = qtToInt(sp !== -1 ? raw.slice(0, sp) : raw);
  if (code === undefined || code < 0 || code > 999) fail('Grip-Status contains invalid status code');
  return { code, reason: sp !== -1 ? raw.slice(sp + 1) : '' };
}

function isValidLink(uri: string): boolean {
  try {
    new URL(uri, 'http://base.invalid/');
    return true;
  } catch {
    return false;
  }
}

function parseLinks(headers: HeaderList): { next?: { uri: string; timeout: number }; gone?: string } {
  const out: { next?: { uri: string; timeout: number }; gone?: string } = {};
  for (const element of splitHeaderList(getHeaderValues(headers, 'Grip-Link'))) {
    const p = parseHeaderParams(element);
    if (!p || p.params.length < 1) continue; // fewer than two segments: ignored
    const v = p.value;
    if (v.length <= 2 || !v.startsWith('<') || !v.endsWith('>')) fail('failed to parse Grip-Link value');
    const uri = v.slice(1, -1);
    if (!isValidLink(uri)) fail('Grip-Link contains invalid link');
    const rel = getParam(p.params, 'rel');
    if (rel === 'next') {
      let timeout = DEFAULT_NEXT_LINK_TIMEOUT;
      const t = getParam(p.params, 'timeout');
      if (t !== undefined) {
        const n = qtToInt(t);
        if (n === undefined) fail('failed to parse Grip-Link timeout value');
        if (n < 0) fail('Grip-Link timeout has invalid value');
        timeout = n;
      }
      out.next = { uri, timeout };
    } else if (rel === 'gone') {
      out.gone = uri;
    }
  }
  return out;
}

/**
 * Parses the GRIP instructions of a backend response (headers first, then an
 * application/grip-instruct body, whose `hold` overrides and whose `response` replaces
 * what the client sees).
 * @throws GripInstructError (PP_ERR_GRIP_INSTRUCT) with Pushpin's message, e.g.
 *   `Grip-Hold must be set to either 'response' or 'stream'`.
 * @example parseInstruct({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'stream'], ['Grip-Channel', 'a']], body: Buffer.alloc(0) }).hold // 'stream'
 */
export function parseInstruct(resp: HttpResponseData): Instruct {
  const { headers } = resp;
  let hold: HoldMode = 'none';
  if (hasHeader(headers, 'Grip-Hold')) {
    const h = getHeaderValue(headers, 'Grip-Hold');
    if (h === 'response') hold = 'response';
    else if (h === 'stream') hold = 'stream';
    else fail("Grip-Hold must be set to either 'response' or 'stream'");
  }

  const channels = parseChannels(headers);

  let timeout: number | undefined;
  if (hasHeader(headers, 'Grip-Timeout')) {
    timeout = qtToInt(getHeaderValue(headers, 'Grip-Timeout') ?? '');
    if (timeout === undefined) fail('failed to parse Grip-Timeout');
    if (timeout < 0) fail('Grip-Timeout has invalid value');
  }

  const exposeHeaders = splitHeaderList(getHeaderValues(headers, 'Grip-Expose-Headers'));
  const keepAlive = parseKeepAlive(headers);
  const meta = parseMeta(headers);
  const status = parseStatus(headers);
  const links = parseLinks(headers);

  const exposed = new Set(exposeHeaders.map((h) => h.toLowerCase()));
  const response: HttpResponseData = {
    code: status ? status.code : resp.code,
    reason: status ? status.reason : resp.reason,
    headers: stripInstructHeaders(headers).filter(([n]) => exposed.size === 0 || exposed.has(n.toLowerCase())),
    body: resp.body,
  };

  const out: Instruct = {
    hold, channels, timeout: DEFAULT_RESPONSE_TIMEOUT, meta, response,
  };
  if (keepAlive) out.keepAlive = keepAlive;

  if (contentMediaType(headers) === GRIP_INSTRUCT_CONTENT_TYPE) {
    if (resp.code !== 200) fail('response code for application/grip-instruct content must be 200');
    const j = applyJsonInstruct(resp.body, out, fail);
    if (j.timeout !== undefined) timeout = j.timeout;
  }

  if (out.response.reason === '') out.response.reason = statusReason(out.response.code);
  if (status) out.status = { code: status.code, reason: status.reason || statusReason(status.code) };
  out.timeout = Math.max(timeout ?? DEFAULT_RESPONSE_TIMEOUT, MINIMUM_RESPONSE_TIMEOUT);
  if (out.keepAlive) {
    if (out.keepAlive.data.length === 0) delete out.keepAlive;
    else out.keepAlive.timeout = Math.max(out.keepAlive.timeout, 1);
  }
  if (links.next) out.nextLink = links.next;
  if (links.gone !== undefined) out.goneLink = links.gone;
  if (exposeHeaders.length > 0) out.exposeHeaders = exposeHeaders;
  return out;
}
