// Shared helpers of the inputs-*.test.ts suites: a fake Hub, configs, a capturing logger,
// raw HTTP and bounded waits, and raw zeromq sockets (resolved through @pushpin-ts/zhttp,
// which owns the dependency).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseConfigText, type PushpinConfig } from '@pushpin-ts/config';
import type { PublishItem } from '@pushpin-ts/grip';
import { createLogger, type Logger } from '@pushpin-ts/log';
import type { Hub } from '../src/hub-api.js';

export class FakeHub implements Hub {
  readonly items: PublishItem[] = [];
  readonly publishCalls: PublishItem[][] = [];
  readonly chans = new Set<string>();
  readonly connected = new Set<string>();
  readonly refreshes: Array<{ cid: string } | { channel: string }> = [];
  recovers = 0;
  private readonly added: Array<(c: string) => void> = [];
  private readonly removed: Array<(c: string) => void> = [];

  publish(items: PublishItem[]): void { this.publishCalls.push(items); this.items.push(...items); }
  isConnected(cid: string): boolean { return this.connected.has(cid); }
  recover(): void { this.recovers++; }
  refresh(t: { cid: string } | { channel: string }): boolean {
    this.refreshes.push(t);
    return 'cid' in t ? this.connected.has(t.cid) : true;
  }
  channels(): Iterable<string> { return this.chans; }
  connectionCount(): number { return this.connected.size; }
  onChannelAdded(cb: (c: string) => void): void { this.added.push(cb); }
  onChannelRemoved(cb: (c: string) => void): void { this.removed.push(cb); }
  addChannel(c: string): void { this.chans.add(c); for (const cb of this.added) cb(c); }
  removeChannel(c: string): void { this.chans.delete(c); for (const cb of this.removed) cb(c); }
}

export interface CapturedLog { log: Logger; lines: Array<Record<string, unknown>>; messages(): string[] }

export function captureLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ service: 'handler-test', level: 'debug', stream: { write(s: string) { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
  return { log, lines, messages: () => lines.map((l) => String(l['msg'])) };
}

export function config(handler: Record<string, string>, global: Record<string, string> = {}): PushpinConfig {
  const sec = (name: string, kv: Record<string, string>): string => `[${name}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
  const base = { push_in_http_port: '-1', push_in_spec: '', push_in_sub_specs: '', command_spec: '', stats_spec: '' };
  return parseConfigText(sec('global', global) + sec('handler', { ...base, ...handler }), { file: '/tmp/pushpin-test.conf', libdir: '/tmp' });
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pp-inputs-'));
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A zeromq endpoint of the given transport (free port or fresh ipc path). */
export async function endpoint(proto: 'ipc' | 'tcp', dir: string, name: string): Promise<string> {
  return proto === 'ipc' ? `ipc://${path.join(dir, name)}` : `tcp://127.0.0.1:${await freePort()}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves like `p`, or rejects after `ms` (the timer is cleared either way). */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `pred` every 10 ms; rejects after `ms`. */
export async function waitFor(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface RawResponse { status: number; reason: string; headers: Record<string, string>; rawHeaders: string[]; body: string; raw: string }

/** Sends `data` on a fresh TCP connection and reads until the server closes it. */
export function rawHttp(port: number, data: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`)); }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const sep = raw.indexOf('\r\n\r\n');
      if (sep < 0) { reject(new Error(`no response: ${JSON.stringify(raw)}`)); return; }
      const lines = raw.slice(0, sep).split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3}) (.*)$/.exec(lines[0] ?? '');
      if (!m) { reject(new Error(`bad status line: ${JSON.stringify(lines[0])}`)); return; }
      const headers: Record<string, string> = {};
      const rawHeaders: string[] = [];
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        rawHeaders.push(l.slice(0, i));
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), reason: m[2] ?? '', headers, rawHeaders, body: raw.slice(sep + 4), raw });
    });
    sock.write(data);
  });
}

/** Builds a request with Content-Length (unless `headers` already says otherwise). */
export function request(method: string, uri: string, body?: string | Buffer, headers: Record<string, string> = {}): Buffer {
  const h: Record<string, string> = { Host: 'localhost', ...headers };
  if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
    h['Content-Length'] = String(Buffer.byteLength(body));
  }
  const head = `${method} ${uri} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body === undefined ? Buffer.alloc(0) : Buffer.from(body)]);
}

// --- raw zeromq sockets for clients the zhttp wrappers do not offer (REQ, XPUB) ---

export interface ZSocket {
  connect(spec: string): void;
  bind(spec: string): Promise<void>;
  send(msg: Buffer | string | Array<Buffer | string>): Promise<void>;
  receive(): Promise<Buffer[]>;
  close(): void;
}
interface ZmqModule {
  Request: new (o?: Record<string, unknown>) => ZSocket;
  XPublisher: new (o?: Record<string, unknown>) => ZSocket;
  Subscriber: new (o?: Record<string, unknown>) => ZSocket & { subscribe(p: string): void };
  Push: new (o?: Record<string, unknown>) => ZSocket;
}

export const zmq = createRequire(import.meta.resolve('@pushpin-ts/zhttp'))('zeromq') as ZmqModule;
