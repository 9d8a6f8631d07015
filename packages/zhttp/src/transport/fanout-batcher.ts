import { encodeDataPacket, encodeMultiDataPacket, type MultiTarget } from '../codec/data-packet.js';

/** Most sessions one multi-id packet addresses (keeps a packet well under a megabyte). */
export const FANOUT_MAX_IDS = 1024;

/**
 * Merges data packets that carry the same body to sessions of the same peer into multi-id
 * packets (zhttp.md §6). Packets wait until the body changes, `flush()` is called (the owner
 * does so before sending anything else on the socket, so per-session order holds), or the
 * current microtask queue drains.
 */
export class FanoutBatcher {
  private seg: Buffer | undefined;
  private more = true;
  private readonly byPeer = new Map<string, MultiTarget[]>();
  private scheduled = false;
  private readonly flushBound = (): void => { this.scheduled = false; this.flush(); };

  constructor(private readonly from: string, private readonly out: (dest: string, payload: Buffer) => void) {}

  /** Queues a data packet `{id, seq, body, more}` for `dest`; `bodySegment` from `encodeBodySegment`. */
  add(dest: string, bodySegment: Buffer, id: string, seq: number, more = true): void {
    if (this.seg !== bodySegment || this.more !== more) {
      this.flush();
      this.seg = bodySegment;
      this.more = more;
    }
    let list = this.byPeer.get(dest);
    if (!list) { list = []; this.byPeer.set(dest, list); }
    list.push({ id, seq });
    if (list.length >= FANOUT_MAX_IDS) this.flushPeer(dest, list);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  get pending(): boolean { return this.byPeer.size > 0; }

  /** Sends every queued packet now. */
  flush(): void {
    if (this.byPeer.size === 0) return;
    for (const [dest, list] of this.byPeer) this.flushPeer(dest, list);
  }

  private flushPeer(dest: string, list: MultiTarget[]): void {
    this.byPeer.delete(dest);
    const seg = this.seg!;
    if (list.length === 0) return;
    const one = list.length === 1 ? list[0]! : undefined;
    this.out(dest, one ? encodeDataPacket(this.from, one.id, one.seq, seg, this.more) : encodeMultiDataPacket(this.from, list, seg, this.more));
  }
}
