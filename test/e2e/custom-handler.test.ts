// Custom ZHTTP handlers behind `zhttpreq/` (a Python REP handler, pyzmq from Debian's
// python3-zmq) and `zhttp/` (a stream-mode responder written here): plain answers, GRIP
// stream holds reached by a publish, and bad handlers (garbage, late, gone) answered with 5xx
// while other routes keep working.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponderTransport, ZhttpResponder } from '@pushpin-ts/zhttp';
import { openStream, publish, request, sleep, startRunner, type Running } from '../helpers/index.js';

const PYTHON = '/usr/bin/python3';
const TIMEOUT_MS = 2500;

// The handler: a REP socket that connects to the proxy's DEALER, with a few lines of TNetString.
const HANDLER_PY = String.raw`
import sys, time, zmq
def dumps(v):
    if isinstance(v, bool): return b'%d:%s!' % (4 if v else 5, b'true' if v else b'false')
    if isinstance(v, int): s = str(v).encode(); return b'%d:%s#' % (len(s), s)
    if isinstance(v, str): v = v.encode()
    if isinstance(v, bytes): return b'%d:%s,' % (len(v), v)
    if isinstance(v, list): s = b''.join(dumps(x) for x in v); return b'%d:%s]' % (len(s), s)
    s = b''.join(dumps(k) + dumps(x) for k, x in v.items()); return b'%d:%s}' % (len(s), s)
def loads(b, i=0):
    c = b.index(b':', i); n = int(b[i:c]); d = b[c + 1:c + 1 + n]; t = b[c + 1 + n:c + 2 + n]; end = c + 2 + n
    if t == b',': return d, end
    if t == b'#': return int(d), end
    if t == b'!': return d == b'true', end
    if t == b'~': return None, end
    out, j = ([] if t == b']' else {}), 0
    while j < len(d):
        k, j = loads(d, j)
        if t == b']': out.append(k)
        else: out[k], j = loads(d, j)
    return out, end
sock = zmq.Context().socket(zmq.REP)
sock.connect(sys.argv[1])
print('ready', flush=True)
while True:
    msg = sock.recv()
    req, _ = loads(msg[1:])
    path = req[b'uri'].split(b'?')[0].rsplit(b'/', 1)[1].decode()
    rid = req[b'id']
    def answer(code, headers, body):
        sock.send(b'T' + dumps({b'id': rid, b'code': code, b'reason': b'OK', b'headers': headers, b'body': body}))
    if path == 'plain':
        answer(200, [[b'Content-Type', b'text/plain'], [b'X-Handler', b'python']], b'hello from python: ' + req[b'method'] + b' ' + req.get(b'body', b''))
    elif path == 'stream':
        answer(200, [[b'Content-Type', b'text/plain'], [b'Grip-Hold', b'stream'], [b'Grip-Channel', b'test']], b'stream open\n')
    elif path == 'garbage':
        sock.send(b'this is not a tnetstring')
    elif path == 'nocode':
        sock.send(b'T' + dumps({b'id': rid, b'body': b'no status'}))
    elif path == 'late':
        time.sleep(float(sys.argv[2]))
        answer(200, [], b'too late')
    else:
        answer(404, [], b'not found')
`;

let r: Running;
let dir: string;
let reqSpec: string;
let streamBase: string;
let py: ChildProcess | undefined;
let zs: { t: ResponderTransport; z: ZhttpResponder } | undefined;

/**
 * In CI (CI=true) a missing pyzmq is a failure, not a skip: .ci/run installs python3-zmq.
 * Elsewhere the Python tests are skipped with the install command.
 */
function pyzmqReady(t: { skip(msg: string): void }): boolean {
  if (pyzmqAvailable()) return true;
  const why = 'python3-zmq cannot be imported by /usr/bin/python3 (apt-get install -y python3-zmq)';
  if (process.env['CI']) assert.fail(why);
  t.skip(why);
  return false;
}

function pyzmqAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import zmq'], { stdio: 'ignore' }).status === 0;
}

async function startPython(): Promise<ChildProcess> {
  const p = spawn(PYTHON, [path.join(dir, 'handler.py'), reqSpec, String(TIMEOUT_MS / 1000 + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('python handler did not start')), 10000);
    p.stdout!.once('data', () => { clearTimeout(t); resolve(); });
    p.once('exit', (code) => { clearTimeout(t); reject(new Error(`python handler exited with ${code}`)); });
  });
  // the handler's connect() returns before the connection is up; until it is, the proxy
  // answers 502 "no handler connected" at once (as it should): wait for a real answer
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await request(r.httpPort, { path: '/py/ping' });
    if (!/no handler connected/.test(res.text)) break;
    if (Date.now() > deadline) throw new Error('python handler never connected to the proxy');
    await sleep(50);
  }
  return p;
}

function stopPython(): Promise<void> {
  const p = py;
  py = undefined;
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { p.once('exit', () => resolve()); p.kill('SIGKILL'); });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-custom-'));
  fs.writeFileSync(path.join(dir, 'handler.py'), HANDLER_PY);
  reqSpec = `ipc://${dir}/py-req`;
  streamBase = `ipc://${dir}/node-zs`;
  process.env['PUSHPIN_ZHTTP_TIMEOUT_MS'] = String(TIMEOUT_MS);
  try {
    r = await startRunner({
      routes: [`*,path_beg=/py/ zhttpreq/${reqSpec}`, `*,path_beg=/zs/ zhttp/${streamBase}`, '* test'],
      extra: { proxy: { debug: true } },
    });
  } finally {
    delete process.env['PUSHPIN_ZHTTP_TIMEOUT_MS'];
  }
});

