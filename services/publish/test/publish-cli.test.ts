// The real pushpin-publish binary against a recording HTTP server and a ZeroMQ PULL socket.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decode, type TnValue } from '@pushpin-ts/tnetstring';
import { Receiver } from '@pushpin-ts/zhttp';
import { freePort, recordingServer, runCli, tmpFile } from './helpers.js';

describe('pushpin-publish over HTTP', () => {
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  let reply: { status: number; body: string } | 'hang' = { status: 200, body: 'Published\n' };
  let spec = '';
  before(async () => {
    srv = await recordingServer(() => reply);
    spec = `http://127.0.0.1:${srv.port}`;
  });
  after(() => srv.close());

  /** Runs the CLI with `--spec` and returns the single item it posted. */
  async function publishOk(args: string[]): Promise<Record<string, unknown>> {
    reply = { status: 200, body: 'Published\n' };
    const n = srv.requests.length;
    const r = await runCli([...args, '--spec', spec]);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'Published\n');
    assert.equal(r.code, 0);
    assert.equal(srv.requests.length, n + 1);
    const req = srv.requests.at(-1)!;
    const body = JSON.parse(req.body.toString()) as { items: Array<Record<string, unknown>> };
    assert.equal(body.items.length, 1);
    return body.items[0]!;
  }

  test('POSTs {"items":[item]} to <base>/publish/ with Host, Content-Type and Content-Length', async () => {
    const item = await publishOk(['test', 'hello']);
    const req = srv.requests.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/publish/');
    assert.equal(req.headers['host'], `127.0.0.1:${srv.port}`);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['content-length'], String(req.body.length));
    assert.equal(req.headers['authorization'], undefined);
    assert.deepEqual(item, {
      channel: 'test',
      formats: {
        'http-response': { code: 200, body: 'hello\n' },
        'http-stream': { content: 'hello\n' },
        'ws-message': { content: 'hello' },
      },
    });
  });

  test('id, prev-id, sender, meta, headers and no-seq', async () => {
    const item = await publishOk(['test', 'zmqmsg', '--id', '5', '--prev-id', '4', '--sender', 'bob', '-M', 'k= v ', '-H', 'X-A:  1', '-H', 'X-B: 2', '--no-seq']);
    assert.deepEqual(item, {
      channel: 'test', id: '5', 'prev-id': '4',
      meta: { sender: 'bob', k: 'v' },
      'no-seq': true,
      formats: {
        'http-response': { code: 200, body: 'zmqmsg\n', headers: [['X-A', '1'], ['X-B', '2']] },
        'http-stream': { content: 'zmqmsg\n' },
        'ws-message': { content: 'zmqmsg' },
      },
    });
  });

  test('--no-eol and --code', async () => {
    assert.deepEqual(await publishOk(['test', 'x', '--no-eol', '--code', '404']), {
      channel: 'test', formats: { 'http-response': { code: 404, body: 'x' }, 'http-stream': { content: 'x' }, 'ws-message': { content: 'x' } },
    });
  });

  test('--hint beats --close beats content', async () => {
    const hint = { 'http-response': { action: 'hint' }, 'http-stream': { action: 'hint' }, 'ws-message': { action: 'hint' } };
    assert.deepEqual(await publishOk(['test', '--hint']), { channel: 'test', formats: hint });
    assert.deepEqual(await publishOk(['test', 'ignored', '--hint', '--close']), { channel: 'test', formats: hint });
    assert.deepEqual(await publishOk(['test', '--close', '--code', '5000']), { channel: 'test', formats: { 'http-stream': { action: 'close' }, 'ws-message': { action: 'close' } } });
  });

  test('--patch sends only http-response with body-patch', async () => {
    const ops = [{ op: 'add', path: '/a', value: 1 }];
    assert.deepEqual(await publishOk(['test', JSON.stringify(ops), '--patch', '-H', 'X: y']), {
      channel: 'test', formats: { 'http-response': { code: 200, 'body-patch': ops, headers: [['X', 'y']] } },
    });
  });

  test('@file content is used unchanged; non-UTF-8 bytes go as *-bin', async () => {
    const text = tmpFile('t.txt', 'file text');
    assert.deepEqual(await publishOk(['test', `@${text}`]), {
      channel: 'test', formats: { 'http-response': { code: 200, body: 'file text' }, 'http-stream': { content: 'file text' }, 'ws-message': { content: 'file text' } },
    });
    const bin = Buffer.from([0xff, 0x00, 0x81]);
    const b64 = bin.toString('base64');
    assert.deepEqual(await publishOk(['test', `@${tmpFile('b.bin', bin)}`]), {
      channel: 'test', formats: { 'http-response': { code: 200, 'body-bin': b64 }, 'http-stream': { 'content-bin': b64 }, 'ws-message': { 'content-bin': b64 } },
    });
  });

  test('options may come before the positionals, and -- ends options', async () => {
    assert.equal((await publishOk(['-H', 'A: b', '--id=9', 'test', 'v']))['id'], '9');
    reply = { status: 200, body: 'Published\n' };
    const r = await runCli(['--spec', spec, '--', '-dash-channel', '--id']);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(srv.requests.at(-1)!.body.toString()) as { items: Array<{ channel: string; formats: { 'ws-message': { content: string } } }> };
    assert.equal(body.items[0]!.channel, '-dash-channel');
    assert.equal(body.items[0]!.formats['ws-message'].content, '--id');
  });

  test('the base URL path is kept; a trailing slash gives //publish/', async () => {
    reply = { status: 200, body: 'Published\n' };
    assert.equal((await runCli(['test', 'x', '--spec', `${spec}/prefix`])).code, 0);
    assert.equal(srv.requests.at(-1)!.url, '/prefix/publish/');
    reply = { status: 404, body: 'Not Found\n' };
    const r = await runCli(['test', 'x', '--spec', `${spec}/`]);
    assert.equal(srv.requests.at(-1)!.url, '//publish/');
    assert.equal(r.stderr, 'Error: Not Found\n');
    assert.equal(r.code, 1);
  });

  test('GRIP_URL is the default spec', async () => {
    reply = { status: 200, body: 'Published\n' };
    const n = srv.requests.length;
    const r = await runCli(['test', 'env'], { GRIP_URL: spec });
    assert.equal(r.code, 0);
    assert.equal(srv.requests.length, n + 1);
  });

  test('a non-200 answer prints the trimmed body as the error', async () => {
    reply = { status: 400, body: "Invalid format: 'http-stream' does not contain 'content' or 'content-bin'\n" };
    const r = await runCli(['test', 'x', '--spec', spec]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "Error: Invalid format: 'http-stream' does not contain 'content' or 'content-bin'\n");
  });

  test('a server that never answers fails after the timeout', async () => {
    reply = 'hang';
    const r = await runCli(['test', 'x', '--spec', spec, '--timeout', '500']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: no response from http:\/\/127\.0\.0\.1:\d+ within 500 ms\n$/);
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  });

  test('authentication needs https; -u and -B are exclusive', async () => {
    const u = await runCli(['test', 'x', '--spec', spec, '-u', 'a:b']);
    assert.equal(u.stderr, 'Error: Authentication requires https\n');
    assert.equal(u.code, 1);
    const both = await runCli(['test', 'x', '--spec', spec, '-u', 'a:b', '-B', 't']);
    assert.equal(both.stderr, 'Error: only one authentication method can be specified\n');
    assert.equal(both.code, 1);
  });

  test('connection refused is an error, not a hang', async () => {
    const r = await runCli(['test', 'x', '--spec', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: connect ECONNREFUSED/);
  });
});

