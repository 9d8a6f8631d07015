import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { parseKeySpec, verifyGripSig } from '@pushpin-ts/grip';
import { encode as tnEncode } from '@pushpin-ts/tnetstring';
import {
  decodeAcceptArgs, encodeAcceptResult, encodeRetryPacket, ResponderTransport, Sender, ZhttpResponder, ZrpcCondition,
  type AcceptArgs, type Packet, type ResponderSession, type ZrpcHandler,
} from '@pushpin-ts/zhttp';
import { GRIP_FEATURE } from '../src/index.js';
import {
  clientRequest, defer, eventually, fakeCondure, fakeHandler, fakeZurl, hv, makeEnv, quiet, sleep, SIG_KEY, startProxy, within,
  type Env, type ProxyProc,
} from './helpers.js';

const ROUTES = `test.local test
*,path_beg=/api/ 127.0.0.1:1000
*,path_beg=/two/ 127.0.0.1:1001 127.0.0.1:1002
*,path_beg=/nogrip/,no_grip 127.0.0.1:1003
*,path_beg=/rewrite/,replace_beg=/rewritten/ 127.0.0.1:1004,host=backend.example
`;

let env: Env;
let proxy: ProxyProc;
let condure: Awaited<ReturnType<typeof fakeCondure>>;
let zurl: Awaited<ReturnType<typeof fakeZurl>>;
let handler: Awaited<ReturnType<typeof fakeHandler>>;
let onZurl: (s: ResponderSession) => void = () => undefined;
let onAccept: ZrpcHandler = () => { throw new ZrpcCondition('not-ready'); };

before(async () => {
  env = makeEnv(ROUTES);
  condure = await fakeCondure(env);
  zurl = await fakeZurl(env, (s) => onZurl(s));
  proxy = await startProxy(env);
  handler = await fakeHandler(env, (req) => onAccept(req));
  await sleep(200);
});

after(async () => {
  if (process.env['PPX_DUMP_LOGS']) (await import('node:fs')).writeFileSync(process.env['PPX_DUMP_LOGS'], proxy.logs.map((l) => JSON.stringify(l)).join('\n'));
  await proxy?.stop();
  condure?.close();
  zurl?.close();
  handler?.close();
  if (env) (await import('node:fs')).rmSync(env.dir, { recursive: true, force: true });
});

/** Next zurl session, with the request's first packet. */
function nextZurl(): Promise<ResponderSession> {
  const d = defer<ResponderSession>();
  onZurl = (s) => { onZurl = () => undefined; d.resolve(s); };
  return within(d.promise, 5000, 'a request at zurl');
}

test('GET is forwarded with Grip-Sig, Grip-Feature, connect host/port; response relayed', async () => {
  const at = nextZurl();
  const c = clientRequest(condure.init, {
    uri: 'http://app.example:7999/api/hello?x=1&y=%20z',
    headers: [['Host', 'app.example:7999'], ['Connection', 'keep-alive'], ['Grip-Last', 'forged'], ['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-Proto', 'https'], ['Accept', '*/*']],
  });
  const z = await at;
  const r = z.request!;
  assert.equal(r.method, 'GET');
  assert.equal(r.uri, 'http://app.example:7999/api/hello?x=1&y=%20z');
  assert.equal(r.connectHost, '127.0.0.1');
  assert.equal(r.connectPort, 1000);
  assert.equal(r.ignorePolicies, true);
  assert.equal(r.stream, true);
  assert.equal(r.credits, 200000);
  assert.equal(r.more, undefined);
  const h = r.headers!;
  assert.equal(hv(h, 'Host'), 'app.example:7999');
  assert.equal(hv(h, 'Connection'), undefined);
  assert.equal(hv(h, 'Grip-Last'), undefined, 'client Grip-* removed');
  assert.equal(hv(h, 'X-Forwarded-Proto'), undefined, 'client X-Forwarded-Proto dropped for plain HTTP');
  assert.equal(hv(h, 'X-Forwarded-For'), '1.1.1.1, 10.1.2.3');
  assert.equal(hv(h, 'Grip-Feature'), GRIP_FEATURE);
  const claims = verifyGripSig(hv(h, 'Grip-Sig') ?? '', parseKeySpec(SIG_KEY), Date.now() / 1000);
  assert.ok(claims, 'Grip-Sig verifies with sig_key');
  assert.equal(claims.iss, 'pushpin');
  z.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain'], ['Content-Length', '5'], ['Connection', 'close'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']] }, Buffer.from('hello'));
  const res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 200);
  assert.equal(res.body.toString(), 'hello');
  assert.equal(hv(res.headers, 'Content-Length'), '5');
  assert.equal(hv(res.headers, 'Connection'), undefined);
  assert.deepEqual(res.headers.filter(([k]) => k === 'Set-Cookie').map(([, v]) => v), ['a=1', 'b=2']);
  assert.match(res.from ?? '', /^pushpin-proxy_\d+$/);
});

