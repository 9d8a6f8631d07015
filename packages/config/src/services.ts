import type { ServiceName } from './types.js';

const NAMES: Readonly<Record<string, ServiceName>> = {
  condure: 'condure',
  connmgr: 'condure',
  'pushpin-condure': 'condure',
  'pushpin-connmgr': 'condure',
  zurl: 'zurl',
  'pushpin-proxy': 'proxy',
  proxy: 'proxy',
  'pushpin-handler': 'handler',
  handler: 'handler',
};

/** Legacy services Pushpin accepts and pushpin-ts does not implement. */
export const unsupportedServices: readonly string[] = ['mongrel2', 'm2adapter'];

/**
 * Maps a Pushpin service name (1.36 or newer spelling) to ours; `undefined` if unknown.
 *
 * @example serviceName('pushpin-proxy') // 'proxy'
 */
export function serviceName(name: string): ServiceName | undefined {
  return Object.hasOwn(NAMES, name) ? NAMES[name] : undefined;
}

/** Pushpin's 1.36 process name for each service (used for log and pid file names). */
export const pushpinServiceName: Readonly<Record<ServiceName, string>> = {
  condure: 'condure',
  zurl: 'zurl',
  proxy: 'pushpin-proxy',
  handler: 'pushpin-handler',
};
