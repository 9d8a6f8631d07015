import { parseListen } from '@pushpin-ts/config';
import { expandBase } from '@pushpin-ts/zhttp';
import { ConnmgrArgsError } from './errors.js';

/** One `--listen` entry. */
export type ListenSpec =
  | { kind: 'tcp'; addr: string; port: number; tls: boolean; defaultCert?: string }
  | { kind: 'local'; path: string; mode?: number };

/** Parsed, validated command line (condure-compatible). */
export interface ConnmgrArgs {
  listens: ListenSpec[];
  /** PUSH (first packets), ROUTER (later packets), SUB (responder packets) endpoints. */
  pushSpecs: string[];
  routerSpecs: string[];
  subSpecs: string[];
  /** Connect instead of bind (`--zclient-connect`). */
  connect: boolean;
  bufferSize: number;
  maxConn: number;
  id: string;
  logLevel: number;
  logFile?: string;
  tlsDir?: string;
  /**
   * `--reuse-port`: TCP listeners set SO_REUSEPORT, so several connection-manager processes
   * can listen on the same port and the kernel spreads new connections over them (the
   * runner's `--connmgr-workers`). Default: exclusive ports, a second bind fails.
   */
  reusePort: boolean;
  /**
   * `--responder-wait=<ms>` (bind mode): clients are taken once a ZHTTP responder (proxy,
   * handler) has connected, plus a short grace, or after this long in any case; 0 takes
   * clients at once. Default 3000.
   */
  responderWaitMs: number;
  /** Options we accept for compatibility but do not act on (reported as a warning). */
  ignored: string[];
  help: boolean;
}

const VALUED = new Set(['listen', 'zclient-stream', 'buffer-size', 'stream-maxconn', 'id', 'log-level',
  'log-file', 'tls-identities-dir', 'zclient-req', 'zserver-stream', 'zserver-req', 'mem-only', 'body-buffer-size',
  'messages-max', 'req-maxconn', 'connection-blocks-max', 'deny-out-internal-only', 'sizes-max', 'responder-wait']);
const FLAGS = new Set(['zclient-connect', 'reuse-port', 'help', 'compression', 'deny-out-internal', 'version']);