test('POST body streams to zurl under credits (1 MB) and the response comes back', async () => {
  const body = randomBytes(1_000_000);
  const at = nextZurl();
  const c = clientRequest(condure.init, { method: 'POST', uri: 'http://app.example/api/upload', headers: [['Host', 'app.example'], ['Content-Length', String(body.length)]], body: body.subarray(0, 1000), more: true });
  // the rest goes as the proxy grants credits; write() queues and waits for them
  c.session.write(body.subarray(1000, 500_000), true);
  c.session.write(body.subarray(500_000), false);
  const z = await at;
  const got: Buffer[] = [z.request!.body ?? Buffer.alloc(0)];
  const all = defer<void>();
  z.ondata = (p) => {
    if (p.body?.length) { got.push(p.body); setTimeout(() => z.credit(p.body!.length), 1); }
    if (!p.more) all.resolve();
  };
  z.credit(16384);
  await within(all.promise, 10000, 'the whole request body at zurl');
  const recv = Buffer.concat(got);
  assert.equal(recv.length, body.length);
  assert.equal(createHash('sha256').update(recv).digest('hex'), createHash('sha256').update(body).digest('hex'));
  z.respond({ code: 201, reason: 'Created', headers: [] }, Buffer.from('ok'));
  const res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 201);
  assert.equal(res.body.toString(), 'ok');
});

test('a large streamed passthrough response is relayed in order under credits', async () => {
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/api/big' });
  const z = await at;
  const parts = Array.from({ length: 60 }, (_, i) => Buffer.alloc(10_000, i));
  z.respond({ code: 200, reason: 'OK', headers: [['Transfer-Encoding', 'chunked'], ['X-Kind', 'big']] }, Buffer.alloc(0), true);
  for (let i = 0; i < parts.length; i++) z.write(parts[i]!, i < parts.length - 1);
  const res = await within(c.done, 10000, 'client response');
  assert.equal(res.code, 200);
  assert.equal(hv(res.headers, 'Transfer-Encoding'), undefined);
  assert.equal(hv(res.headers, 'X-Kind'), 'big');
  assert.ok(res.body.equals(Buffer.concat(parts)));
  assert.equal(z.buffered, 0, 'zurl side drained (the proxy granted credits back)');
});

