/** The `get-zmq-uris` answer (publish.md §7.3, §8). Pure. */

export interface ZmqUrisConfig {
  commandSpec: string;
  pushInSpec: string;
  pushInSubSpecs: readonly string[];
  pushInSubConnect: boolean;
}

const TCP = /^tcp:\/\/(\[[^\]]*\]|[^:/]*):(.*)$/;

function tcpHost(spec: string): string | undefined {
  return TCP.exec(spec)?.[1];
}

/** Replaces a `*` bind host with `host` (a client cannot connect to `*`). */
function withHost(spec: string, host: string | undefined): string {
  const m = TCP.exec(spec);
  if (!m || m[1] !== '*' || host === undefined || host === '*' || host === '') return spec;
  return `tcp://${host}:${m[2] ?? ''}`;
}

/**
 * Builds `{ command, publish-pull, publish-sub }`: keys only for configured sockets,
 * `publish-sub` is the first SUB spec and is left out when the handler connects its SUB
 * socket (the publisher binds then). A `*` host in the publish specs is replaced by the
 * command socket's host.
 * @example zmqUris({ commandSpec: 'tcp://127.0.0.1:5563', pushInSpec: 'tcp://*:5560', pushInSubSpecs: [], pushInSubConnect: false })
 *   // { command: 'tcp://127.0.0.1:5563', 'publish-pull': 'tcp://127.0.0.1:5560' }
 */
export function zmqUris(c: ZmqUrisConfig): Record<string, string> {
  const host = tcpHost(c.commandSpec);
  const out: Record<string, string> = {};
  if (c.commandSpec !== '') out['command'] = c.commandSpec;
  if (c.pushInSpec !== '') out['publish-pull'] = withHost(c.pushInSpec, host);
  const sub = c.pushInSubSpecs[0];
  if (sub !== undefined && sub !== '' && !c.pushInSubConnect) out['publish-sub'] = withHost(sub, host);
  return out;
}
