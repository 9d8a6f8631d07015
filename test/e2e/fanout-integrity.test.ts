// Fan-out at full speed: every subscriber gets every message once, intact, in chunks whose
// framing matches their content (a miscounted multi-part chunk once sent uninitialised bytes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { publish, startBackend, startRunner, until, type Running } from '../helpers/index.js';

const SUBS = 600;
const MSGS = 150;
const PUBLISHERS = 4;

let r: Running;
let backend: Awaited<ReturnType<typeof startBackend>>;

before(async () => {
  backend = await startBackend((req, res) => {
    if (req.url !== '/s') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('plain\n'); return; }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': 'fan' });
    res.end('ok\n');
  });
  r = await startRunner({ routes: [`* 127.0.0.1:${backend.port}`], extra: { handler: { message_rate: 1000000, message_hwm: 10000000 } } });
});
after(async () => { await r?.stop(); await backend?.close(); });

/** A subscriber that parses the chunked response strictly and records every problem. */
class Subscriber {
  readonly problems: string[] = [];
  readonly seen = new Set<string>();
  started = false;
  private raw: Buffer = Buffer.alloc(0);
  private inHead = true;
  private need = -1;
  private text = '';
  readonly sock: net.Socket;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1', () => this.sock.write('GET /s HTTP/1.1\r\nHost: x\r\n\r\n'));
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (e) => this.problems.push(`socket error ${e.message}`));
  }

  private onData(d: Buffer): void {
    this.raw = this.raw.length ? Buffer.concat([this.raw, d]) : d;
    for (;;) {
      if (this.inHead) {
        const k = this.raw.indexOf('\r\n\r\n');
        if (k < 0) return;
        this.inHead = false;
        this.raw = this.raw.subarray(k + 4);
      } else if (this.need < 0) {
        const k = this.raw.indexOf('\r\n');
        if (k < 0) return;
        const m = /^([0-9a-f]+)(;.*)?$/.exec(this.raw.subarray(0, k).toString('latin1'));
        if (!m) { this.problems.push(`bad chunk line ${JSON.stringify(this.raw.subarray(0, k).toString('latin1'))}`); this.sock.destroy(); return; }
        this.need = parseInt(m[1]!, 16);
        this.raw = this.raw.subarray(k + 2);
      } else {
        if (this.raw.length < this.need + 2) return;
        const content = this.raw.subarray(0, this.need).toString('latin1');
        if (this.raw[this.need] !== 13 || this.raw[this.need + 1] !== 10) { this.problems.push('chunk not followed by CRLF'); this.sock.destroy(); return; }
        this.raw = this.raw.subarray(this.need + 2);
        this.need = -1;
        this.text += content;
        this.lines();
      }
    }
  }

  private lines(): void {
    let k;
    while ((k = this.text.indexOf('\n')) >= 0) {
      const line = this.text.slice(0, k);
      this.text = this.text.slice(k + 1);
      if (line === 'ok') { this.started = true; continue; }
      if (line === 'w') { this.seen.add('w'); continue; }
      if (!/^m \d+$/.test(line)) { this.problems.push(`garbled line ${JSON.stringify(line)}`); continue; }
      if (this.seen.has(line)) this.problems.push(`duplicate ${line}`);
      this.seen.add(line);
    }
  }
}

test(`${SUBS} subscribers, ${MSGS} messages from ${PUBLISHERS} publishers at full speed: all delivered once, intact`, { timeout: 120_000 }, async () => {
  const subs: Subscriber[] = [];
  for (let i = 0; i < SUBS; i++) {
    subs.push(new Subscriber(r.httpPort));
    if (i % 50 === 49) await until(() => subs.every((s) => s.started || s.problems.length > 0), 20_000, 'subscribers started');
  }
  await until(() => subs.every((s) => s.started), 20_000, () => `${subs.filter((s) => s.started).length}/${SUBS} subscribed`);
  // every subscription is live once a warm-up line reached everyone
  await until(async () => {
    await publish(r, [{ channel: 'fan', formats: { 'http-stream': { content: 'w\n' } } }]);
    await new Promise((res) => setTimeout(res, 200));
    return subs.every((s) => s.seen.has('w'));
  }, 20_000, 'warm-up line reached every subscriber');

  let next = 0;
  await Promise.all(Array.from({ length: PUBLISHERS }, async () => {
    while (next < MSGS) {
      const n = next++;
      await publish(r, [{ channel: 'fan', formats: { 'http-stream': { content: `m ${n}\n` } } }]);
    }
  }));
  const want = MSGS + 1; // + the warm-up line
  await until(() => subs.every((s) => s.seen.size >= want || s.problems.length > 0), 30_000,
    () => `delivered ${subs.reduce((a, s) => a + s.seen.size - 1, 0)} of ${SUBS * MSGS}`);
  const problems = subs.flatMap((s, i) => s.problems.map((p) => `subscriber ${i}: ${p}`));
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);
  for (const s of subs) assert.equal(s.seen.size, want);
  for (const s of subs) s.sock.destroy();
});