test('GRIP response: handoff-start, handoff-proceed, accept with seq/credits, handler takes over', async () => {
  const accepted = defer<AcceptArgs>();
  onAccept = (req) => {
    assert.equal(req.method, 'accept');
    const a = decodeAcceptArgs(req.args);
    accepted.resolve(a);
    return encodeAcceptResult({ accepted: true });
  };
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/api/stream', credits: 4096 });
  const z = await at;
  z.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain'], ['Grip-Hold', 'stream'], ['Grip-Channel', 'ch1']] }, Buffer.from('start\n'));
  const a = await within(accepted.promise, 5000, 'accept call');
  const rq = a.requests[0]!;
  assert.equal(rq.rid.sender, 'condure');
  assert.equal(rq.rid.id, c.session.id);
  // condure sent request (0) and handoff-proceed (1); the proxy sent keep-alive (0) and handoff-start (1)
  assert.equal(rq.inSeq, 2);
  assert.equal(rq.outSeq, 2);
  assert.equal(rq.outCredits, 4096);
  assert.equal(rq.peerAddress, '10.1.2.3');
  assert.equal(a.response.code, 200);
  assert.equal(a.response.body.toString(), 'start\n');
  assert.equal(hv(a.response.headers, 'Grip-Hold'), 'stream');
  assert.equal(a.route, '*,*,*,/api/');
  assert.equal(a.requestData.method, 'GET');
  assert.equal(a.requestData.uri, 'http://app.example/api/stream');
  assert.ok(hv(a.requestData.headers, 'Grip-Sig'));
  assert.equal(a.sigIss, 'pushpin');
  assert.equal(a.sigKey, SIG_KEY);

  // the handler adopts the session and answers through condure's sockets
  const ht = new ResponderTransport({ instanceId: 'handler-test', pullSpecs: [], routerSpecs: [env.spec('condure-out-stream')], pubSpecs: [env.spec('condure-in')], bind: false }, quiet);
  await ht.start();
  try {
    await sleep(200);
    const hr = new ZhttpResponder(ht, { instanceId: 'handler-test', log: quiet });
    const hs = hr.adopt({ from: rq.rid.sender, id: rq.rid.id, inSeq: rq.inSeq, outSeq: rq.outSeq, credits: rq.outCredits });
    hs.keepAlive();
    hs.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain']] }, Buffer.from('from handler\n'));
    const res = await within(c.done, 5000, 'response from the handler');
    assert.equal(res.body.toString(), 'from handler\n');
    assert.equal(res.from, 'handler-test');
  } finally {
    ht.close();
  }
});

test('retry packet: the handler gives the session back; the proxy re-asks the backend and answers the client', async () => {
  const accepted = defer<AcceptArgs>();
  onAccept = (req) => { accepted.resolve(decodeAcceptArgs(req.args)); return encodeAcceptResult({ accepted: true }); };
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/api/lp', credits: 4096 });
  (await at).respond({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'response'], ['Grip-Channel', 'lp']] }, Buffer.from('timeout\n'));
  const a = await within(accepted.promise, 5000, 'accept call');
  const rq = a.requests[0]!;
  const ht = new ResponderTransport({ instanceId: 'handler-test', pullSpecs: [], routerSpecs: [env.spec('condure-out-stream')], pubSpecs: [env.spec('condure-in')], bind: false }, quiet);
  const retry = new Sender('push', { specs: [env.spec('retry')], bind: false }, quiet);
  await ht.start();
  await retry.start();
  try {
    await sleep(200);
    const hs = new ZhttpResponder(ht, { instanceId: 'handler-test', log: quiet })
      .adopt({ from: rq.rid.sender, id: rq.rid.id, inSeq: rq.inSeq, outSeq: rq.outSeq, credits: rq.outCredits });
    hs.keepAlive();
    await sleep(100);
    // garbage first: logged and dropped, the proxy keeps going
    retry.send(Buffer.from('not a tnetstring'));
    retry.send(tnEncode({ requests: [] }));
    // the packet as Pushpin 1.36's handler sends it (a long-poll update)
    const again = nextZurl();
    retry.send(tnEncode(encodeRetryPacket({
      requests: [{ rid: rq.rid, https: false, debug: false, isRetry: false, autoCrossOrigin: false, inSeq: hs.inSeq, outSeq: hs.outSeq, outCredits: hs.credits, peerAddress: '10.1.2.3' }],
      route: a.route!,
      requestData: { method: 'GET', uri: 'http://app.example/api/lp', headers: [['Host', 'app.example'], ['Grip-Last', 'lp; last-id=1'], ['Grip-Hold', 'from-a-client']], body: Buffer.alloc(0) },
    })));
    const z = await again;
    assert.equal(z.request?.uri, 'http://app.example/api/lp');
    assert.equal(hv(z.request?.headers, 'Grip-Last'), 'lp; last-id=1');
    assert.equal(hv(z.request?.headers, 'Grip-Hold'), undefined, 'a client Grip-* header is not forwarded');
    assert.ok(hv(z.request?.headers, 'Grip-Sig'), 'signed like any proxied request');
    z.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain']] }, Buffer.from('fresh\n'));
    const res = await within(c.done, 5000, 'the retried response at the client');
    assert.equal(res.code, 200);
    assert.equal(res.body.toString(), 'fresh\n');
    assert.notEqual(res.from, 'handler-test');
    await eventually(() => proxy.logs.some((l) => String(l['msg']).startsWith('retry: malformed packet')), 3000, 'the garbage logged');
  } finally {
    retry.close();
    ht.close();
  }
});

