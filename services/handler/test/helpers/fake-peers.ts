// Process-test peers: the test plays condure (initiator, binds the condure trio) and the proxy
// (answers the first packet, hands the session off, calls `accept` over ZRPC).
import net from 'node:net';
import {
  decodeAcceptResult, encodeAcceptArgs, InitiatorTransport, ResponderTransport, ZhttpInitiator, ZhttpResponder, ZrpcClient,
  type AcceptResult, type EndReason, type Header, type InitiatorSession, type Packet, type ResponderSession,
} from '@pushpin-ts/zhttp';

export const quiet = { warn() {}, debug() {} };
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms; rejects after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** What the client (behind condure) saw. */
export class Client {
  status: number | undefined;
  reason: string | undefined;
  headers: Header[] = [];
  body = Buffer.alloc(0);
  /** Response complete (a packet without `more`). */
  complete = false;
  endReason: EndReason | undefined;
  accept: AcceptResult | undefined;
  constructor(readonly s: InitiatorSession) {}
  get text(): string { return this.body.toString(); }
  get cid(): string { return `condure:${this.s.id}`; }
  header(name: string): string | undefined { return this.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1]; }
}

export interface Instruct { code?: number; reason?: string; headers: Header[]; body?: string }

export class FakePeers {
  readonly condure: InitiatorTransport;
  readonly init: ZhttpInitiator;
  readonly proxyTransport: ResponderTransport;
  readonly proxy: ZhttpResponder;
  readonly accept: ZrpcClient;
  readonly inspect: ZrpcClient;
  private readonly pending = new Map<string, { instruct: Instruct; client: Client }>();

  constructor(rundir: string) {
    const base = `ipc://${rundir}/t-`;
    const out = `${base}condure-out`; const outStream = `${base}condure-out-stream`; const inn = `${base}condure-in`;
    this.condure = new InitiatorTransport({ instanceId: 'condure', pushSpecs: [out], routerSpecs: [outStream], subSpecs: [inn], bind: true }, quiet);
    this.init = new ZhttpInitiator(this.condure, { instanceId: 'condure', log: quiet });
    this.proxyTransport = new ResponderTransport({ instanceId: 'pushpin-proxy_1', pullSpecs: [out], routerSpecs: [outStream], pubSpecs: [inn], bind: false }, quiet);
    this.proxy = new ZhttpResponder(this.proxyTransport, { instanceId: 'pushpin-proxy_1', log: quiet, onSession: (s) => this.onProxySession(s) });
    this.accept = new ZrpcClient([`${base}accept`], true, quiet, 'pushpin-proxy_1');
    this.inspect = new ZrpcClient([`${base}inspect`], true, quiet, 'pushpin-proxy_1');
  }

  async start(): Promise<void> {
    await this.condure.start();
    await this.proxyTransport.start();
    await this.accept.start();
    await this.inspect.start();
  }

  close(): void {
    this.accept.close(); this.inspect.close(); this.proxyTransport.close(); this.condure.close();
  }

  /** Opens a client request; the fake proxy answers it with `instruct` through the handler. */
  async open(instruct: Instruct, ms = 5000): Promise<Client> {
    const s = this.init.open();
    const c = new Client(s);
    this.pending.set(s.id, { instruct, client: c });
    const take = (p: Packet) => {
      if (p.body?.length) { c.body = Buffer.concat([c.body, p.body]); s.credit(p.body.length); }
      if (!p.more) c.complete = true;
    };
    s.onresponse = (p) => { c.status = p.code; c.reason = p.reason; c.headers = p.headers ?? []; take(p); };
    s.ondata = take;
    s.onend = (r) => { c.endReason = r; };
    s.start({ method: 'GET', uri: 'http://example.com/path', headers: [['Host', 'example.com']], stream: true, credits: 8192, peerAddress: '127.0.0.1', peerPort: 40000 });
    await waitFor(() => c.accept !== undefined, ms, 'the accept reply');
    return c;
  }

  private onProxySession(ps: ResponderSession): void {
    const entry = this.pending.get(ps.id);
    if (!entry) { ps.cancel(); return; }
    this.pending.delete(ps.id);
    const { instruct, client } = entry;
    ps.onhandoffproceed = () => {
      const args = encodeAcceptArgs({
        requests: [{
          rid: { sender: ps.peer, id: ps.id }, https: false, debug: false, isRetry: false, autoCrossOrigin: false,
          inSeq: ps.inSeq, outSeq: ps.outSeq, outCredits: ps.credits, peerAddress: '127.0.0.1',
        }],
        requestData: { method: 'GET', uri: 'http://example.com/path', headers: [['Host', 'example.com']], body: Buffer.alloc(0) },
        response: { code: instruct.code ?? 200, reason: instruct.reason ?? 'OK', headers: instruct.headers, body: Buffer.from(instruct.body ?? '') },
        trusted: false,
      });
      this.accept.call('accept', args, 5000).then((v) => {
        client.accept = decodeAcceptResult(v);
        if (client.accept.accepted) ps.destroy();
      }, (err: Error) => { client.accept = { accepted: false }; client.endReason = 'error'; ps.destroy(); void err; });
    };
    ps.handoffStart();
  }
}
