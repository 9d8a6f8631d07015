/**
 * Loads the publish inputs (src/inputs/index.ts: HTTP API, ZeroMQ PULL/SUB, command socket)
 * if they are built. They are developed separately; without them the handler still serves
 * held sessions, it just cannot receive publishes.
 */
import type { PushpinConfig } from '@pushpin-ts/config';
import type { Logger } from '@pushpin-ts/log';
import type { Hub } from './hub-api.js';
import type { HandlerLog } from './log.js';

export type StartPublishInputs = (opts: { config: PushpinConfig; hub: Hub; log: Logger; instanceId: string }) => Promise<{ close(): void }>;

/** Returns the inputs' starter, or undefined (with a warning) when src/inputs is not there. */
export async function loadPublishInputs(log: HandlerLog): Promise<StartPublishInputs | undefined> {
  const spec = './inputs/index.js';
  try {
    const m = (await import(spec)) as { startPublishInputs?: StartPublishInputs };
    if (typeof m.startPublishInputs === 'function') return m.startPublishInputs;
    log.warn({}, 'publish inputs module has no startPublishInputs: publishing disabled');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('inputs/index.js')) throw err;
    log.warn({}, 'publish inputs not built: publishing disabled');
  }
  return undefined;
}
