/**
 * ZeroMQ transport of pushpin-publish: PUSH the item as a plain tnetstring. Unlike
 * Pushpin's tool, which hangs when nothing listens, delivery to a connected peer must
 * happen within the timeout or the command fails.
 */

import { Sender } from '@pushpin-ts/zhttp';
import { PublishArgsError, PublishSendError } from './errors.js';

const quiet = { warn: () => undefined, debug: () => undefined };

/**
 * Connects a PUSH socket to `spec` and sends `message`.
 * @throws PublishArgsError for a spec zeromq rejects; PublishSendError
 *   `nothing is listening at <spec>` when no peer took the message within `timeoutMs`.
 */
export async function publishZmq(spec: string, message: Buffer, timeoutMs: number): Promise<void> {
  const sender = new Sender('push', { specs: [spec], bind: false }, quiet);
  // Queue only to completed connections, give up after the timeout, and let an accepted
  // message drain for as long before the socket is dropped.
  sender.sock.immediate = true;
  sender.sock.sendTimeout = timeoutMs;
  sender.sock.linger = timeoutMs;
  try {
    try {
      await sender.start();
    } catch (err) {
      throw new PublishArgsError(`invalid ZeroMQ spec ${spec}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      await sender.sock.send(message);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EAGAIN') throw new PublishSendError(`nothing is listening at ${spec}`);
      throw new PublishSendError(err instanceof Error ? err.message : String(err));
    }
  } finally {
    sender.close();
  }
}