after(async () => {
  await stopPython();
  zs?.z.stop();
  zs?.t.close();
  await r?.stop();
});

test('zhttpreq/: a Python REP handler answers plain requests (body included)', async (t) => {
  if (!pyzmqReady(t)) return;
  py ??= await startPython();
  const res = await request(r.httpPort, { method: 'POST', path: '/py/plain', body: 'abc', headers: { 'Content-Length': '3' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'hello from python: POST abc');
  assert.equal(res.headers['x-handler'], 'python');
});

test('zhttpreq/: Grip-Hold stream from the handler holds the client; a publish reaches it', async (t) => {
  if (!pyzmqReady(t)) return;
  py ??= await startPython();
  const s = await openStream(r.httpPort, '/py/stream');
  try {
    assert.equal(s.status, 200);
    await s.waitFor('stream open\n');
    assert.equal(s.headers['grip-hold'], undefined);
    await sleep(300);
    await publish(r, [{ channel: 'test', formats: { 'http-stream': { content: 'published to python hold\n' } } }]);
    await s.waitFor('published to python hold\n');
  } finally {
    s.close();
  }
});

test('zhttpreq/: garbage, a status-less answer and a late answer get 5xx; the handler keeps working', async (t) => {
  if (!pyzmqReady(t)) return;
  py ??= await startPython();
  const nocode = await request(r.httpPort, { path: '/py/nocode' });
  assert.equal(nocode.status, 502);
  assert.match(nocode.text, /without a valid status code/);

  const t0 = Date.now();
  const garbage = await request(r.httpPort, { path: '/py/garbage', timeout: 10000 });
  assert.equal(garbage.status, 502, garbage.text);
  assert.match(garbage.text, /no answer from/);
  assert.ok(Date.now() - t0 < TIMEOUT_MS + 2000);
  assert.equal((await request(r.httpPort, { path: '/py/plain' })).status, 200, 'handler socket usable after garbage');

  const late = request(r.httpPort, { path: '/py/late', timeout: 10000 });
  await sleep(300);
  // other routes keep working while the handler is stuck
  const other = await request(r.httpPort, { path: '/' });
  assert.equal(other.status, 200);
  const lateRes = await late;
  assert.equal(lateRes.status, 502);
  assert.match(lateRes.text, /no answer from/);
  // the handler wakes up, its late answer is dropped, and it serves the next request
  const again = await request(r.httpPort, { path: '/py/plain', timeout: 10000 });
  assert.equal(again.status, 200, again.text);
});

test('zhttpreq/: a handler that disappears gets a clear 5xx, and works again once back', async (t) => {
  if (!pyzmqReady(t)) return;
  py ??= await startPython();
  await stopPython();
  await sleep(300);
  const gone = await request(r.httpPort, { path: '/py/plain', timeout: 10000 });
  assert.equal(gone.status, 502);
  assert.match(gone.text, /no handler connected/);
  assert.equal((await request(r.httpPort, { path: '/' })).status, 200);
  py = await startPython();
  const deadline = Date.now() + 5000;
  let res = await request(r.httpPort, { path: '/py/plain', timeout: 10000 });
  while (res.status !== 200 && Date.now() < deadline) {
    await sleep(200);
    res = await request(r.httpPort, { path: '/py/plain', timeout: 10000 });
  }
  assert.equal(res.status, 200, res.text);
});

test('zhttp/: a stream-mode responder answers, and its Grip-Hold reaches the handler', async () => {
  const t = new ResponderTransport({
    instanceId: 'test-zs', pullSpecs: [`${streamBase}-out`], routerSpecs: [`${streamBase}-out-stream`], pubSpecs: [`${streamBase}-in`], bind: false,
  }, { warn: () => undefined, debug: () => undefined });
  const z = new ZhttpResponder(t, {
    instanceId: 'test-zs', log: { warn: () => undefined, debug: () => undefined },
    onSession: (s) => {
      const p = s.request!.uri!.endsWith('/zs/stream')
        ? { headers: [['Grip-Hold', 'stream'], ['Grip-Channel', 'zs']] as Array<[string, string]>, body: 'zs open\n' }
        : { headers: [['Content-Type', 'text/plain']] as Array<[string, string]>, body: `zs says hi to ${s.request!.method}` };
      s.respond({ code: 200, reason: 'OK', headers: p.headers }, Buffer.from(p.body), false);
    },
  });
  zs = { t, z };
  await t.start();
  z.start();
  await sleep(300);
  const res = await request(r.httpPort, { path: '/zs/plain' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'zs says hi to GET');
  const s = await openStream(r.httpPort, '/zs/stream');
  try {
    await s.waitFor('zs open\n');
    await sleep(300);
    await publish(r, [{ channel: 'zs', formats: { 'http-stream': { content: 'zs published\n' } } }]);
    await s.waitFor('zs published\n');
  } finally {
    s.close();
  }
});
