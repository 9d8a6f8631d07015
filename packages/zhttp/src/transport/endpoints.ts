import type { Socket } from 'zeromq';

export interface EndpointOpts {
  bind: boolean;
  /** ipc file mode (octal number) applied after binding ipc:// endpoints. */
  ipcFileMode?: number;
}

/**
 * CZMQ-style direction prefix on a spec: `@spec` always binds, `>spec` always connects,
 * whatever the socket's usual side. Lets one tier bind what Pushpin's layout has it connect
 * (e.g. the handler binds the proxy-facing sockets so any number of proxies can connect).
 * @example endpointDirection('>tcp://handler:5600', true) // { bind: false, spec: 'tcp://handler:5600' }
 */
export function endpointDirection(spec: string, defaultBind: boolean): { bind: boolean; spec: string } {
  if (spec.startsWith('@')) return { bind: true, spec: spec.slice(1) };
  if (spec.startsWith('>')) return { bind: false, spec: spec.slice(1) };
  return { bind: defaultBind, spec };
}

/** Binds or connects `sock` to every spec (see {@link endpointDirection}). `tcp://*:p` style specs are accepted for bind. */
export async function attach(sock: Socket, specs: readonly string[], opts: EndpointOpts): Promise<void> {
  for (const raw of specs) {
    const { bind, spec } = endpointDirection(raw, opts.bind);
    if (bind) {
      await sock.bind(spec);
      if (opts.ipcFileMode !== undefined && opts.ipcFileMode >= 0 && spec.startsWith('ipc://')) {
        const { chmod } = await import('node:fs/promises');
        await chmod(spec.slice('ipc://'.length), opts.ipcFileMode).catch(() => undefined);
      }
    } else {
      sock.connect(spec);
    }
  }
}

/**
 * condure-style base spec expansion (architecture.md §3.1): for ipc bases `-out`,
 * `-out-stream`, `-in`; for tcp bases ports P, P+1, P+2. `names` picks the suffixes.
 */
export function expandBase(base: string, names: readonly [string, string, string]): [string, string, string] {
  const m = /^([@>]?tcp:\/\/.*:)(\d+)$/.exec(base);
  if (m) {
    const p = Number(m[2]);
    return [`${m[1]}${p}`, `${m[1]}${p + 1}`, `${m[1]}${p + 2}`];
  }
  return [`${base}${names[0]}`, `${base}${names[1]}`, `${base}${names[2]}`];
}
