/**
 * Methods of the handler's command socket (publish.md §8): `conncheck`, `get-zmq-uris`,
 * `recover`, `refresh`, `publish`. Anything else answers `method-not-found`.
 */

import { parsePublishItems, PublishFormatError, type PublishItem } from '@pushpin-ts/grip';
import type { Logger } from '@pushpin-ts/log';
import type { TnMap, TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcCondition, type ZrpcHandler, type ZrpcRequest } from '@pushpin-ts/zhttp';
import type { HubState } from '../hub-api.js';

export interface CommandDeps {
  hub: Pick<HubState, 'isConnected' | 'recover' | 'refresh'>;
  /** Validated items go here (the inputs' intake). */
  publish(items: PublishItem[]): void;
  /** The `get-zmq-uris` value. */
  uris: Readonly<Record<string, string>>;
  log: Logger;
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
 * Returns the ZRPC handler for the command socket.
 * Rejects with ZrpcCondition `bad-request`, `item-not-found` or `method-not-found`.
 * @example new ZrpcServer([commandSpec], true, log, createCommandHandler(deps))
 */
export function createCommandHandler(deps: CommandDeps): ZrpcHandler {
  return (req: ZrpcRequest): TnValue => {
    deps.log.debug({ method: req.method }, 'IN command');
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
