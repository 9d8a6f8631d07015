/**
 * The `accept` ZRPC method (architecture.md §5.2): the proxy hands over client sessions
 * together with the backend's GRIP response. We parse the instructions, adopt each session
 * (continuing the proxy's sequence numbers and credits) and start its hold.
 */
import type { TnMap, TnValue } from '@pushpin-ts/tnetstring';
import {
  decodeAcceptArgs, encodeAcceptResult, ZrpcCondition,
  type AcceptArgs, type AdoptOptions, type RequestData,
} from '@pushpin-ts/zhttp';
import {
  applyResponseFilters, FilterError, GripInstructError, parseInstruct, type Instruct,
} from '@pushpin-ts/grip';
import type { ChannelSub } from './hub.js';
import { ERROR_BODY, ERROR_HEAD, type HeldConnection, type HoldContext, type ZhttpSessionLike } from './held-connection.js';
import { ResponseHold, type PendingItem } from './response-hold.js';
import { StreamHold } from './stream-hold.js';
import { isGripResponse } from '@pushpin-ts/grip';
import type { InResponse, SessionOrigin } from './seq/index.js';

export interface AcceptDeps extends HoldContext {
  /** Takes over a handed-off ZHTTP session (ZhttpResponder.adopt). */
  adopt(o: AdoptOptions): ZhttpSessionLike;
  /** `connection_subscription_max`: channels beyond it are dropped. */
  connectionSubscriptionMax: number;
}

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: Array<[string, string]> = [];

/**
 * `b` on memory of its own: decoded packet fields are views into the whole received message,
 * which a held session would otherwise keep alive (about 1 KB per session) for its lifetime.
 */
export function ownBuffer(b: Buffer): Buffer {
  if (b.length === 0) return EMPTY;
  return b.byteLength === b.buffer.byteLength ? b : Buffer.from(b);
}

/** What the proxy sends the client itself when the instructions are invalid (grip.md §10). */
export const REJECT_RESPONSE = { code: ERROR_HEAD.code, reason: ERROR_HEAD.reason, headers: ERROR_HEAD.headers, body: ERROR_BODY };

/** Channel subscriptions of an instruct: route prefix applied, first of duplicates kept, at most `max`. */
export function instructChannels(instruct: Instruct, prefix: string, max: number): ChannelSub[] {
  const seen = new Map<string, ChannelSub>();
  for (const c of instruct.channels) {
    const name = prefix + c.name;
    if (seen.has(name) || seen.size >= max) continue;
    seen.set(name, { channel: name, filters: c.filters, ...(c.prevId !== undefined ? { prevId: c.prevId } : {}) });
  }
  return [...seen.values()];
}

/**
 * Body of an initial / no-hold response after the `build-id` response filters of its channels.
 * @throws FilterError when a filter fails.
 */
export function initialBody(instruct: Instruct, channels: readonly ChannelSub[]): Buffer {
  const filters: string[] = [];
  for (const c of channels) for (const f of c.filters) if (f === 'build-id' && !filters.includes(f)) filters.push(f);
  if (filters.length === 0) return instruct.response.body;
  // Pushpin gives the initial-response filters only the subscription meta (no prev-ids)
  return applyResponseFilters(filters, instruct.response.body, {
    subMeta: instruct.meta, pubMeta: {}, channels: new Set(), prevIds: {},
  });
}

/** Sends a complete response and forgets the session once it is on the wire. */
function respondAndForget(s: ZhttpSessionLike, head: { code: number; reason: string; headers: Array<[string, string]> }, body: Buffer): void {
  s.onend = undefined;
  s.respond(head, body, false);
  if (s.ended) return;
  if (s.buffered === 0) { s.destroy(); return; }
  s.oncredit = () => { if (s.buffered === 0 && !s.ended) s.destroy(); };
}

/**
 * Handles one `accept` call and returns the reply value.
 * @throws ZrpcCondition('bad-format') when the arguments cannot be decoded.
 */
export function handleAccept(raw: TnMap, deps: AcceptDeps): TnValue {
  let args: AcceptArgs;
  try {
    args = decodeAcceptArgs(raw);
  } catch (err) {
    deps.log.warn({ err: (err as Error).message }, 'accept: malformed arguments');
    throw new ZrpcCondition('bad-format');
  }
  const uri = args.requestData.uri;
  let instruct: Instruct;
  try {
    instruct = parseInstruct({ code: args.response.code, reason: args.response.reason, headers: args.response.headers, body: args.response.body });
  } catch (err) {
    if (!(err instanceof GripInstructError)) throw err;
    deps.log.warn({ uri, err: err.message }, `Failed to parse accept instructions: ${err.message}`);
    return encodeAcceptResult({ accepted: false, response: REJECT_RESPONSE });
  }

  instruct.response.body = ownBuffer(instruct.response.body);
  const prefix = args.channelPrefix ?? '';
  const prepared = prepareInstruct(instruct, prefix, deps);
  const request = heldRequest(instruct, args.origRequestData ?? args.requestData);
  for (const r of args.requests) {
    const cid = `${r.rid.sender}:${r.rid.id}`;
    deps.hub.connection(cid)?.abandon?.();
    const s = deps.adopt({ from: r.rid.sender, id: r.rid.id, inSeq: r.inSeq, outSeq: r.outSeq, credits: r.outCredits });
    // first packet from the new owner: the connection manager now routes this id to us
    s.keepAlive();
    const origin: SessionOrigin = {
      request, channelPrefix: prefix, debug: r.debug,
      ...(r.peerAddress !== undefined ? { peerAddress: r.peerAddress } : {}),
      ...(args.route !== undefined ? { route: args.route } : {}),
    };
    startHold(s, cid, instruct, prepared, origin, deps);
  }
  deps.log.debug({ uri, hold: instruct.hold, channels: prepared.channels.map((c) => c.channel), sessions: args.requests.length }, 'accept');
  // a stream hold sends the initial response in start() and never reads it again: do not keep
  // its headers for the life of every session (a response hold answers with it on timeout)
  if (instruct.hold !== 'response') instruct.response = { code: instruct.response.code, reason: instruct.response.reason, headers: NO_HEADERS, body: EMPTY };
  return encodeAcceptResult({ accepted: true });
}

