import { iniSection } from '@pushpin-ts/config';
import { ZurlConfigError } from './errors.js';

/** Settings of the zurl role (zurl.conf `[General]`, config.md §9). */
export interface ZurlSettings {
  /** ZHTTP `from` and ROUTER identity. */
  instanceId: string;
  /** PULL, first packets (bind). */
  inSpecs: string[];
  /** ROUTER, later packets (bind, identity = instanceId). */
  inStreamSpecs: string[];
  /** PUB, all packets to initiators (bind). */
  outSpecs: string[];
  /** Req-mode ROUTER (not implemented; logged when set). */
  inReqSpecs: string[];
  maxOpenRequests: number;
  /** Request-body window granted to initiators, and the response-side buffering threshold. */
  bufferSize: number;
  /** Seconds without backend or initiator activity before `session-timeout`. */
  timeoutSec: number;
  defPolicy: 'allow' | 'deny';
  allow: string[];
  deny: string[];
}

/** Every key zurl.conf may hold, with the template's values (config.md §9). */
export const ZURL_DEFAULTS: Readonly<ZurlSettings> = Object.freeze({
  instanceId: '',
  inSpecs: [],
  inStreamSpecs: [],
  outSpecs: [],
  inReqSpecs: [],
  maxOpenRequests: 2000,
  bufferSize: 200_000,
  timeoutSec: 600,
  defPolicy: 'allow',
  allow: [],
  deny: ['127.*', '10.*', '192.168.*', '*.local'],
});

/**
 * Reads the `[General]` section of zurl.conf into `key → value` (with the `ini` package, via
 * @pushpin-ts/config); keys before any section header count as `[General]`, as in QSettings.
 *
 * @example parseGeneralSection('[General]\nin_spec=ipc:///tmp/x\n') // Map { 'in_spec' => 'ipc:///tmp/x' }
 */
export function parseGeneralSection(text: string): Map<string, string> {
  return iniSection(text, 'general');
}

function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function posInt(key: string, v: string, allowZero: boolean): number {
  if (!/^\d+$/.test(v)) throw new ZurlConfigError(`zurl.conf: ${key} must be a non-negative integer, got '${v}'`);
  const n = Number(v);
  if (!allowZero && n === 0) throw new ZurlConfigError(`zurl.conf: ${key} must be greater than 0`);
  return n;
}

/** Explicit overrides from the command line (they win over the file). */
export interface ZurlOverrides {
  instanceId?: string | undefined;
  inSpec?: string | undefined;
  inStreamSpec?: string | undefined;
  outSpec?: string | undefined;
}

/**
 * Builds validated, frozen settings from `[General]` values plus command-line overrides.
 * An empty instance id is replaced by `newId()` (zurl uses a random `{uuid}`).
 * @throws ZurlConfigError (PP_ERR_ZURL_CONFIG) on a bad number/policy or a missing endpoint.
 * @example buildSettings(parseGeneralSection(text), {}, () => '{x}')
 */
export function buildSettings(values: ReadonlyMap<string, string>, over: ZurlOverrides, newId: () => string): Readonly<ZurlSettings> {
  const s: ZurlSettings = { ...ZURL_DEFAULTS, inSpecs: [], inStreamSpecs: [], outSpecs: [], inReqSpecs: [], allow: [], deny: [...ZURL_DEFAULTS.deny] };
  for (const [key, v] of values) {
    switch (key) {
      case 'instance_id': s.instanceId = v; break;
      case 'in_spec': s.inSpecs = list(v); break;
      case 'in_stream_spec': s.inStreamSpecs = list(v); break;
      case 'out_spec': s.outSpecs = list(v); break;
      case 'in_req_spec': s.inReqSpecs = list(v); break;
      case 'max_open_requests': if (v !== '') s.maxOpenRequests = posInt(key, v, false); break;
      case 'buffer_size': if (v !== '') s.bufferSize = posInt(key, v, false); break;
      case 'timeout': if (v !== '') s.timeoutSec = posInt(key, v, false); break;
      case 'defpolicy':
        if (v !== 'allow' && v !== 'deny' && v !== '') throw new ZurlConfigError(`zurl.conf: defpolicy must be allow or deny, got '${v}'`);
        if (v !== '') s.defPolicy = v;
        break;
      case 'allow': s.allow = list(v); break;
      case 'deny': s.deny = list(v); break;
      default: break; // in_hwm, out_hwm and unknown keys are accepted and ignored
    }
  }
  if (over.instanceId !== undefined) s.instanceId = over.instanceId;
  if (over.inSpec !== undefined) s.inSpecs = list(over.inSpec);
  if (over.inStreamSpec !== undefined) s.inStreamSpecs = list(over.inStreamSpec);
  if (over.outSpec !== undefined) s.outSpecs = list(over.outSpec);
  if (s.instanceId === '') s.instanceId = newId();
  if (!s.inSpecs.length) throw new ZurlConfigError('zurl.conf: in_spec is required');
  if (!s.inStreamSpecs.length) throw new ZurlConfigError('zurl.conf: in_stream_spec is required');
  if (!s.outSpecs.length) throw new ZurlConfigError('zurl.conf: out_spec is required');
  Object.freeze(s.inSpecs); Object.freeze(s.inStreamSpecs); Object.freeze(s.outSpecs);
  Object.freeze(s.inReqSpecs); Object.freeze(s.allow); Object.freeze(s.deny);
  return Object.freeze(s);
}
