/**
 * The handler's command socket: a ZRPC ROUTER bound on `command_spec` (publish.md §8).
 */

import type { Logger } from '@pushpin-ts/log';
import { ZrpcServer } from '@pushpin-ts/zhttp';
import { createCommandHandler, type CommandDeps } from './command-handler.js';

export { createCommandHandler, type CommandDeps } from './command-handler.js';
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
  try {
    await server.start();
  } catch (err) {
    server.close();
    throw err;
  }
  deps.log.info({ spec }, 'command socket bound');
  return { close: () => server.close() };
}
