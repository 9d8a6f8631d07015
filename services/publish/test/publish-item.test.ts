// Pure parts of pushpin-publish: command line, item building, JSON conversion, base URL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommandLine, type PublishArgs } from '../src/args.js';
import { parseBaseUrl } from '../src/http-publish.js';
import { buildItem, itemToJson, parseCode } from '../src/item.js';

const noFile = (p: string): Buffer => { throw new Error(`unexpected read of ${p}`); };

function args(argv: string[]): PublishArgs {
  const r = parseCommandLine(argv, 'http://localhost:5561');
  assert.equal(r.kind, 'run');
  return (r as { kind: 'run'; args: PublishArgs }).args;
}

describe('parseCommandLine', () => {
  test('defaults', () => {
    assert.deepEqual(args(['ch']), {
      channel: 'ch', code: '200', headers: [], meta: [], hint: false, close: false, patch: false, noSeq: false, noEol: false, spec: 'http://localhost:5561',
    });
  });
  test('value forms', () => {
    const a = args(['-HA: 1', '-H=B: 2', '--header', 'C: 3', '--header=D: 4', '-M', 'x=1', '--spec=tcp://h:1', '-ufoo:bar', 'ch', 'body']);
    assert.deepEqual(a.headers, ['A: 1', 'B: 2', 'C: 3', 'D: 4']);
    assert.deepEqual(a.meta, ['x=1']);
    assert.equal(a.spec, 'tcp://h:1');
    assert.equal(a.user, 'foo:bar');
    assert.equal(a.content, 'body');
  });
  test('help and version win', () => {
    assert.deepEqual(parseCommandLine(['-h', '--bogus-later-is-not-reached'].slice(0, 1), 'x'), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['ch', '-V'], 'x'), { kind: 'version' });
  });
  for (const [argv, message] of [
    [[], 'The following required arguments were not provided:\n    <channel>'],
    [['ch', '--nope'], "Found argument '--nope' which wasn't expected, or isn't valid in this context"],
    [['ch', '-x'], "Found argument '-x' which wasn't expected, or isn't valid in this context"],
    [['ch', '--hint=1'], "Found argument '--hint=1' which wasn't expected, or isn't valid in this context"],
    [['ch', '-H'], "The argument '--header <\"K: V\">' requires a value but none was supplied"],
    [['ch', 'x', '--timeout', '0'], "Invalid value for '--timeout <ms>': 0"],
  ] as Array<[string[], string]>) {
    test(`rejects ${JSON.stringify(argv)}`, () => {
      assert.throws(() => parseCommandLine(argv, 'x'), (e: Error & { code?: string }) => e.code === 'PP_ERR_PUBLISH_USAGE' && e.message === message);
    });
  }
});

describe('parseCode', () => {
  for (const [text, want] of [['200', 200], ['0', 0], ['+7', 7], ['999', 999], ['65535', 65535]] as const) {
    test(`${text} → ${want}`, () => assert.equal(parseCode(text), want));
  }
  for (const text of ['', '-1', 'abc', '1.5', '65536']) {
    test(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseCode(text), { code: 'PP_ERR_PUBLISH_ARGS' }));
  }
});

describe('buildItem', () => {
  test('minimal item', () => {
    assert.deepEqual(itemToJson(buildItem(args(['test', 'hello']), noFile)), {
      channel: 'test',
      formats: { 'http-response': { code: 200, body: 'hello\n' }, 'http-stream': { content: 'hello\n' }, 'ws-message': { content: 'hello' } },
    });
  });
  test('empty content is content', () => {
    assert.deepEqual(itemToJson(buildItem(args(['test', '']), noFile)), {
      channel: 'test',
      formats: { 'http-response': { code: 200, body: '\n' }, 'http-stream': { content: '\n' }, 'ws-message': { content: '' } },
    });
  });
  test('meta: --sender first, -M may override it; empty id is omitted', () => {
    const item = itemToJson(buildItem(args(['t', 'x', '--sender', 'bob', '-M', 'sender=eve', '--id', '']), noFile)) as Record<string, unknown>;
    assert.deepEqual(item['meta'], { sender: 'eve' });
    assert.equal('id' in item, false);
  });
  test('@file bytes for all three formats', () => {
    const item = buildItem(args(['t', '@f']), () => Buffer.from('abc'));
    assert.deepEqual(itemToJson(item), {
      channel: 't', formats: { 'http-response': { code: 200, body: 'abc' }, 'http-stream': { content: 'abc' }, 'ws-message': { content: 'abc' } },
    });
  });
  test('headers and meta are checked even with --hint', () => {
    assert.throws(() => buildItem(args(['t', '--hint', '-H', 'bad']), noFile), { message: 'header must be in the form "name: value"' });
    assert.throws(() => buildItem(args(['t', '--close', '-M', 'bad']), noFile), { message: 'meta must be in the form "name=value"' });
  });
  test('header names are kept as written, values trimmed; split at the first separator', () => {
    const item = itemToJson(buildItem(args(['t', 'x', '-H', ' N : a:b ', '-M', 'k=a=b']), noFile)) as { formats: { 'http-response': { headers: unknown } }; meta: unknown };
    assert.deepEqual(item.formats['http-response'].headers, [[' N ', 'a:b']]);
    assert.deepEqual(item.meta, { k: 'a=b' });
  });
});

describe('itemToJson', () => {
  test('non-UTF-8 body/content become *-bin; other keys and valid text stay', () => {
    assert.deepEqual(itemToJson({ a: { body: Buffer.from([0xff]), content: Buffer.from('ok'), other: Buffer.from('é') }, n: 1, b: true }), {
      a: { 'body-bin': '/w==', content: 'ok', other: 'é' }, n: 1, b: true,
    });
  });
});

describe('parseBaseUrl', () => {
  const ok: Array<[string, ReturnType<typeof parseBaseUrl>]> = [
    ['http://localhost:5561', { scheme: 'http', host: 'localhost:5561', path: '', connectHost: 'localhost', connectPort: 5561 }],
    ['https://api.example.com', { scheme: 'https', host: 'api.example.com', path: '', connectHost: 'api.example.com', connectPort: 443 }],
    ['http://h/a/b', { scheme: 'http', host: 'h', path: '/a/b', connectHost: 'h', connectPort: 80 }],
    ['http://h:1/', { scheme: 'http', host: 'h:1', path: '/', connectHost: 'h', connectPort: 1 }],
    ['http://[::1]:5561', { scheme: 'http', host: '[::1]:5561', path: '', connectHost: '::1', connectPort: 5561 }],
  ];
  for (const [url, want] of ok) test(url, () => assert.deepEqual(parseBaseUrl(url), want));
  for (const url of ['nocolon', 'http:/x', 'http://h:x', 'http://h:99999', 'http://h:5561?iss=a']) {
    test(`rejects ${url}`, () => assert.throws(() => parseBaseUrl(url), { message: 'invalid URL' }));
  }
});