describe('pushpin-publish argument errors', () => {
  const cases: Array<[string[], string]> = [
    [['test'], 'Error: must specify content\n'],
    [['test', 'x', '--code', '1000'], 'Error: code must be an integer between 0 and 999\n'],
    [['test', 'x', '--code', 'abc'], 'Error: failed to parse code: invalid digit found in string\n'],
    [['test', 'x', '--code', '70000'], 'Error: failed to parse code: number too large to fit in target type\n'],
    [['test', '--hint', '--code', ''], 'Error: failed to parse code: cannot parse integer from empty string\n'],
    [['test', 'x', '-H', 'nocolon'], 'Error: header must be in the form "name: value"\n'],
    [['test', 'x', '-M', 'noequals'], 'Error: meta must be in the form "name=value"\n'],
    [['test', '{"a":1}', '--patch'], 'Error: patch content must be a JSON array\n'],
    [['test', '@/nonexistent/file'], "Error: can't read file /nonexistent/file: ENOENT: no such file or directory, open '/nonexistent/file'\n"],
    [['test', 'x', '--spec', 'http:nohost'], 'Error: invalid URL\n'],
    [['test', 'x', '--spec', 'http://h:port'], 'Error: invalid URL\n'],
  ];
  for (const [args, stderr] of cases) {
    test(args.join(' '), async () => {
      const r = await runCli([...args, ...(args.includes('--spec') ? [] : ['--spec', 'http://127.0.0.1:1'])]);
      assert.equal(r.stderr, stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.code, 1);
    });
  }

  test('usage errors print clap-style messages and exit 1', async () => {
    for (const [args, first] of [
      [[], "error: The following required arguments were not provided:"],
      [['--bogus', 'c'], "error: Found argument '--bogus' which wasn't expected, or isn't valid in this context"],
      [['c', 'x', 'extra'], "error: Found argument 'extra' which wasn't expected, or isn't valid in this context"],
      [['c', '--id'], "error: The argument '--id <id>' requires a value but none was supplied"],
    ] as const) {
      const r = await runCli([...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr.split('\n')[0], first);
      assert.match(r.stderr, /USAGE:\n {4}pushpin-publish \[FLAGS\] \[OPTIONS\] <channel> \[content\]/);
    }
  });

  test('-h and -V', async () => {
    const h = await runCli(['-h']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^pushpin-publish 1\.36\.0\nPublish messages to Pushpin\n/);
    assert.match(h.stdout, /--no-eol/);
    const v = await runCli(['--version']);
    assert.equal(v.stdout, 'pushpin-publish 1.36.0\n');
    assert.equal(v.code, 0);
  });
});

const quiet = { warn: () => undefined, debug: () => undefined };

describe('pushpin-publish over ZeroMQ', () => {
  for (const proto of ['tcp', 'ipc'] as const) {
    test(`PUSHes a plain tnetstring item to a PULL socket (${proto})`, async () => {
      const spec = proto === 'tcp' ? `tcp://127.0.0.1:${await freePort()}` : `ipc://${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pp-pub-')), 'pull')}`;
      const pull = new Receiver('pull', { specs: [spec], bind: true }, quiet);
      const got: Buffer[][] = [];
      pull.onMessage = (f) => got.push(f);
      await pull.start();
      try {
        const r = await runCli(['test', 'zmqmsg', '--spec', spec, '--id', '5', '--prev-id', '4', '--sender', 'bob', '-M', 'k=v', '-H', 'X-A: 1']);
        assert.equal(r.stderr, '');
        assert.equal(r.stdout, 'Published\n');
        assert.equal(r.code, 0);
        const deadline = Date.now() + 2000;
        while (got.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
        assert.equal(got.length, 1, 'one message received');
        const [frame] = got[0]!;
        assert.equal(got[0]!.length, 1, 'single part');
        assert.match(String.fromCharCode(frame![0]!), /[0-9]/, 'no J/T prefix');
        const plain = (v: TnValue): unknown => Buffer.isBuffer(v) ? v.toString() : Array.isArray(v) ? v.map(plain)
          : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x as TnValue)])) : v;
        assert.deepEqual(plain(decode(frame!)), {
          channel: 'test', id: '5', 'prev-id': '4', meta: { sender: 'bob', k: 'v' },
          formats: {
            'http-response': { code: 200, body: 'zmqmsg\n', headers: [['X-A', '1']] },
            'http-stream': { content: 'zmqmsg\n' },
            'ws-message': { content: 'zmqmsg' },
          },
        });
      } finally {
        pull.close();
      }
    });
  }

  test('binary @file content stays raw bytes in the tnetstring', async () => {
    const spec = `tcp://127.0.0.1:${await freePort()}`;
    const pull = new Receiver('pull', { specs: [spec], bind: true }, quiet);
    const got: Buffer[] = [];
    pull.onMessage = (f) => got.push(f[0]!);
    await pull.start();
    try {
      const bin = Buffer.from([0xff, 0, 1]);
      const r = await runCli(['test', `@${tmpFile('b', bin)}`, '--spec', spec]);
      assert.equal(r.code, 0);
      const deadline = Date.now() + 2000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      const item = decode(got[0]!) as { formats: { 'ws-message': { content: Buffer } } };
      assert.deepEqual(Buffer.from(item.formats['ws-message'].content), bin);
    } finally {
      pull.close();
    }
  });

  test('with nothing listening it fails after about 3 s instead of hanging', async () => {
    const spec = `tcp://127.0.0.1:${await freePort()}`;
    const r = await runCli(['test', 'x', '--spec', spec], {}, 10_000);
    assert.equal(r.stderr, `Error: nothing is listening at ${spec}\n`);
    assert.equal(r.stdout, '');
    assert.equal(r.code, 1);
    assert.ok(r.ms >= 2500 && r.ms < 8000, `took ${r.ms} ms`);
  });

  test('--timeout shortens the wait; an invalid spec fails at once', async () => {
    const spec = `tcp://127.0.0.1:${await freePort()}`;
    const r = await runCli(['test', 'x', '--spec', spec, '--timeout', '300']);
    assert.equal(r.stderr, `Error: nothing is listening at ${spec}\n`);
    assert.ok(r.ms < 3000, `took ${r.ms} ms`);
    const bad = await runCli(['test', 'x', '--spec', 'nonsense']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: invalid ZeroMQ spec nonsense: /);
  });
});
