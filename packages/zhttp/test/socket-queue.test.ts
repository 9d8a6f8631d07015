import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zmq from 'zeromq';
import { SendQueue } from '../src/transport/socket-queue.js';

const addr = (n: string) => `inproc://send-queue-${n}-${process.pid}`;

test('send queue: a burst past the HWM is backlogged and delivered complete and in order', async () => {
  const push = new zmq.Push({ sendHighWaterMark: 5, linger: 0 });
  const pull = new zmq.Pull({ receiveHighWaterMark: 5, linger: 0 });
  await pull.bind(addr('burst'));
  push.connect(addr('burst'));
  const errors: unknown[] = [];
  const q = new SendQueue(push, (err) => errors.push(err));
  const n = 3000;
  for (let i = 0; i < n; i++) q.send(Buffer.from(String(i)));
  assert.ok(q.length > 0, 'the HWM must push messages into the backlog');
  for (let i = 0; i < n; i++) {
    const [m] = await pull.receive();
    assert.equal(m!.toString(), String(i));
  }
  assert.deepEqual(errors, []);
  assert.equal(q.length, 0);
  assert.equal(push.sendTimeout, 0, 'fast path runs with sendTimeout 0');
  push.close(); pull.close();
});

test('send queue: an owner-configured sendTimeout 0 fails at once (no backlog) and reports the message', async () => {
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.sendTimeout = 0;
  const failed: Array<Buffer | Buffer[]> = [];
  const q = new SendQueue(dealer, (_err, msg) => failed.push(msg), undefined, false, true);
  const msg = [Buffer.alloc(0), Buffer.from('x')];
  q.send(msg);
  assert.equal(q.length, 0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(failed, [msg]);
  dealer.close();
});

test('send queue: a full backlog refuses a message and reports it', async () => {
  const push = new zmq.Push({ sendHighWaterMark: 1, linger: 0 });
  const errors: string[] = [];
  const q = new SendQueue(push, (err) => errors.push(String(err)), 2);
  push.sendTimeout = 50;
  // 0 is in flight (waiting for a peer), 1 and 2 wait behind it, 3 and 4 are refused
  for (let i = 0; i < 5; i++) q.send(Buffer.from(String(i)));
  assert.equal(q.dropped, 2);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /backlog full/);
  await new Promise((r) => setTimeout(r, 200));
  push.close();
});