test('accept failure gives 500 Accept service unavailable', async () => {
  onAccept = () => { throw new ZrpcCondition('internal-server-error'); };
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/api/held' });
  const z = await at;
  z.respond({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'response'], ['Grip-Channel', 'x']] }, Buffer.from('timeout body'));
  const res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 500);
  assert.equal(res.body.toString(), 'Accept service unavailable.\n');
  assert.equal(hv(res.headers, 'Content-Type'), 'text/plain');
  assert.equal(hv(res.headers, 'Content-Length'), String(res.body.length));
});

test('accepted=false with a response: the proxy sends that response', async () => {
  onAccept = () => encodeAcceptResult({ accepted: false, response: { code: 409, reason: 'Conflict', headers: [['X-H', '1']], body: Buffer.from('nope') } });
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/api/held2' });
  const z = await at;
  z.respond({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'response'], ['Grip-Channel', 'x']] }, Buffer.from(''));
  const res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 409);
  assert.equal(res.body.toString(), 'nope');
});

test('no_grip route relays Grip headers untouched and sends no Grip-Sig', async () => {
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/nogrip/x' });
  const z = await at;
  assert.equal(hv(z.request!.headers, 'Grip-Sig'), undefined);
  assert.equal(hv(z.request!.headers, 'Grip-Feature'), undefined);
  z.respond({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'stream']] }, Buffer.from('plain'));
  const res = await within(c.done, 5000, 'client response');
  assert.equal(res.body.toString(), 'plain');
  assert.equal(hv(res.headers, 'Grip-Hold'), 'stream');
});

test('zurl error before the response gives 502; connection failure tries the next target', async () => {
  let at = nextZurl();
  let c = clientRequest(condure.init, { uri: 'http://app.example/api/fail' });
  let z = await at;
  z.error('undefined-condition');
  let res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 502);
  assert.equal(res.body.toString(), 'Error while proxying to origin.\n');

  at = nextZurl();
  c = clientRequest(condure.init, { method: 'POST', uri: 'http://app.example/two/x', headers: [['Host', 'app.example'], ['Content-Length', '3']], body: Buffer.from('abc') });
  z = await at;
  assert.equal(z.request!.connectPort, 1001);
  const second = nextZurl();
  z.error('remote-connection-failed');
  z = await second;
  assert.equal(z.request!.connectPort, 1002);
  assert.equal(z.request!.body?.toString(), 'abc', 'body replayed to the next target');
  z.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('second'));
  res = await within(c.done, 5000, 'client response');
  assert.equal(res.body.toString(), 'second');

  at = nextZurl();
  c = clientRequest(condure.init, { uri: 'http://app.example/api/len' });
  z = await at;
  z.error('length-required');
  res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 411);
});

test('path rewrite and target host= reach zurl', async () => {
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/rewrite/a/b?q' });
  const z = await at;
  assert.equal(z.request!.uri, 'http://backend.example/rewritten/a/b?q');
  assert.equal(hv(z.request!.headers, 'Host'), 'backend.example');
  z.respond({ code: 204, reason: 'No Content', headers: [] });
  assert.equal((await within(c.done, 5000, 'client response')).code, 204);
});

test('client cancel cancels the zurl session', async () => {
  const at = nextZurl();
  const c = clientRequest(condure.init, { uri: 'http://app.example/api/slow' });
  const z = await at;
  const ended = defer<string>();
  z.onend = (reason) => ended.resolve(reason);
  z.keepAlive();
  await sleep(100);
  c.session.cancel();
  assert.equal(await within(ended.promise, 5000, 'zurl session end'), 'cancel');
});

test('no route gives 502 Route not found', async () => {
  const c = clientRequest(condure.init, { uri: 'http://app.example/nothing-here' });
  const res = await within(c.done, 5000, 'client response');
  assert.equal(res.code, 502);
  assert.equal(res.reason, 'Bad Gateway');
  assert.equal(res.body.toString(), 'Route not found\n');
  assert.equal(hv(res.headers, 'Content-Type'), 'text/plain');
});