function intOpt(name: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new ConnmgrArgsError(`--${name} must be a number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new ConnmgrArgsError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/**
 * Parses one `--listen` value: `<addr:port>,stream[,tls][,default-cert=<name>]` or
 * `<path>,local,stream[,mode=<octal>]`.
 * @throws ConnmgrArgsError (PP_ERR_CONNMGR_ARGS) for a bad address or an unsupported mode.
 * @example parseListenArg('0.0.0.0:7999,stream') // { kind: 'tcp', addr: '0.0.0.0', port: 7999, tls: false }
 */
export function parseListenArg(value: string): ListenSpec {
  const parts = value.split(',');
  const where = parts[0] ?? '';
  const opts = parts.slice(1);
  let local = false;
  let tls = false;
  let defaultCert: string | undefined;
  let mode: number | undefined;
  for (const o of opts) {
    const eq = o.indexOf('=');
    const k = eq === -1 ? o : o.slice(0, eq);
    const v = eq === -1 ? '' : o.slice(eq + 1);
    if (k === 'stream') continue;
    if (k === 'req') throw new ConnmgrArgsError(`--listen=${value}: 'req' mode is not supported (only 'stream')`);
    if (k === 'local') { local = true; continue; }
    if (k === 'tls') { tls = true; continue; }
    if (k === 'default-cert') { defaultCert = v; continue; }
    if (k === 'mode') {
      if (!/^[0-7]{1,4}$/.test(v)) throw new ConnmgrArgsError(`--listen=${value}: mode must be octal`);
      mode = parseInt(v, 8);
      continue;
    }
    if (k === 'user' || k === 'group') continue; // ownership changes need privileges we do not take
    throw new ConnmgrArgsError(`--listen=${value}: unknown option '${k}'`);
  }
  if (local) {
    if (tls) throw new ConnmgrArgsError(`--listen=${value}: tls on a local socket is not supported`);
    if (!where) throw new ConnmgrArgsError(`--listen=${value}: missing socket path`);
    return mode === undefined ? { kind: 'local', path: where } : { kind: 'local', path: where, mode };
  }
  const l = parseListen(where);
  if (!l) throw new ConnmgrArgsError(`--listen=${value}: '${where}' is not <addr>:<port>`);
  const spec: ListenSpec = { kind: 'tcp', addr: l.addr, port: l.port, tls };
  if (defaultCert !== undefined) spec.defaultCert = defaultCert;
  return spec;
}

/**
 * Parses condure's command line (`--x=y` and `--x y` forms).
 * @throws ConnmgrArgsError (PP_ERR_CONNMGR_ARGS) for unknown options, missing or bad values,
 * or a missing `--zclient-stream` / `--listen`.
 * @example parseArgs(['--listen=0.0.0.0:7999,stream', '--zclient-stream=ipc:///run/pushpin-condure'])
 */
export function parseArgs(argv: readonly string[]): ConnmgrArgs {
  const out: ConnmgrArgs = {
    listens: [], pushSpecs: [], routerSpecs: [], subSpecs: [], connect: false,
    bufferSize: 8192, maxConn: 50000, id: 'condure', logLevel: 2, reusePort: false, responderWaitMs: 3000, ignored: [], help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConnmgrArgsError(`unexpected argument '${arg}'`);
    const name = m[1]!;
    let value = m[2];
    if (FLAGS.has(name)) {
      if (value !== undefined) throw new ConnmgrArgsError(`option '--${name}' takes no value`);
      if (name === 'zclient-connect') out.connect = true;
      else if (name === 'reuse-port') out.reusePort = true;
      else if (name === 'help') out.help = true;
      else out.ignored.push(`--${name}`);
      continue;
    }
    if (!VALUED.has(name)) throw new ConnmgrArgsError(`unknown option '--${name}'`);
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new ConnmgrArgsError(`option '--${name}' needs a value`);
      i++;
    }
    switch (name) {
      case 'listen': out.listens.push(parseListenArg(value)); break;
      case 'zclient-stream': {
        if (!/^(ipc|tcp|inproc):\/\/./.test(value)) throw new ConnmgrArgsError(`--zclient-stream: '${value}' is not a ZeroMQ endpoint`);
        const [push, router, sub] = expandBase(value, ['-out', '-out-stream', '-in']);
        out.pushSpecs.push(push); out.routerSpecs.push(router); out.subSpecs.push(sub);
        break;
      }
      case 'buffer-size': out.bufferSize = intOpt(name, value, 1024, 64 * 1024 * 1024); break;
      case 'stream-maxconn': out.maxConn = intOpt(name, value, 1, 10_000_000); break;
      case 'id':
        if (!value || /\s/.test(value)) throw new ConnmgrArgsError(`--id must be non-empty without spaces, got '${value}'`);
        out.id = value;
        break;
      case 'log-level': out.logLevel = intOpt(name, value, 0, 10); break;
      case 'log-file': out.logFile = value; break;
      case 'tls-identities-dir': out.tlsDir = value; break;
      case 'responder-wait': out.responderWaitMs = intOpt(name, value, 0, 600_000); break;
      default: out.ignored.push(`--${name}=${value}`);
    }
  }
  if (out.help) return out;
  if (out.listens.length === 0) throw new ConnmgrArgsError('at least one --listen=<addr:port>,stream is required');
  if (out.pushSpecs.length === 0) throw new ConnmgrArgsError('--zclient-stream=<base endpoint> is required');
  return out;
}

export const USAGE = `usage: pushpin-connmgr --listen=<addr:port>,stream[,tls,default-cert=<name>] [--listen=<path>,local,stream]
       --zclient-stream=<base> [--zclient-connect] [--buffer-size=<n>] [--stream-maxconn=<n>]
       [--id=<id>] [--log-level=<0..4>] [--log-file=<file>] [--tls-identities-dir=<dir>]
       [--reuse-port]   (share the TCP ports with other processes through SO_REUSEPORT)
       [--responder-wait=<ms>]   (bind mode: take clients once a proxy/handler has connected, at most this long; default 3000, 0 = at once)`;
