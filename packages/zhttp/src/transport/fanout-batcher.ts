import { encodeDataPacket, encodeMultiDataPacket, type MultiTarget } from '../codec/data-packet.js';

/**
 * Most sessions one multi-id packet addresses. Small enough that the connection manager starts
 * writing to clients while the handler still walks the subscribers (1024: first delivery at
 * 20 msg/s to 1000 subscribers ~10 ms after the publish; 128: ~5 ms; docs/benchmarks.md).
 */
export const FANOUT_MAX_IDS = 128;

/** Packets of one body (and `more` flag), per peer, waiting to go out as multi-id packets. */
interface Group {
  readonly seg: Buffer;
  readonly more: boolean;
  readonly index: number;
  readonly byPeer: Map<string, MultiTarget[]>;
}

/**
 * Merges data packets that carry the same body to sessions of the same peer into multi-id
 * packets (zhttp.md §6). Several bodies can be open at once, so sessions that alternate
 * between a few bodies (subscribers whose credits let them take different runs of the same
 * items) still share packets. Groups go out in the order they were opened; a session that
 * already has a packet in a later group never joins an earlier one (a new group is opened
 * instead), so each session's packets leave in seq order. Everything is sent when `flush()`
 * is called (the owner does so before sending anything else on the socket), when a peer's
 * list is full, or when the current microtask queue drains.
 */
export class FanoutBatcher {
  private groups: Group[] = [];
  /** Open group per body, for `more: true` and `more: false` packets. */
  private openMore = new Map<Buffer, Group>();
  private openLast = new Map<Buffer, Group>();
  /** Index of the last group each session id joined. */
  private lastGroup = new Map<string, number>();
  private scheduled = false;
  private readonly flushBound = (): void => { this.scheduled = false; this.flush(); };

  constructor(private readonly from: string, private readonly out: (dest: string, payload: Buffer) => void) {}

  /** Queues a data packet `{id, seq, body, more}` for `dest`; `bodySegment` from `encodeBodySegment`. */
  add(dest: string, bodySegment: Buffer, id: string, seq: number, more = true): void {
    const open = more ? this.openMore : this.openLast;
    let g = open.get(bodySegment);
    const last = this.lastGroup.get(id);
    if (!g || (last !== undefined && last > g.index)) {
      g = { seg: bodySegment, more, index: this.groups.length, byPeer: new Map() };
      this.groups.push(g);
      open.set(bodySegment, g);
    }
    // only sessions in a later group can ever be refused an earlier one: group 0 (the common
    // single-body fan-out) needs no bookkeeping
    if (g.index > 0 && last !== g.index) this.lastGroup.set(id, g.index);
    let list = g.byPeer.get(dest);
    if (!list) { list = []; g.byPeer.set(dest, list); }
    list.push({ id, seq });
    if (list.length >= FANOUT_MAX_IDS) { this.flush(); return; }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  get pending(): boolean { return this.groups.length > 0; }

  /** Sends every queued packet now, group by group in the order they were opened. */
  flush(): void {
    if (this.groups.length === 0) return;
    const groups = this.groups;
    this.groups = [];
    this.openMore.clear();
    this.openLast.clear();
    this.lastGroup.clear();
    for (const g of groups) {
      for (const [dest, list] of g.byPeer) {
        const one = list.length === 1 ? list[0]! : undefined;
        this.out(dest, one ? encodeDataPacket(this.from, one.id, one.seq, g.seg, g.more) : encodeMultiDataPacket(this.from, list, g.seg, g.more));
      }
    }
  }
}