test('test target answers / and hands /stream to the handler', async () => {
  let res = await within(clientRequest(condure.init, { uri: 'http://test.local/' }).done, 5000, 'test /');
  assert.equal(res.code, 200);
  assert.equal(res.body.toString(), 'Hello from the Pushpin test handler!\n');
  res = await within(clientRequest(condure.init, { uri: 'http://test.local/nope' }).done, 5000, 'test /nope');
  assert.equal(res.code, 404);

  const accepted = defer<AcceptArgs>();
  onAccept = (req) => { accepted.resolve(decodeAcceptArgs(req.args)); return encodeAcceptResult({ accepted: true }); };
  const c = clientRequest(condure.init, { uri: 'http://test.local/stream?channel=a' });
  const a = await within(accepted.promise, 5000, 'accept for /stream');
  assert.equal(hv(a.response.headers, 'Grip-Hold'), 'stream');
  assert.equal(hv(a.response.headers, 'Grip-Channel'), 'a');
  assert.equal(a.response.body.toString(), '[stream opened]\n');
  assert.equal(a.requests[0]!.rid.id, c.session.id);
  c.session.cancel();
});

test('internal request (intreq) is forwarded and the backend response returned as-is', async () => {
  const { InitiatorTransport, ZhttpInitiator } = await import('@pushpin-ts/zhttp');
  const it = new InitiatorTransport({ instanceId: 'handler-int', pushSpecs: [env.spec('intreq-in')], routerSpecs: [env.spec('intreq-in-stream')], subSpecs: [env.spec('intreq-out')], bind: false }, quiet);
  await it.start();
  try {
    await sleep(300);
    const init = new ZhttpInitiator(it, { instanceId: 'handler-int', log: quiet });
    const at = nextZurl();
    const c = clientRequest(init, { uri: 'http://app.example/api/next', headers: [['Host', 'app.example'], ['Grip-Last', 'ch; last-id=1']] });
    const z = await at;
    assert.equal(hv(z.request!.headers, 'Grip-Last'), 'ch; last-id=1', 'internal Grip-* kept');
    assert.ok(hv(z.request!.headers, 'Grip-Sig'));
    z.respond({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'stream'], ['Grip-Channel', 'ch']] }, Buffer.from('next body'));
    const res = await within(c.done, 5000, 'intreq response');
    assert.equal(res.body.toString(), 'next body');
    assert.equal(hv(res.headers, 'Grip-Hold'), 'stream');
  } finally {
    it.close();
  }
});

test('the proxy survives garbage on its sockets', async () => {
  const { Sender } = await import('@pushpin-ts/zhttp');
  const push = new Sender('push', { specs: [env.spec('intreq-in')], bind: false }, quiet);
  await push.start();
  push.send(Buffer.from('Tnot a tnetstring'));
  push.send(Buffer.from('garbage'));
  push.send(Buffer.from('T3:abc,'));
  await sleep(300);
  push.close();
  const res = await within(clientRequest(condure.init, { uri: 'http://test.local/' }).done, 5000, 'request after garbage');
  assert.equal(res.code, 200);
  assert.equal(proxy.child.exitCode, null);
});


