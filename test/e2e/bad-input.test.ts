// Malformed input on every surface: publish bodies, ZeroMQ sockets, client HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import * as zmq from 'zeromq';
import { openStream, publish, request, sleep, startRunner, type Running } from '../helpers/index.js';

let r: Running;
before(async () => { r = await startRunner({ routes: ['* test'] }); });
after(async () => { await r?.stop(); });

async function stillWorks(): Promise<void> {
  const s = await openStream(r.httpPort, '/stream?channel=alive');
  await s.waitFor('[stream opened]\n');
  await sleep(300);
  await publish(r, [{ channel: 'alive', formats: { 'http-stream': { content: 'ok\n' } } }]);
  await s.waitFor('ok\n');
  s.close();
}

const badBodies: Array<[string, string, string]> = [
  ['not JSON', '{"items": [', 'Body is not valid JSON.\n'],
  ['not an object', '[1]', 'Invalid format.\n'],
  ['no items', '{"x":1}', "Invalid format: object does not contain 'items'\n"],
  ['items not a list', '{"items":{}}', "Invalid format: object contains 'items' with wrong type\n"],
  ['item without channel', '{"items":[{"formats":{"http-stream":{"content":"x"}}}]}', "Invalid format: publish item object does not contain 'channel'\n"],
];
for (const [name, body, text] of badBodies) {
  test(`publish body ${name} → 400 with Pushpin's message`, async () => {
    const res = await request(r.publishPort, { method: 'POST', path: '/publish/', body, headers: { 'Content-Length': String(Buffer.byteLength(body)) } });
    assert.equal(res.status, 400);
    assert.equal(res.text, text);
  });
}

test('garbage on the ZeroMQ publish PULL and ZHTTP sockets is ignored', async () => {
  const push = new zmq.Push({ linger: 0 });
  push.connect(`tcp://127.0.0.1:${r.pushPort}`);
  await push.send('not a tnetstring');
  await push.send('J{broken');
  await push.send(['two', 'parts']);
  push.close();
  // the connection manager's SUB (condure-in) and ROUTER (condure-out-stream)
  const run = path.join(r.dir, 'run');
  const pub = new zmq.Publisher({ linger: 0 });
  pub.connect(`ipc://${run}/pushpin-condure-in`);
  const router = new zmq.Router({ linger: 0, routingId: 'intruder' });
  router.connect(`ipc://${run}/pushpin-condure-out-stream`);
  await sleep(300);
  await pub.send('condure garbage-without-T');
  await pub.send('condure T5:hello,');
  await pub.send('condure T40:2:id,5:nope!,}');
  await router.send(['condure', '', 'T3:abc,']).catch(() => undefined);
  pub.close();
  router.close();
  await sleep(300);
  await stillWorks();
});

test('garbage client requests get an error status or a close, and nothing else is affected', async () => {
  // uWebSockets.js answers a request line that is not HTTP/1.x with its own fixed 505 before
  // any of our code runs (Pushpin's condure says 400); every other case must be a 4xx
  const cases: Array<[string, RegExp]> = [
    ['\x16\x03\x01garbage\r\n\r\n', /^HTTP\/1\.[01] (4\d\d|505) /],
    ['GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', /^HTTP\/1\.[01] 4\d\d /],
    [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, /^HTTP\/1\.[01] 4\d\d /],
  ];
  for (const [raw, expected] of cases) {
    const text = await new Promise<string>((resolve) => {
      const c = net.connect(r.httpPort, '127.0.0.1');
      let buf = '';
      c.on('data', (d) => { buf += d.toString('latin1'); });
      c.on('close', () => resolve(buf));
      c.on('error', () => resolve(buf));
      c.write(raw);
      setTimeout(() => c.destroy(), 3000);
    });
    if (text) assert.match(text, expected, `unexpected answer ${JSON.stringify(text.slice(0, 80))}`);
  }
  await stillWorks();
});
