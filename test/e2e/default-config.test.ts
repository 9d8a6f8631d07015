// The default routes (`* test`): the built-in test target works with no backend,
// and publishes reach /stream and /response through the real processes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStream, publish, request, sleep, startRunner, type Running } from '../helpers/index.js';

let r: Running;
before(async () => { r = await startRunner({ routes: ['* test'] }); });
after(async () => { await r?.stop(); });

test('GET / answers the test handler greeting', async () => {
  const res = await request(r.httpPort, { path: '/' });
  assert.equal(res.status, 200);
  assert.equal(res.text, 'Hello from the Pushpin test handler!\n');
  assert.match(String(res.headers['content-type']), /^text\/plain/);
});

test('unknown test resource is a 404', async () => {
  const res = await request(r.httpPort, { path: '/nope' });
  assert.equal(res.status, 404);
  assert.equal(res.text, 'no such test resource\n');
});

test('/stream receives http-stream publishes in order, then close ends it', async () => {
  const s = await openStream(r.httpPort, '/stream?channel=e2e-a');
  assert.equal(s.status, 200);
  await s.waitFor('[stream opened]\n');
  await sleep(300);
  for (let i = 0; i < 5; i++) await publish(r, [{ channel: 'e2e-a', formats: { 'http-stream': { content: `m${i}\n` } } }]);
  await s.waitFor('m4\n');
  assert.equal(s.text(), '[stream opened]\nm0\nm1\nm2\nm3\nm4\n');
  await publish(r, [{ channel: 'e2e-a', formats: { 'http-stream': { action: 'close' } } }]);
  const deadline = Date.now() + 3000;
  while (!s.ended() && Date.now() < deadline) await sleep(50);
  assert.equal(s.ended(), true, 'close action did not end the stream');
});

test('/response long-poll gets the published http-response', async () => {
  const pending = request(r.httpPort, { path: '/response?channel=e2e-b', timeout: 10000 });
  await sleep(800);
  await publish(r, [{ channel: 'e2e-b', formats: { 'http-response': { code: 201, headers: { 'X-Pub': '1' }, body: 'published\n' } } }]);
  const res = await pending;
  assert.equal(res.status, 201);
  assert.equal(res.headers['x-pub'], '1');
  assert.equal(res.text, 'published\n');
});