/** Opens a WebSocket session as condure does (ws:// URI, no `stream`). */
function wsClient(uri: string, extra: Array<[string, string]> = []) {
  const s = condure.init.open();
  const opened = defer<Packet>();
  const ended = defer<{ reason: string; p: Packet | undefined }>();
  const messages: Packet[] = [];
  const closed = defer<{ code: number | undefined; reason: string }>();
  let waiter: (() => void) | undefined;
  s.onresponse = (p) => opened.resolve(p);
  s.ondata = (p) => { messages.push(p); if (p.body?.length) s.credit(p.body.length); waiter?.(); };
  s.onclose = (code, reason) => closed.resolve({ code, reason: reason.toString() });
  s.onend = (reason, p) => { ended.resolve({ reason, p }); opened.resolve(p ?? { id: '' }); };
  s.start({
    method: 'GET', uri, credits: 8192, peerAddress: '10.1.2.3',
    headers: [['Host', new URL(uri).host], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13'], ...extra],
  });
  return {
    s, ended: ended.promise,
    get opened() { return within(opened.promise, 5000, 'WebSocket answer'); },
    get closed() { return within(closed.promise, 5000, 'close from the proxy'); },
    async next(): Promise<Packet> {
      await within(new Promise<void>((r) => { if (messages.length) r(); else waiter = r; }), 5000, 'WebSocket message');
      return messages.shift()!;
    },
  };
}

test('WebSocket passthrough: handshake, messages both ways, close both ways', async () => {
  const at = nextZurl();
  const c = wsClient('ws://app.example/api/ws?a=b', [['Sec-WebSocket-Protocol', 'chat']]);
  const z = await at;
  assert.equal(z.request!.uri, 'ws://app.example/api/ws?a=b');
  assert.equal(z.request!.stream, undefined);
  assert.equal(z.request!.connectPort, 1000);
  assert.equal(hv(z.request!.headers, 'Sec-WebSocket-Protocol'), 'chat');
  assert.ok(hv(z.request!.headers, 'Grip-Sig'));
  const fromClient: Packet[] = [];
  const zClosed = defer<{ code: number | undefined; reason: string }>();
  let zWaiter: (() => void) | undefined;
  z.ondata = (p) => { fromClient.push(p); if (p.body?.length) z.credit(p.body.length); zWaiter?.(); };
  z.onclose = (code, reason) => zClosed.resolve({ code, reason: reason.toString() });
  z.respond({ code: 101, reason: 'Switching Protocols', headers: [['Sec-WebSocket-Protocol', 'chat'], ['Sec-WebSocket-Accept', 'x'], ['Upgrade', 'websocket']] }, Buffer.alloc(0), false, { credits: 8192 });
  const head = await c.opened;
  assert.equal(head.code, 101);
  assert.deepEqual(head.headers, [['Sec-WebSocket-Protocol', 'chat']]);
  c.s.write(Buffer.from('hi'), false, 'text');
  await within(new Promise<void>((r) => { if (fromClient.length) r(); else zWaiter = r; }), 5000, 'message at zurl');
  assert.equal(fromClient[0]!.body?.toString(), 'hi');
  assert.equal(fromClient[0]!.contentType, 'text');
  z.write(Buffer.from([0, 1, 255]), false, 'binary');
  const m = await c.next();
  assert.deepEqual([...m.body!], [0, 1, 255]);
  assert.equal(m.contentType, 'binary');
  c.s.close(1000, Buffer.from('bye'));
  assert.deepEqual(await within(zClosed.promise, 5000, 'close at zurl'), { code: 1000, reason: 'bye' });
  z.close(1000, Buffer.from('ok'));
  assert.deepEqual(await c.closed, { code: 1000, reason: 'ok' });
});

test('WebSocket: backend rejection is relayed; test target /ws echoes', async () => {
  const at = nextZurl();
  const c = wsClient('ws://app.example/api/denied');
  const z = await at;
  z.error('rejected', { code: 403, reason: 'Forbidden', headers: [['X-Why', 'no']], body: Buffer.from('denied') });
  const e = await within(c.ended, 5000, 'rejection');
  assert.equal(e.p?.condition, 'rejected');
  assert.equal(e.p?.code, 403);
  assert.equal(e.p?.body?.toString(), 'denied');

  const t = wsClient('ws://test.local/ws');
  assert.equal((await t.opened).code, 101);
  t.s.write(Buffer.from('echo me'), false, 'text');
  const m = await t.next();
  assert.equal(m.body?.toString(), 'echo me');
  t.s.close(1000, Buffer.from(''));
  assert.equal((await t.closed).code, 1000);

  const n = wsClient('ws://test.local/nows');
  const r = await within(n.ended, 5000, '404 rejection');
  assert.equal(r.p?.code, 404);
});

test('no session failed or crashed along the way (errors in the proxy log)', async () => {
  await sleep(100);
  const errors = proxy.logs.filter((l) => Number(l['level']) >= 50);
  assert.deepEqual(errors, []);
  const garbage = proxy.logs.filter((l) => Number(l['level']) === 40 && String(l['msg']).includes('malformed'));
  assert.ok(garbage.length >= 2, 'malformed packets were logged as warnings');
});
