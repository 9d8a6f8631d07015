/** Test helpers: a real pushpin-zurl child, a ZHTTP initiator playing the proxy, and backends. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePacket, InitiatorTransport, ZhttpInitiator, type Header, type InitiatorSession, type Packet } from '@pushpin-ts/zhttp';

export const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what` in the message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); }),
  ]);
}

const quiet = { warn(): void {}, debug(): void {} };
const BIN = fileURLToPath(new URL('../../bin/pushpin-zurl.js', import.meta.url));
/** test/fixtures in the source tree (tests run from dist/test). */
export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

export interface ZurlProc {
  dir: string;
  id: string;
  specs: { in: string; inStream: string; out: string };
  child: ChildProcess;
  /** Parsed JSON log lines. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts pushpin-zurl on ipc endpoints in a temp dir and waits for its "started" line. */
export async function startZurl(conf: Record<string, string> = {}, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ZurlProc> {
  const dir = mkdtempSync(join(tmpdir(), 'zurl-test-'));
  const id = `zurl-test-${randomUUID().slice(0, 8)}`;
  const specs = { in: `ipc://${dir}/zurl-in`, inStream: `ipc://${dir}/zurl-in-stream`, out: `ipc://${dir}/zurl-out` };
  const values: Record<string, string> = {
    instance_id: id, in_spec: specs.in, in_stream_spec: specs.inStream, out_spec: specs.out, in_req_spec: '',
    defpolicy: 'allow', allow: '', deny: '127.*,10.*,192.168.*,*.local', max_open_requests: '2000', buffer_size: '200000', timeout: '600',
    ...conf,
  };
  const file = join(dir, 'zurl.conf');
  writeFileSync(file, `[General]\n${Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  const child = spawn(process.execPath, [BIN, `--config=${file}`, '--loglevel=3', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const logs: Array<Record<string, unknown>> = [];
  let started!: () => void;
  const ready = new Promise<void>((r) => { started = r; });
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        logs.push(o);
        if (o['msg'] === 'zurl: started') started();
      } catch { /* not JSON */ }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { process.stderr.write(`[zurl stderr] ${d}`); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await within(Promise.race([ready, exited.then(() => { throw new Error('zurl exited early'); })]), 10_000, 'zurl start');
  return {
    dir, id, specs, child, logs,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        await within(exited, 5000, 'zurl exit').catch(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Initiator {
  init: ZhttpInitiator;
  transport: InitiatorTransport;
  /** Every packet zurl sent us, decoded. */
  packets: Packet[];
  close(): void;
}

/** A ZHTTP initiator (the proxy's role) connected to zurl, warmed up so replies are not lost to the SUB slow-joiner. */
export async function startInitiator(z: ZurlProc): Promise<Initiator> {
  const instanceId = `test-init-${randomUUID().slice(0, 8)}`;
  const transport = new InitiatorTransport({ instanceId, pushSpecs: [z.specs.in], routerSpecs: [z.specs.inStream], subSpecs: [z.specs.out], bind: false }, quiet);
  await transport.start();
  const init = new ZhttpInitiator(transport, { instanceId, log: quiet, newId: () => randomUUID() });
  const packets: Packet[] = [];
  const inner = transport.onPayload;
  transport.onPayload = (payload) => {
    try { packets.push(decodePacket(payload)); } catch { /* recorded only when valid */ }
    inner(payload);
  };
  init.start();
  // an unsupported scheme is answered with cancel: once one comes back, the SUB is joined
  for (let i = 0; ; i++) {
    const s = init.open();
    const answered = new Promise<boolean>((r) => { s.onend = () => r(true); setTimeout(() => r(false), 200); });
    s.start({ method: 'GET', uri: 'x-warmup://x/', headers: [] });
    if (await answered) break;
    s.destroy();
    if (i > 50) throw new Error('initiator warm-up failed');
  }
  await wait(50);
  return { init, transport, packets, close() { init.stop(); transport.close(); } };
}

export interface Exchange {
  code?: number;
  reason?: string;
  headers: Header[];
  body: Buffer;
  /** Body pieces in arrival order, including the response packet's. */
  pieces: Buffer[];
  error?: Packet;
  end?: string;
  session: InitiatorSession;
}

export interface ExchangeOptions {
  /** Grant credits back for each received body piece (default true). */
  autoCredit?: boolean;
  /** Called after start (e.g. to write more body). */
  afterStart?: (s: InitiatorSession) => void;
  timeoutMs?: number;
}

/** Runs one request and resolves when the response is complete or the session ends. */
export function exchange(i: Initiator, first: Omit<Packet, 'from' | 'id' | 'seq'>, o: ExchangeOptions = {}): Promise<Exchange> {
  const s = i.init.open();
  const x: Exchange = { headers: [], body: Buffer.alloc(0), pieces: [], session: s };
  const p = new Promise<Exchange>((resolve) => {
    const take = (pk: Packet): void => {
      const b = pk.body ?? Buffer.alloc(0);
      x.pieces.push(b);
      if (b.length && o.autoCredit !== false) s.credit(b.length);
      if (!pk.more) { x.body = Buffer.concat(x.pieces); s.destroy(); resolve(x); }
    };
    s.onresponse = (pk) => { x.code = pk.code; x.reason = pk.reason; x.headers = pk.headers ?? []; take(pk); };
    s.ondata = (pk) => take(pk);
    s.onend = (reason, pk) => { x.end = reason; if (pk?.type === 'error') x.error = pk; x.body = Buffer.concat(x.pieces); resolve(x); };
  });
  s.start(first);
  o.afterStart?.(s);
  return within(p, o.timeoutMs ?? 10_000, `exchange ${first.method ?? ''} ${first.uri ?? ''}`);
}

export interface Backend {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** A node:http backend on 127.0.0.1, port 0. */
export async function startBackend(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    async close() { server.closeAllConnections(); await new Promise<void>((r) => server.close(() => r())); },
  };
}

/** Reads a request body fully. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** A port nothing listens on (listened once, then closed). */
export async function deadPort(): Promise<number> {
  const b = await startBackend(() => undefined);
  await b.close();
  return b.port;
}

// ---- minimal WebSocket server (RFC 6455, server side, no extensions) ----

export interface WsServerOptions {
  /** Reject the handshake with this raw HTTP response. */
  reject?: string;
  protocol?: string;
  extensions?: string;
  /** A text message equal to this makes the server close with 4000 "server bye". */
  closeOn?: string;
}

export interface WsBackend extends Backend {
  requests: IncomingMessage[];
  /** Frames received: opcode and payload. */
  received: Array<{ opcode: number; payload: Buffer }>;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 255])
      : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  return Buffer.concat([head, payload]);
}

/** Echo WebSocket backend: text/binary echoed, pings answered, close echoed then the socket ended. */
export async function startWsBackend(o: WsServerOptions = {}): Promise<WsBackend> {
  const b = await startBackend((_req, res) => { res.writeHead(404).end(); }) as WsBackend;
  b.requests = [];
  b.received = [];
  // upgraded sockets are not closed by closeAllConnections()
  const sockets = new Set<Socket>();
  const closeHttp = b.close;
  b.close = async () => { for (const so of sockets) so.destroy(); await closeHttp(); };
  b.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    b.requests.push(req);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (o.reject) { socket.end(o.reject); return; }
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`];
    if (o.protocol) lines.push(`Sec-WebSocket-Protocol: ${o.protocol}`);
    if (o.extensions) lines.push(`Sec-WebSocket-Extensions: ${o.extensions}`);
    lines.push('X-Backend: yes');
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; } else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + 4 + len) return;
        const mask = buf.subarray(off, off + 4);
        const payload = Buffer.from(buf.subarray(off + 4, off + 4 + len));
        for (let k = 0; k < payload.length; k++) payload[k]! ^= mask[k % 4]!;
        buf = buf.subarray(off + 4 + len);
        b.received.push({ opcode, payload });
        if (opcode === 1 && o.closeOn !== undefined && payload.toString() === o.closeOn) {
          const c = Buffer.alloc(2); c.writeUInt16BE(4000);
          socket.write(frame(8, Buffer.concat([c, Buffer.from('server bye')])));
        } else if (opcode === 1 || opcode === 2) socket.write(frame(opcode, payload));
        else if (opcode === 9) socket.write(frame(10, payload));
        else if (opcode === 8) { socket.end(frame(8, payload)); return; }
      }
    });
    socket.on('error', () => undefined);
  });
  return b;
}

/** Sends a server-initiated frame to every open WebSocket connection (test control). */
export { frame as wsFrame };
