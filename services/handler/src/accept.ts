/**
 * The `accept` ZRPC method (architecture.md §5.2): the proxy hands over client sessions
 * together with the backend's GRIP response. We parse the instructions, adopt each session
 * (continuing the proxy's sequence numbers and credits) and start its hold.
 */
import type { TnMap, TnValue } from '@pushpin-ts/tnetstring';
import {
  decodeAcceptArgs, encodeAcceptResult, ZrpcCondition,
  type AcceptArgs, type AcceptRequest, type AdoptOptions,
} from '@pushpin-ts/zhttp';
import {
  applyResponseFilters, FilterError, GripInstructError, parseInstruct, type Instruct,
} from '@pushpin-ts/grip';
import type { ChannelSub } from './hub.js';
import { ERROR_BODY, ERROR_HEAD, type HoldContext, type ZhttpSessionLike } from './held-connection.js';
import { ResponseHold } from './response-hold.js';
import { StreamHold } from './stream-hold.js';

export interface AcceptDeps extends HoldContext {
  /** Takes over a handed-off ZHTTP session (ZhttpResponder.adopt). */
  adopt(o: AdoptOptions): ZhttpSessionLike;
  /** `connection_subscription_max`: channels beyond it are dropped. */
  connectionSubscriptionMax: number;
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
  const prevIds: Record<string, string> = {};
  for (const c of channels) if (c.prevId !== undefined) prevIds[c.channel] = c.prevId;
  return applyResponseFilters(filters, instruct.response.body, {
    subMeta: instruct.meta, pubMeta: {}, channels: new Set(channels.map((c) => c.channel)), prevIds,
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

  const channels = instructChannels(instruct, args.channelPrefix ?? '', deps.connectionSubscriptionMax);
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
  if (instruct.nextLink) deps.log.debug({ uri, link: instruct.nextLink.uri }, 'accept: next links not supported yet, ignored');

  for (const r of args.requests) startSession(r, instruct, channels, body, error, deps);
  deps.log.debug({ uri, hold: instruct.hold, channels: channels.map((c) => c.channel), sessions: args.requests.length }, 'accept');
  return encodeAcceptResult({ accepted: true });
}

function startSession(r: AcceptRequest, instruct: Instruct, channels: readonly ChannelSub[], body: Buffer, error: string | undefined, deps: AcceptDeps): void {
  const cid = `${r.rid.sender}:${r.rid.id}`;
  deps.hub.connection(cid)?.abandon?.();
  const s = deps.adopt({ from: r.rid.sender, id: r.rid.id, inSeq: r.inSeq, outSeq: r.outSeq, credits: r.outCredits });
  // first packet from the new owner: the connection manager now routes this id to us
  s.keepAlive();
  const resp = instruct.response;
  if (error) {
    deps.log.warn({ cid, err: error }, 'accept: session failed');
    respondAndForget(s, ERROR_HEAD, ERROR_BODY);
    return;
  }
  const subs = channels.map((c) => ({ ...c }));
  switch (instruct.hold) {
    case 'none':
      respondAndForget(s, { code: resp.code, reason: resp.reason, headers: resp.headers }, body);
      return;
    case 'response':
      new ResponseHold(deps, s, cid, instruct, subs).start();
      return;
    case 'stream':
      new StreamHold(deps, s, cid, instruct, subs).start(body);
      return;
  }
}
