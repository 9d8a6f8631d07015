/** pushpin-publish without the process around it: build the item, send it. */

import { encode } from '@pushpin-ts/tnetstring';
import type { PublishArgs } from './args.js';
import { PublishArgsError } from './errors.js';
import { publishHttp } from './http-publish.js';
import { buildItem, itemToJson, type ReadFile } from './item.js';
import { publishZmq } from './zmq-publish.js';

export const HTTP_TIMEOUT_MS = 10_000;
export const ZMQ_TIMEOUT_MS = 3_000;

/** True for GRIP base URLs (the HTTP API); anything else is a ZeroMQ PUSH spec. */
export function isHttpSpec(spec: string): boolean {
  return spec.startsWith('http:') || spec.startsWith('https:');
}

/**
 * Publishes the item described by `a`. Resolves once the HTTP API answered 200 or a
 * ZeroMQ peer took the message.
 * @throws PublishArgsError (PP_ERR_PUBLISH_ARGS) or PublishSendError (PP_ERR_PUBLISH_SEND);
 *   main prints `Error: <message>` and exits 1.
 */
export async function runPublish(a: PublishArgs, readFile: ReadFile): Promise<void> {
  if (a.user !== undefined && a.bearer !== undefined) throw new PublishArgsError('only one authentication method can be specified');
  const item = buildItem(a, readFile);
  if (isHttpSpec(a.spec)) {
    const body = Buffer.from(JSON.stringify({ items: [itemToJson(item)] }), 'utf8');
    const auth = { ...(a.user !== undefined ? { basic: a.user } : {}), ...(a.bearer !== undefined ? { bearer: a.bearer } : {}) };
    await publishHttp(a.spec, body, auth, a.timeoutMs ?? HTTP_TIMEOUT_MS);
  } else {
    await publishZmq(a.spec, encode(item), a.timeoutMs ?? ZMQ_TIMEOUT_MS);
  }
}
