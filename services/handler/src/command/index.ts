/**
 * The handler's command socket: a ZRPC ROUTER bound on `command_spec` (publish.md §8).
 */

import type { Logger } from '@pushpin-ts/log';
import { ZrpcServer } from '@pushpin-ts/zhttp';
import { COMMAND_MAX_REQUEST, createCommandHandler, type CommandDeps } from './command-handler.js';

export {
  createCommandHandler, tnetSize, COMMAND_MAX_REQUEST, COMMAND_TOO_LARGE, TOO_LARGE_MESSAGE, type CommandDeps,
} from './command-handler.js';

/**
 * Messages this many times the request limit are not even received: libzmq drops the
 * sender's connection (no reply is possible; the client times out and may reconnect), which
 * bounds the memory one client can make the handler hold.
 */
export const HARD_LIMIT_FACTOR = 4;
export { zmqUris, type ZmqUrisConfig } from './zmq-uris.js';

export interface CommandServer {
  close(): void;
}

/**
 * Binds the command socket on `spec` (REQ and DEALER clients).
 * @throws the bind error from zeromq.
 */
export async function startCommandServer(spec: string, deps: CommandDeps & { log: Logger }): Promise<CommandServer> {
  const server = new ZrpcServer([spec], true, deps.log, createCommandHandler(deps));
  server.sock.maxMessageSize = (deps.maxRequestBytes ?? COMMAND_MAX_REQUEST) * HARD_LIMIT_FACTOR;
  try {
    await server.start();
  } catch (err) {
    server.close();
    throw err;
  }
  deps.log.info({ spec }, 'command socket bound');
  return { close: () => server.close() };
}
