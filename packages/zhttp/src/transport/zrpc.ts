import { randomBytes } from 'node:crypto';
import * as zmq from 'zeromq';
import type { TnMap, TnValue } from '@pushpin-ts/tnetstring';
import { decodeZrpcRequest, decodeZrpcResponse, encodeZrpcRequest, encodeZrpcResponse, type ZrpcRequest } from '../codec/zrpc.js';
import { ZrpcRemoteError, ZrpcTimeoutError } from '../errors.js';
import { attach } from './endpoints.js';
import { SendQueue } from './socket-queue.js';
import type { TransportLog } from './zhttp-sockets.js';

const EMPTY = Buffer.alloc(0);

/** ZRPC client over DEALER (proxy → handler inspect/accept, handler → proxy command). */
export class ZrpcClient {
  readonly sock = new zmq.Dealer({ linger: 0, sendHighWaterMark: 101_000, receiveHighWaterMark: 101_000 });
  private readonly q: SendQueue;
  private readonly pending = new Map<string, { resolve: (v: TnValue) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private seq = 0;
  private readonly prefix = randomBytes(4).toString('hex');

  constructor(private readonly specs: readonly string[], private readonly bind: boolean, private readonly log: TransportLog, private readonly from?: string) {
    this.q = new SendQueue(this.sock, (err) => log.warn({ err: String(err) }, 'zrpc send failed'));
  }

  async start(): Promise<void> {
    await attach(this.sock, this.specs, { bind: this.bind });
    void this.read();
  }

  /**
   * Calls `method`; resolves with the reply's value.
   * @throws ZrpcRemoteError (PP_ERR_ZRPC_REMOTE) on success=false, ZrpcTimeoutError after `timeoutMs`.
   */
  call(method: string, args: TnMap | Record<string, TnValue>, timeoutMs = 5000): Promise<TnValue> {
    const id = `${this.prefix}-${++this.seq}`;
    const req: ZrpcRequest = { id: Buffer.from(id), method, args: args as TnMap, ...(this.from ? { from: this.from } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new ZrpcTimeoutError(`ZRPC ${method} timed out after ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.q.send([EMPTY, encodeZrpcRequest(req)]);
    });
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        const payload = frames[frames.length - 1]!;
        try {
          const r = decodeZrpcResponse(payload);
          const id = r.id?.toString('latin1') ?? '';
          const p = this.pending.get(id);
          if (!p) { this.log.debug({ id }, 'zrpc: reply for unknown request'); continue; }
          this.pending.delete(id);
          clearTimeout(p.timer);
          if (r.success) p.resolve(r.value ?? null);
          else p.reject(new ZrpcRemoteError(r.condition ?? 'undefined-condition', r.value));
        } catch (err) {
          this.log.warn({ err: String(err) }, 'zrpc: malformed reply skipped');
        }
      }
    } catch { /* closed */ }
  }

  close(): void {
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new ZrpcTimeoutError('ZRPC client closed')); }
    this.pending.clear();
    this.sock.close();
  }
}

/** Error a ZRPC method handler throws to answer success=false with a condition. */
export class ZrpcCondition extends Error {
  constructor(readonly condition: string, readonly value?: TnValue) { super(condition); this.name = 'ZrpcCondition'; }
}

export type ZrpcHandler = (req: ZrpcRequest) => Promise<TnValue> | TnValue;

/** ZRPC server over ROUTER (handler inspect/accept, command sockets). REQ and DEALER clients both work. */
export class ZrpcServer {
  readonly sock = new zmq.Router({ linger: 0, sendHighWaterMark: 101_000, receiveHighWaterMark: 101_000 });
  private readonly q: SendQueue;

  constructor(private readonly specs: readonly string[], private readonly bind: boolean, private readonly log: TransportLog, private readonly handler: ZrpcHandler) {
    this.q = new SendQueue(this.sock, (err) => log.warn({ err: String(err) }, 'zrpc server send failed'));
  }

  async start(): Promise<void> {
    await attach(this.sock, this.specs, { bind: this.bind });
    void this.read();
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        const sep = frames.findIndex((f, i) => i > 0 && f.length === 0);
        if (sep < 0 || sep !== frames.length - 2) { this.log.warn({ parts: frames.length }, 'zrpc server: malformed envelope, skipping'); continue; }
        const envelope = frames.slice(0, sep + 1);
        const payload = frames[sep + 1]!;
        void this.handle(envelope, payload);
      }
    } catch { /* closed */ }
  }

  private async handle(envelope: Buffer[], payload: Buffer): Promise<void> {
    let req: ZrpcRequest;
    try {
      req = decodeZrpcRequest(payload);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'zrpc server: malformed request');
      this.q.send([...envelope, encodeZrpcResponse({ success: false, condition: 'bad-format' })]);
      return;
    }
    const id = req.id;
    try {
      const value = await this.handler(req);
      this.q.send([...envelope, encodeZrpcResponse({ ...(id ? { id } : {}), success: true, value })]);
    } catch (err) {
      const condition = err instanceof ZrpcCondition ? err.condition : 'internal-server-error';
      const value = err instanceof ZrpcCondition ? err.value : undefined;
      if (!(err instanceof ZrpcCondition)) this.log.warn({ err: String(err), method: req.method }, 'zrpc server: method failed');
      this.q.send([...envelope, encodeZrpcResponse({ ...(id ? { id } : {}), success: false, condition, ...(value !== undefined ? { value } : {}) })]);
    }
  }

  close(): void { this.sock.close(); }
}