/**
 * The part of the client's request a hold keeps: a response hold resends all of it (long-poll
 * retries); a stream hold only resolves links against its URI.
 */
function heldRequest(instruct: Instruct, req: RequestData): RequestData {
  if (instruct.hold === 'response') return { method: req.method, uri: req.uri, headers: req.headers, body: ownBuffer(req.body) };
  return { method: req.method, uri: req.uri, headers: NO_HEADERS, body: EMPTY };
}

interface PreparedInstruct {
  channels: ChannelSub[];
  body: Buffer;
  error: string | undefined;
}

/** Channels, initial body (after `build-id`) and instruct-level errors, shared by every session of an accept. */
function prepareInstruct(instruct: Instruct, prefix: string, deps: AcceptDeps): PreparedInstruct {
  const channels = instructChannels(instruct, prefix, deps.connectionSubscriptionMax);
  let error: string | undefined;
  let body = instruct.response.body;
  try {
    body = initialBody(instruct, channels);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    error = `filter error: ${err.message}`;
  }
  if (!error && instruct.hold === 'stream' && !instruct.nextLink) {
    const c = channels.find((x) => x.prevId !== undefined);
    if (c) error = `channel '${c.channel}' specifies prev-id, but no next link found`;
  }
  return { channels, body, error };
}

/** Starts what the instruct says on an adopted session (accept, or the answer to a retried long-poll). */
function startHold(s: ZhttpSessionLike, cid: string, instruct: Instruct, prep: PreparedInstruct, origin: SessionOrigin, deps: AcceptDeps): HeldConnection | undefined {
  const resp = instruct.response;
  if (prep.error) {
    deps.log.warn({ cid, err: prep.error }, 'accept: session failed');
    const body = origin.debug ? Buffer.from(`${prep.error}\n`) : ERROR_BODY;
    respondAndForget(s, ERROR_HEAD, body);
    return;
  }
  const subs = prep.channels.map((c) => ({ ...c }));
  switch (instruct.hold) {
    case 'none':
      if (instruct.nextLink) {
        // the body continues with the next link's answer (grip.md §7.1)
        const h = new StreamHold(deps, s, cid, instruct, subs, origin);
        h.start(prep.body);
        return h;
      }
      respondAndForget(s, { code: resp.code, reason: resp.reason, headers: resp.headers }, prep.body);
      return;
    case 'response': {
      const h = new ResponseHold(deps, s, cid, instruct, subs, origin);
      h.resume = (answer, pending) => resumeAfterRetry(s, cid, answer, origin, deps, pending);
      h.start();
      return h;
    }
    case 'stream': {
      const h = new StreamHold(deps, s, cid, instruct, subs, origin);
      h.start(prep.body);
      return h;
    }
  }
}

/** Hop-by-hop headers a relayed backend answer loses (grip.md §3). */
const RELAY_DROP = new Set(['connection', 'keep-alive', 'content-encoding', 'transfer-encoding', 'content-length']);

/**
 * A retried long-poll's request was answered by the backend: a GRIP answer is processed like
 * a fresh accept on the same client session; anything else is relayed as is.
 */
export function resumeAfterRetry(s: ZhttpSessionLike, cid: string, answer: InResponse, origin: SessionOrigin, deps: AcceptDeps, pending: ReadonlyArray<PendingItem> = []): void {
  if (s.ended) return;
  if (!isGripResponse(answer.headers)) {
    deps.log.debug({ cid, code: answer.code }, 'retried long-poll: plain answer relayed');
    const headers = answer.headers.filter(([n]) => !RELAY_DROP.has(n.toLowerCase()));
    respondAndForget(s, { code: answer.code, reason: answer.reason, headers }, answer.body);
    return;
  }
  let instruct: Instruct;
  try {
    instruct = parseInstruct({ code: answer.code, reason: answer.reason, headers: answer.headers, body: answer.body });
  } catch (err) {
    if (!(err instanceof GripInstructError)) throw err;
    deps.log.warn({ cid, uri: origin.request.uri, err: err.message }, `Failed to parse accept instructions: ${err.message}`);
    respondAndForget(s, ERROR_HEAD, origin.debug ? Buffer.from(`Failed to parse accept instructions: ${err.message}\n`) : ERROR_BODY);
    return;
  }
  const h = startHold(s, cid, instruct, prepareInstruct(instruct, origin.channelPrefix, deps), origin, deps);
  // items published while the retry was in flight, for the channels the new hold is on
  for (const p of pending) {
    if (!h) break;
    const sub = h.subs.get(p.channel);
    if (sub) h.deliver(p.item, sub);
  }
}
