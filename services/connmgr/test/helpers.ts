import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodePacket, expandBase, ResponderTransport, ZhttpResponder,
  type Packet, type ResponderSession,
} from '@pushpin-ts/zhttp';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'pushpin-connmgr.js');

/** Rejects after `ms` with a message naming what we waited for. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}

/** Polls `fn` until it returns a value other than undefined/false. */
export async function waitFor<T>(fn: () => T | undefined | false, what: string, ms = 3000, every = 10): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface Connmgr {
  proc: ChildProcess;
  port: number;
  base: string;
  id: string;
  logs: Array<Record<string, unknown>>;
  /** Error-level log lines and anything on stderr (uWS prints misuse warnings there). */
  problems(): string[];
  stop(): Promise<number | null>;
}

/** Calls `fn` with each JSON log line of `stream` (`{ raw }` for a line that is not JSON). */
function onJsonLines(stream: NodeJS.ReadableStream, fn: (line: Record<string, unknown>) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let parsed: Record<string, unknown>;
      try { parsed = JSON.parse(line) as Record<string, unknown>; } catch { parsed = { raw: line }; }
      fn(parsed);
    }
  });
}

/**
 * Starts the real connmgr on a free port (or `onPort`) with ipc endpoints in a fresh temp dir;
 * resolves once it listens, or at once with `awaitListening` false.
 */
export async function startConnmgr(extra: string[] = [], id = 'condure', onPort?: number, awaitListening = true): Promise<Connmgr> {
  const dir = mkdtempSync(join(tmpdir(), 'connmgr-test-'));
  const base = `ipc://${dir}/pushpin-condure`;
  const port = onPort ?? await freePort();
  const proc = spawn(process.execPath, [BIN, `--listen=127.0.0.1:${port},stream`, `--zclient-stream=${base}`, `--id=${id}`, '--log-level=3', ...(extra.some((a) => a.startsWith('--responder-wait')) ? [] : ['--responder-wait=0']), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  onJsonLines(proc.stdout!, (l) => logs.push(l));
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  if (awaitListening) {
    try {
      await within(Promise.race([
        waitFor(() => logs.some((l) => l['msg'] === 'listening'), 'connmgr to listen', 5000),
        exited.then((code) => { throw new Error(`connmgr exited early (${code}): ${stderr}`); }),
      ]), 6000, 'connmgr start');
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    }
  }
  return {
    proc, port, base, id, logs,
    problems: () => [
      ...logs.filter((l) => typeof l['level'] === 'number' && (l['level'] as number) >= 50).map((l) => JSON.stringify(l)),
      ...(stderr.trim() ? [stderr.trim()] : []),
    ],
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      const code = await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface TappedPacket { via: 'pull' | 'router'; p: Packet }

/** A test responder (the proxy's or handler's role) connected to connmgr's endpoints. */
export interface Responder {
  id: string;
  transport: ResponderTransport;
  zr: ZhttpResponder;
  /** Every packet received, decoded. */
  packets: TappedPacket[];
  sessions: ResponderSession[];
  nextSession(ms?: number): Promise<ResponderSession>;
  close(): void;
}

/**
 * Connects a responder to connmgr. `acceptFirst: false` makes it a handler-like responder
 * that only adopts sessions.
 */
export async function startResponder(base: string, id: string, acceptFirst = true): Promise<Responder> {
  const [push, router, sub] = expandBase(base, ['-out', '-out-stream', '-in']);
  const transport = new ResponderTransport({ instanceId: id, pullSpecs: acceptFirst ? [push] : [], routerSpecs: [router], pubSpecs: [sub], bind: false }, quietLog);
  const sessions: ResponderSession[] = [];
  let taken = 0;
  const zr = new ZhttpResponder(transport, { instanceId: id, log: quietLog, onSession: (s) => { sessions.push(s); } });
  const packets: TappedPacket[] = [];
  const orig = transport.onPayload;
  transport.onPayload = (payload, via) => {
    try { packets.push({ via, p: decodePacket(payload) }); } catch { /* the library logs it */ }
    orig(payload, via);
  };
  await transport.start();
  zr.start();
  // let the PUB/SUB subscription and ROUTER handshakes settle before traffic
  await sleep(250);
  return {
    id, transport, zr, packets, sessions,
    nextSession: (ms = 3000) => waitFor(() => (sessions.length > taken ? sessions[taken++] : undefined), `a ZHTTP session at ${id}`, ms),
    close() { zr.stop(); transport.close(); },
  };
}

export const quietLog = { warn: () => undefined, debug: () => undefined };

export interface HttpResult { status: number; statusMessage: string; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer }

/** One HTTP request with node:http; resolves with the whole response. */
export function request(port: number, opts: http.RequestOptions & { body?: Buffer | string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const { body, ...o } = opts;
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...o }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Sends raw bytes and collects everything until the server closes (or `ms` passes). */
export function rawExchange(port: number, data: string | Buffer, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let text = '';
    const t = setTimeout(() => { c.destroy(); resolve({ text, closed: false }); }, ms);
    c.on('data', (d) => { text += d.toString('latin1'); });
    c.on('close', () => { clearTimeout(t); resolve({ text, closed: true }); });
    c.on('error', () => undefined);
    c.write(data);
  });
}

// ---- a small raw WebSocket client (RFC 6455), so tests control frames and close codes

export interface WsFrame { fin: boolean; opcode: number; payload: Buffer }

export class RawWs {
  private buf: Buffer = Buffer.alloc(0);
  private frames: WsFrame[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(readonly sock: net.Socket, rest: Buffer) {
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => undefined);
    this.buf = rest;
    this.parse();
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }

  private parse(): void {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) { if (b.length < 4) break; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) break; len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b.length < off + len) break;
      this.frames.push({ fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(off, off + len)) });
      this.buf = b.subarray(off + len);
    }
    this.wake();
  }

  async next(ms = 3000): Promise<WsFrame> {
    const end = Date.now() + ms;
    while (!this.frames.length) {
      if (this.closed) throw new Error('websocket closed while waiting for a frame');
      const left = end - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a websocket frame');
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
    return this.frames.shift()!;
  }

  send(opcode: number, payload: Buffer | string, fin = true): void {
    const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const mask = randomBytes(4);
    const head = p.length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | p.length])
      : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126]), u16(p.length)]);
    const masked = Buffer.from(p);
    for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i % 4]!;
    this.sock.write(Buffer.concat([head, mask, masked]));
  }

  close(code: number, reason: string): void {
    this.send(8, Buffer.concat([u16(code), Buffer.from(reason)]));
  }

  async waitClosed(ms = 3000): Promise<void> {
    await waitFor(() => this.closed, 'websocket TCP close', ms);
  }
}

