// HTTP control API (publish.md §6) against a fake hub, over raw TCP so status lines,
// headers and bodies are checked byte for byte.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startHttpControl } from '../src/inputs/http-control.js';
import { startPublishInputs, type PublishInputs } from '../src/inputs/index.js';
import { PublishIntake } from '../src/inputs/publish-intake.js';
import { captureLog, config, FakeHub, rawHttp, request, sleep, waitFor, withTimeout, type RawResponse } from './inputs-helpers.js';

const JSON_CT = { 'Content-Type': 'application/json' };
const good = (ch: string, content = 'hello\n'): string => JSON.stringify({ items: [{ channel: ch, formats: { 'http-stream': { content } } }] });

function assertFraming(r: RawResponse): void {
  assert.equal(r.headers['connection'], 'close', `Connection header in ${JSON.stringify(r.raw)}`);
  assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body, 'latin1')), 'Content-Length matches the body');
}

describe('HTTP control API', () => {
  const hub = new FakeHub();
  const cap = captureLog();
  let inputs: PublishInputs;
  let port = 0;
  const send = async (data: Buffer | string): Promise<RawResponse> => {
    const r = await rawHttp(port, data);
    assertFraming(r);
    return r;
  };

  before(async () => {
    inputs = await startPublishInputs({
      config: config({ push_in_http_addr: '127.0.0.1', push_in_http_port: '0', push_in_http_max_body_size: '5000', push_in_max_headers_size: '3000' }),
      hub, log: cap.log, instanceId: 'handler-test',
    });
    port = inputs.httpAddress!.port;
  });
  after(() => inputs.close());

  test('/ answers "Pushpin API" for any method', async () => {
    for (const m of ['GET', 'DELETE']) {
      const r = await send(request(m, '/'));
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.equal(r.body, 'Pushpin API\n');
    }
    // HEAD: same headers, no body (Pushpin would send the body anyway)
    const h = await rawHttp(port, request('HEAD', '/'));
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '12');
    assert.equal(h.body, '');
    const p = await send(request('POST', '/', 'x'));
    assert.equal(p.body, 'Pushpin API\n');
  });

  test('POST /publish/ publishes and answers "Published"', async () => {
    const before = hub.items.length;
    const r = await send(request('POST', '/publish/', good('c1'), JSON_CT));
    assert.equal(r.status, 200);
    assert.equal(r.reason, 'OK');
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.body, 'Published\n');
    await waitFor(() => hub.items.length === before + 1, 2000, 'published item');
    const item = hub.items.at(-1)!;
    assert.equal(item.channel, 'c1');
    assert.equal(item.formats.httpStream?.content.toString(), 'hello\n');
  });

  test('the trailing slash is optional; a query string or extra slash does not match', async () => {
    assert.equal((await send(request('POST', '/publish', good('c2')))).status, 200);
    const q = await send(request('POST', '/publish/?x=1', good('c2')));
    assert.equal(q.status, 404);
    assert.equal(q.body, 'Not Found\n');
    assert.equal((await send(request('POST', '/publish//', good('c2')))).status, 404);
    assert.equal((await send(request('POST', '//publish/', good('c2')))).status, 404);
  });

  test('several items are published in order in one call; [] is accepted', async () => {
    const calls = hub.publishCalls.length;
    const body = JSON.stringify({ items: [
      { channel: 'a', formats: { 'http-response': { body: 'for-a' } } },
      { channel: 'b', formats: { 'ws-message': { content: 'for-b' } } },
    ] });
    assert.equal((await send(request('POST', '/publish/', body))).status, 200);
    await waitFor(() => hub.publishCalls.length === calls + 1, 2000, 'publish call');
    assert.deepEqual(hub.publishCalls.at(-1)!.map((i) => i.channel), ['a', 'b']);
    const empty = await send(request('POST', '/publish/', '{"items":[]}'));
    assert.equal(empty.status, 200);
    assert.equal(empty.body, 'Published\n');
  });

  const badBodies: Array<[string, string | Buffer, string]> = [
    ['malformed JSON', '{"items": [ {"channel": ', 'Body is not valid JSON.\n'],
    ['empty body', '', 'Body is not valid JSON.\n'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'Body is not valid JSON.\n'],
    ['JSON array', '[]', 'Invalid format.\n'],
    ['JSON string', '"x"', 'Invalid format.\n'],
    ['no items', JSON.stringify({ channel: 'x', formats: {} }), "Invalid format: object does not contain 'items'\n"],
    ['items not an array', JSON.stringify({ items: { channel: 'x' } }), "Invalid format: object contains 'items' with wrong type\n"],
    ['item without channel', JSON.stringify({ items: [{ formats: { 'http-stream': { content: 'x' } } }] }), "Invalid format: publish item object does not contain 'channel'\n"],
    ['content not a string', JSON.stringify({ items: [{ channel: 'x', formats: { 'http-stream': { content: 123 } } }] }), "Invalid format: 'http-stream' contains 'content' with wrong type\n"],
    ['no formats', JSON.stringify({ items: [{ channel: 'x', formats: {} }] }), 'Invalid format: no formats specified\n'],
    ['unknown action', JSON.stringify({ items: [{ channel: 'x', formats: { 'http-stream': { action: 'zap' } } }] }), 'Invalid format: \n'],
  ];
  for (const [name, body, expected] of badBodies) {
    test(`400 for ${name}`, async () => {
      const calls = hub.publishCalls.length;
      const r = await send(request('POST', '/publish/', body, JSON_CT));
      assert.equal(r.status, 400);
      assert.equal(r.reason, 'Bad Request');
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.equal(r.body, expected);
      await sleep(20);
      assert.equal(hub.publishCalls.length, calls, 'nothing published');
    });
  }

  test('validation is all or nothing', async () => {
    const calls = hub.publishCalls.length;
    const body = JSON.stringify({ items: [
      { channel: 'ok', formats: { 'http-stream': { content: 'x' } } },
      { channel: 'bad', formats: { 'http-stream': {} } },
    ] });
    const r = await send(request('POST', '/publish/', body));
    assert.equal(r.status, 400);
    assert.equal(r.body, "Invalid format: 'http-stream' does not contain 'content' or 'content-bin'\n");
    await sleep(20);
    assert.equal(hub.publishCalls.length, calls);
  });

  test('Accept negotiation: JSON bodies, last acceptable entry wins, 406 otherwise', async () => {
    const cases: Array<[string, number, string, string]> = [
      ['application/json', 200, 'application/json', '{"message":"Published"}\n'],
      ['application/*', 200, 'application/json', '{"message":"Published"}\n'],
      ['text/plain', 200, 'text/plain', 'Published\n'],
      ['*/*', 200, 'text/plain', 'Published\n'],
      ['*', 200, 'text/plain', 'Published\n'],
      ['text/plain, application/json', 200, 'application/json', '{"message":"Published"}\n'],
      ['application/json;q=1, text/*;q=0.1', 200, 'text/plain', 'Published\n'],
      ['image/png, application/json', 200, 'application/json', '{"message":"Published"}\n'],
      ['image/png', 406, 'text/plain', 'Not Acceptable. Supported formats are text/plain and application/json.\n'],
      ['', 406, 'text/plain', 'Not Acceptable. Supported formats are text/plain and application/json.\n'],
    ];
    for (const [accept, status, ct, body] of cases) {
      const r = await send(request('POST', '/publish/', good('neg'), { Accept: accept }));
      assert.equal(r.status, status, `Accept: ${accept}`);
      assert.equal(r.headers['content-type'], ct, `Accept: ${accept}`);
      assert.equal(r.body, body, `Accept: ${accept}`);
    }
    const err = await send(request('POST', '/publish/', '[]', { Accept: 'application/json' }));
    assert.equal(err.status, 400);
    assert.equal(err.headers['content-type'], 'text/plain');
    assert.equal(err.body, 'Invalid format.\n');
    const nf = await send(request('GET', '/nowhere', undefined, { Accept: 'image/png' }));
    assert.equal(nf.status, 406, 'negotiation happens before routing');
  });

  test('405 with Allow: POST for other methods on /publish and /recover', async () => {
    for (const [m, uri, body] of [['GET', '/publish/', undefined], ['PUT', '/publish/', '{}'], ['DELETE', '/recover', undefined], ['GET', '/recover/', undefined]] as const) {
      const r = await send(request(m, uri, body));
      assert.equal(r.status, 405);
      assert.equal(r.reason, 'Method Not Allowed');
      assert.equal(r.headers['allow'], 'POST');
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.equal(r.body, `Method not allowed: ${m}.\n`);
    }
  });

  test('POST /recover calls hub.recover and answers "Updated"', async () => {
    const n = hub.recovers;
    const r = await send(request('POST', '/recover', ''));
    assert.equal(r.status, 200);
    assert.equal(r.body, 'Updated\n');
    assert.equal(hub.recovers, n + 1);
    const j = await send(request('POST', '/recover/', '', { Accept: 'application/json' }));
    assert.equal(j.body, '{"message":"Updated"}\n');
    assert.equal(j.headers['content-type'], 'application/json');
    assert.equal(hub.recovers, n + 2);
  });

  test('404 for unknown paths', async () => {
    for (const uri of ['/nope', '/publishx', '/publish/x', 'http://localhost/publish/']) {
      const r = await send(request('POST', uri, good('x')));
      assert.equal(r.status, 404, uri);
      assert.equal(r.reason, 'Not Found');
      assert.equal(r.body, 'Not Found\n');
    }
  });

  test('411 without Content-Length for POST/PUT and chunked bodies', async () => {
    for (const data of [
      `POST /publish/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      `POST /publish/ HTTP/1.1\r\nHost: x\r\n\r\n`,
      `PUT /publish/ HTTP/1.1\r\nHost: x\r\n\r\n`,
      `POST /publish/ HTTP/1.0\r\n\r\n`,
      `GET /publish/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ]) {
      const r = await send(data);
      assert.equal(r.status, 411, data);
      assert.equal(r.reason, 'Length Required');
      assert.equal(r.body, 'Request requires Content-Length.\n');
    }
  });

  test('400 for headers beyond push_in_max_headers_size (old key spelling honoured)', async () => {
    const r = await send(request('GET', '/', undefined, { 'X-Big': 'a'.repeat(4000) }));
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Request header too large.\n');
    const ok = await send(request('GET', '/', undefined, { 'X-Small': 'a'.repeat(1000) }));
    assert.equal(ok.status, 200);
  });

  test('400 for bodies beyond push_in_http_max_body_size', async () => {
    const big = JSON.stringify({ items: [{ channel: 'big', formats: { 'http-stream': { content: 'x'.repeat(6000) } } }] });
    const r = await send(request('POST', '/publish/', big));
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Request body too large.\n');
    // declared too large but not sent at all
    const d = await send(`POST /publish/ HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n`);
    assert.equal(d.body, 'Request body too large.\n');
  });

  test('400 for unparsable requests; the server keeps serving', async () => {
    const g = await send('\x16\x03\x01garbage that is not http\r\n\r\n');
    assert.equal(g.status, 400);
    assert.equal(g.body, 'Failed to parse request header.\n');
    const cl = await send(`POST /publish/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`);
    assert.equal(cl.status, 400);
    assert.equal(cl.body, 'Bad Content-Length.\n');
    const ok = await send(request('POST', '/publish/', good('still')));
    assert.equal(ok.status, 200);
  });

  test('Authorization is ignored', async () => {
    const r = await send(request('POST', '/publish/', good('auth'), { Authorization: 'Bearer not.a.jwt' }));
    assert.equal(r.status, 200);
    const b = await send(request('POST', '/publish/', good('auth'), { Authorization: 'Basic Zm9vOmJhcg==' }));
    assert.equal(b.status, 200);
  });

  test('Expect: 100-continue works', async () => {
    const r = await rawHttp(port, request('POST', '/publish/', good('cont'), { Expect: '100-continue' }));
    assert.match(r.raw, /HTTP\/1\.1 200 OK/);
    assert.ok(r.raw.endsWith('Published\n'));
  });

  test('a client that disconnects mid-body does not hurt the server', async () => {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(`POST /publish/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"items"`);
    await sleep(50);
    s.destroy();
    const ok = await send(request('GET', '/'));
    assert.equal(ok.status, 200);
  });

  test('20 concurrent publishes are all accepted', async () => {
    const calls = hub.publishCalls.length;
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => send(request('POST', '/publish/', good('cc', `<${i}>`)))));
    assert.ok(rs.every((r) => r.status === 200));
    await waitFor(() => hub.publishCalls.length === calls + 20, 2000, '20 publishes');
  });
});

