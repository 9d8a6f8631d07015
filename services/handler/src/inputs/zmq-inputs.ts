/**
 * ZeroMQ publish inputs (publish.md §7): the PULL socket (one-part messages) and the SUB
 * socket (two-part `[channel, item]`), whose subscriptions follow the hub's channels so
 * XPUB publishers see `\x01<channel>` / `\x00<channel>`.
 */

import { Receiver } from '@pushpin-ts/zhttp';
import type { Logger } from '@pushpin-ts/log';
import type { HubEvents, HubState } from '../hub-api.js';
import type { PublishIntake } from './publish-intake.js';
import { decodeZmqItem } from './zmq-message.js';

export interface ZmqInput {
  close(): void;
}

/**
 * Binds a PULL socket on `spec`; every valid one-part message becomes one published item.
 * @throws the bind error (e.g. EADDRINUSE) from zeromq.
 */
export async function startPullInput(o: { spec: string; intake: PublishIntake; log: Logger; ipcFileMode?: number }): Promise<ZmqInput> {
  const r = new Receiver('pull', { specs: [o.spec], bind: true, ...(o.ipcFileMode !== undefined ? { ipcFileMode: o.ipcFileMode } : {}) }, o.log);
  r.onMessage = (frames) => {
    if (frames.length !== 1) {
      o.log.warn({ parts: frames.length }, 'IN pull: received message with parts != 1, skipping');
      return;
    }
    const res = decodeZmqItem(frames[0]!);
    if (!res.ok) {
      o.log.warn({ error: res.error }, `IN pull: ${res.error}, skipping`);
      return;
    }
    o.intake.publish([res.item], 'pull');
  };
  try {
    await r.start();
  } catch (err) {
    r.close();
    throw err;
  }
  o.log.info({ spec: o.spec }, 'publish PULL input bound');
  return { close: () => r.close() };
}

/**
 * Keeps the SUB socket subscribed to exactly the channels the hub has subscribers for.
 * ZeroMQ counts repeated subscriptions, so each channel is subscribed at most once.
 */
export class SubscriptionForwarder {
  private readonly subscribed = new Set<string>();
  private closed = false;

  constructor(private readonly target: { subscribe(p: Buffer): void; unsubscribe(p: Buffer): void }, private readonly log: Logger) {}

  add(channel: string): void {
    if (this.closed || this.subscribed.has(channel)) return;
    this.subscribed.add(channel);
    try { this.target.subscribe(Buffer.from(channel, 'utf8')); } catch (err) { this.log.warn({ err: String(err), channel }, 'IN sub: subscribe failed'); }
  }

  remove(channel: string): void {
    if (this.closed || !this.subscribed.delete(channel)) return;
    try { this.target.unsubscribe(Buffer.from(channel, 'utf8')); } catch (err) { this.log.warn({ err: String(err), channel }, 'IN sub: unsubscribe failed'); }
  }

  get channels(): ReadonlySet<string> { return this.subscribed; }

  /** Hub events keep firing after close (the hub has no `off`); they are ignored then. */
  close(): void { this.closed = true; }
}

/**
 * Binds (or, with `connect`, connects) a SUB socket on `specs`. Two-part messages
 * `[channel, item]` are published with the channel from part 1.
 * @throws the bind error from zeromq.
 */
export async function startSubInput(o: {
  specs: readonly string[]; connect: boolean; hub: HubEvents & Pick<HubState, 'channels'>;
  intake: PublishIntake; log: Logger; ipcFileMode?: number;
}): Promise<ZmqInput> {
  const r = new Receiver('sub', { specs: o.specs, bind: !o.connect, ...(o.ipcFileMode !== undefined ? { ipcFileMode: o.ipcFileMode } : {}) }, o.log);
  if (o.connect) {
    // publish.md §7.2: keep-alive on connected SUB sockets (idle 30 s, count 6, interval 5 s).
    r.sock.tcpKeepalive = 1;
    r.sock.tcpKeepaliveIdle = 30;
    r.sock.tcpKeepaliveCount = 6;
    r.sock.tcpKeepaliveInterval = 5;
  }
  const fwd = new SubscriptionForwarder(r, o.log);
  o.hub.onChannelAdded((ch) => fwd.add(ch));
  o.hub.onChannelRemoved((ch) => fwd.remove(ch));
  for (const ch of o.hub.channels()) fwd.add(ch);

  r.onMessage = (frames) => {
    if (frames.length !== 2) {
      o.log.warn({ parts: frames.length }, 'IN sub: received message with parts != 2, skipping');
      return;
    }
    const channel = frames[0]!.toString('utf8');
    const res = decodeZmqItem(frames[1]!, channel);
    if (!res.ok) {
      o.log.warn({ error: res.error, channel }, `IN sub: ${res.error}, skipping`);
      return;
    }
    o.intake.publish([res.item], 'sub');
  };
  try {
    await r.start();
  } catch (err) {
    fwd.close();
    r.close();
    throw err;
  }
  o.log.info({ specs: o.specs, connect: o.connect }, 'publish SUB input started');
  return {
    close() {
      fwd.close();
      r.close();
    },
  };
}