function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }

export interface WsHandshake { status: number; statusLine: string; headers: Record<string, string>; body: string; ws?: RawWs; key: string }

/** Performs an upgrade request; `ws` is set when the server answered 101. */
export function wsConnect(port: number, path: string, extraHeaders: string[] = []): Promise<WsHandshake> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      const i = buf.indexOf('\r\n\r\n');
      if (i === -1) { if (closed && !done) { done = true; reject(new Error(`no handshake response: ${buf.toString()}`)); } return; }
      const lines = buf.subarray(0, i).toString('latin1').split('\r\n');
      const statusLine = lines[0]!;
      const status = Number(statusLine.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) { const c = l.indexOf(':'); headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim(); }
      if (status === 101) {
        done = true;
        sock.removeAllListeners('data');
        resolve({ status, statusLine, headers, body: '', key, ws: new RawWs(sock, buf.subarray(i + 4)) });
      } else if (closed) {
        done = true;
        resolve({ status, statusLine, headers, body: buf.subarray(i + 4).toString('latin1'), key });
      }
    };
    sock.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); if (!done) finish(false); });
    sock.on('close', () => { if (!done) finish(true); });
    sock.on('error', (e) => { if (!done) { done = true; reject(e); } });
    sock.write([`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', ...extraHeaders, '', ''].join('\r\n'));
  });
}

export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** Credits `from` granted in packets received via ROUTER for `id`. */
export function creditsFrom(packets: TappedPacket[], id: string): number {
  let n = 0;
  for (const { p } of packets) if (p.id === id && p.type === 'credit') n += p.credits ?? 0;
  return n;
}