describe('HTTP control API slow clients', () => {
  test('a client that never finishes its headers is dropped after the headers timeout', async () => {
    const cap = captureLog();
    const hub = new FakeHub();
    const c = await startHttpControl({
      addr: '127.0.0.1', port: 0, maxHeadersSize: 10000, maxBodySize: 1000000,
      intake: new PublishIntake(hub, cap.log), hub, log: cap.log, headersTimeoutMs: 300, requestTimeoutMs: 300,
    });
    try {
      const s = net.connect(c.address.port, '127.0.0.1');
      const closed = new Promise<void>((r) => s.on('close', () => r()));
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const t0 = Date.now();
      await withTimeout(closed, 4000, 'slow client was not dropped');
      assert.ok(Date.now() - t0 < 4000);
      const r = await rawHttp(c.address.port, request('GET', '/'));
      assert.equal(r.status, 200);
    } finally {
      c.close();
    }
  });

  test('listen errors reject startPublishInputs with a coded error', async () => {
    const cap = captureLog();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        startPublishInputs({ config: config({ push_in_http_addr: '127.0.0.1', push_in_http_port: String(port) }), hub: new FakeHub(), log: cap.log, instanceId: 'x' }),
        (err: Error & { code?: string }) => err.code === 'PP_ERR_HANDLER_INPUT_START' && /HTTP control API/.test(err.message),
      );
    } finally {
      blocker.close();
    }
  });
});
