/**
 * Methods of the handler's command socket (publish.md §8): `conncheck`, `get-zmq-uris`,
 * `recover`, `refresh`, `publish`. Anything else answers `method-not-found`; ill-typed
 * arguments `bad-request`; a request over the size limit `bad-request` with
 * {@link TOO_LARGE_MESSAGE} (our limit; Pushpin has none). Malformed tnetstrings are answered
 * `bad-format` by the ZRPC server itself.
 */

import { parsePublishItems, PublishFormatError, type PublishItem } from '@pushpin-ts/grip';
import type { Logger } from '@pushpin-ts/log';
import { TnFloat, type TnMap, type TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcCondition, type ZrpcHandler, type ZrpcRequest } from '@pushpin-ts/zhttp';
import type { HubState } from '../hub-api.js';

/** Log code of a command request refused for its size. */
export const COMMAND_TOO_LARGE = 'PP_ERR_HANDLER_COMMAND_TOO_LARGE';
/** `value` of the `bad-request` answer to a request over the limit. */
export const TOO_LARGE_MESSAGE = 'Request too large.';
/** Default size limit of a command request (bytes, as decoded): ten times the HTTP API's body limit. */
export const COMMAND_MAX_REQUEST = 10_000_000;

export interface CommandDeps {
  hub: Pick<HubState, 'isConnected' | 'recover' | 'refresh'>;
  /** Validated items go here (the inputs' intake). */
  publish(items: PublishItem[]): void;
  /** The `get-zmq-uris` value. */
  uris: Readonly<Record<string, string>>;
  log: Logger;
  /** Requests whose decoded size exceeds this are refused; default {@link COMMAND_MAX_REQUEST}. */
  maxRequestBytes?: number;
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function text(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
}

function has(args: TnMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(args, key);
}

function conncheck(deps: CommandDeps, args: TnMap): TnValue {
  const ids = args['ids'];
  if (!Array.isArray(ids) || !ids.every(isBytes)) throw new ZrpcCondition('bad-request');
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const id of ids) {
    const cid = text(id);
    if (seen.has(cid)) continue;
    seen.add(cid);
    if (deps.hub.isConnected(cid)) out.push(Buffer.from(id));
  }
  return out;
}

function refresh(deps: CommandDeps, args: TnMap): TnValue {
  // `cid` wins when both are given, as in Pushpin's RefreshWorker.
  if (has(args, 'cid')) {
    const cid = args['cid'];
    if (!isBytes(cid)) throw new ZrpcCondition('bad-request');
    if (!deps.hub.refresh({ cid: text(cid) })) throw new ZrpcCondition('item-not-found');
    return null;
  }
  if (has(args, 'channel')) {
    const channel = args['channel'];
    if (!isBytes(channel)) throw new ZrpcCondition('bad-request');
    deps.hub.refresh({ channel: text(channel) });
    return null;
  }
  throw new ZrpcCondition('bad-request');
}

function publish(deps: CommandDeps, args: TnMap): TnValue {
  let items: PublishItem[];
  try {
    items = parsePublishItems(args, { binary: true });
  } catch (err) {
    if (err instanceof PublishFormatError) throw new ZrpcCondition('bad-request', err.message);
    throw err;
  }
  // Pushpin answers first and then publishes; the reply does not depend on delivery.
  setImmediate(() => deps.publish(items));
  return null;
}

/**
 * Bytes `v` takes in a tnetstring, give or take the length prefixes; stops counting past
 * `limit`.
 */
export function tnetSize(v: TnValue, limit = Infinity): number {
  let n = 0;
  const walk = (x: TnValue): void => {
    if (n > limit) return;
    if (x instanceof Uint8Array) n += x.byteLength + 3;
    else if (typeof x === 'string') n += Buffer.byteLength(x) + 3;
    else if (Array.isArray(x)) { n += 3; for (const e of x) walk(e); }
    else if (x instanceof Map) { n += 3; for (const [k, e] of x) { n += k.length + 3; walk(e); } }
    else if (x !== null && typeof x === 'object' && !(x instanceof TnFloat)) {
      n += 3;
      for (const k of Object.keys(x)) { n += k.length + 3; walk((x as TnMap)[k]); }
    } else n += 8;
  };
  walk(v);
  return n;
}

/**
 * Returns the ZRPC handler for the command socket.
 * Rejects with ZrpcCondition `bad-request` (also for requests over `maxRequestBytes`),
 * `item-not-found` or `method-not-found`.
 * @example new ZrpcServer([commandSpec], true, log, createCommandHandler(deps))
 */
export function createCommandHandler(deps: CommandDeps): ZrpcHandler {
  const max = deps.maxRequestBytes ?? COMMAND_MAX_REQUEST;
  return (req: ZrpcRequest): TnValue => {
    deps.log.debug({ method: req.method }, 'IN command');
    const size = tnetSize(req.args, max);
    if (size > max) {
      deps.log.warn({ code: COMMAND_TOO_LARGE, method: req.method, limit: max }, `IN command: request over ${max} bytes, refused`);
      throw new ZrpcCondition('bad-request', TOO_LARGE_MESSAGE);
    }
    switch (req.method) {
      case 'conncheck': return conncheck(deps, req.args);
      case 'get-zmq-uris': return { ...deps.uris };
      case 'recover':
        deps.hub.recover();
        return null;
      case 'refresh': return refresh(deps, req.args);
      case 'publish': return publish(deps, req.args);
      default: throw new ZrpcCondition('method-not-found');
    }
  };
}
