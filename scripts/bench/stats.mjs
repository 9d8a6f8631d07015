// Measurement helpers: a bounded latency sample, percentiles, and the delivery tracker that
// counts lost / duplicated / out-of-order messages per connection.
import { round } from './procs.mjs';

/** Keeps at most `cap` samples (reservoir sampling beyond that). */
export class Samples {
  constructor(cap = 2_000_000) {
    this.cap = cap;
    this.data = new Float64Array(Math.min(cap, 65536));
    this.n = 0;
    this.seen = 0;
    this.max = 0;
  }

  add(x) {
    this.seen++;
    if (x > this.max) this.max = x;
    if (this.n < this.cap) {
      if (this.n === this.data.length) {
        const bigger = new Float64Array(Math.min(this.cap, this.data.length * 2));
        bigger.set(this.data);
        this.data = bigger;
      }
      this.data[this.n++] = x;
    } else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.cap) this.data[j] = x;
    }
  }

  /** { count, p50, p90, p99, max, mean } in the samples' unit, rounded to 0.01. */
  summary() {
    if (this.n === 0) return { count: 0 };
    const s = this.data.slice(0, this.n).sort();
    const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s[i];
    return {
      count: this.seen, p50: round(at(0.5), 2), p90: round(at(0.9), 2), p99: round(at(0.99), 2),
      max: round(this.max, 2), mean: round(sum / s.length, 2),
    };
  }
}

/**
 * Tracks one measured phase: messages with sequence numbers [base, base + msgs) sent to
 * `conns` connections, each message carrying its publisher id (ordering is only defined per
 * publisher connection, which has one request in flight at a time).
 * `expected(conn)` says how many of the phase's messages a connection should get.
 */
export class DeliveryTracker {
  constructor({ base, msgs, conns, publishers, expectedPerConn }) {
    this.base = base;
    this.msgs = msgs;
    this.conns = conns;
    this.expectedTotal = expectedPerConn * conns;
    // one bit per (connection, message) when it fits in memory, else counts only
    this.bits = conns * msgs <= 400_000_000 ? new Uint8Array(Math.ceil((conns * msgs) / 8)) : null;
    this.lastByPub = new Int32Array(conns * publishers).fill(-1);
    this.publishers = publishers;
    this.delivered = 0;
    this.duplicated = 0;
    this.outOfOrder = 0;
    this.latency = new Samples();
    this.firstSend = Infinity;
    this.lastSend = 0;
    this.lastRecv = 0;
    this.sent = 0;
    this.progressAt = performance.now();
  }

  noteSend(t) {
    this.sent++;
    if (t < this.firstSend) this.firstSend = t;
    if (t > this.lastSend) this.lastSend = t;
  }

  /** Whether seq belongs to this phase. */
  owns(seq) {
    return seq >= this.base && seq < this.base + this.msgs;
  }

  /** A line `m <seq> <pub> <sendTime>` received on connection `conn` at time `now`. */
  receive(conn, seq, pub, sentAt, now) {
    const i = seq - this.base;
    if (this.bits) {
      const bit = conn * this.msgs + i;
      const mask = 1 << (bit & 7);
      if (this.bits[bit >> 3] & mask) {
        this.duplicated++;
        return;
      }
      this.bits[bit >> 3] |= mask;
    }
    const k = conn * this.publishers + pub;
    if (seq < this.lastByPub[k]) this.outOfOrder++;
    else this.lastByPub[k] = seq;
    this.delivered++;
    this.latency.add(now - sentAt);
    this.lastRecv = now;
    this.progressAt = now;
  }

  /** Waits until every expected delivery arrived, no progress for `idleMs`, or `maxMs`. */
  async settle(idleMs, maxMs) {
    const deadline = performance.now() + maxMs;
    this.progressAt = performance.now();
    while (this.delivered < this.expectedTotal) {
      const now = performance.now();
      if (now > deadline || now - this.progressAt > idleMs) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  result(complete) {
    const spanMs = this.lastRecv - this.firstSend;
    return {
      sent: this.sent,
      expected: this.expectedTotal,
      delivered: this.delivered,
      lost: Math.max(0, this.expectedTotal - this.delivered),
      duplicated: this.duplicated,
      out_of_order: this.outOfOrder,
      complete,
      deliveries_per_s: spanMs > 0 ? round((1000 * this.delivered) / spanMs) : null,
      publish_span_ms: round(this.lastSend - this.firstSend, 1),
      delivery_span_ms: round(spanMs, 1),
      latency_ms: this.latency.summary(),
    };
  }
}

/** Parses a message line `m <seq> <pub> <sendTime>`; undefined for anything else. */
export function parseMessage(line) {
  if (line.charCodeAt(0) !== 109 /* m */) return undefined;
  const a = line.indexOf(' ', 2);
  const b = line.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return undefined;
  return { seq: Number(line.slice(2, a)), pub: Number(line.slice(a + 1, b)), sentAt: Number(line.slice(b + 1)) };
}
