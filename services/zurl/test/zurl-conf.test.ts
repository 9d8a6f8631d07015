import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSettings, parseGeneralSection, parseArgs, ZurlArgsError, ZurlConfigError } from '../src/index.js';

const TEMPLATE = `[General]
# comment
instance_id=
in_spec=ipc:///run/pushpin-zurl-in
in_stream_spec=ipc:///run/pushpin-zurl-in-stream
out_spec=ipc:///run/pushpin-zurl-out
in_req_spec=
defpolicy=allow
allow=
deny=127.*,10.*,192.168.*,*.local
max_open_requests=2000
buffer_size=200000
timeout=600
in_hwm=1000
out_hwm=1000

[Other]
in_spec=ipc:///wrong
`;

test('parseGeneralSection reads [General] only, later keys win, quotes removed', () => {
  const m = parseGeneralSection(`top=1\n[General]\na = x \n; c\na=y\nq="v w"\n[X]\na=z\nnoeq\n`);
  assert.equal(m.get('top'), '1');
  assert.equal(m.get('a'), 'y');
  assert.equal(m.get('q'), 'v w');
  assert.equal(m.has('noeq'), false);
});

test('buildSettings: template values, random id when empty', () => {
  const s = buildSettings(parseGeneralSection(TEMPLATE), {}, () => '{gen}');
  assert.equal(s.instanceId, '{gen}');
  assert.deepEqual(s.inSpecs, ['ipc:///run/pushpin-zurl-in']);
  assert.deepEqual(s.inStreamSpecs, ['ipc:///run/pushpin-zurl-in-stream']);
  assert.deepEqual(s.outSpecs, ['ipc:///run/pushpin-zurl-out']);
  assert.deepEqual(s.inReqSpecs, []);
  assert.deepEqual(s.deny, ['127.*', '10.*', '192.168.*', '*.local']);
  assert.equal(s.maxOpenRequests, 2000);
  assert.equal(s.bufferSize, 200000);
  assert.equal(s.timeoutSec, 600);
  assert.ok(Object.isFrozen(s));
});

test('buildSettings: command-line overrides win', () => {
  const s = buildSettings(parseGeneralSection(TEMPLATE), { instanceId: 'z1', inSpec: 'tcp://127.0.0.1:1', inStreamSpec: 'tcp://127.0.0.1:2', outSpec: 'tcp://127.0.0.1:3' }, () => 'x');
  assert.equal(s.instanceId, 'z1');
  assert.deepEqual([s.inSpecs, s.inStreamSpecs, s.outSpecs], [['tcp://127.0.0.1:1'], ['tcp://127.0.0.1:2'], ['tcp://127.0.0.1:3']]);
});

const BAD: Array<[string, string]> = [
  ['max_open_requests=abc', 'max_open_requests'],
  ['buffer_size=0', 'buffer_size'],
  ['timeout=-1', 'timeout'],
  ['defpolicy=maybe', 'defpolicy'],
];
for (const [line, what] of BAD) {
  test(`buildSettings rejects ${line}`, () => {
    assert.throws(() => buildSettings(parseGeneralSection(`${TEMPLATE.split('\n[Other]')[0]}\n${line}\n`), {}, () => 'x'),
      (e: unknown) => e instanceof ZurlConfigError && e.code === 'PP_ERR_ZURL_CONFIG' && e.message.includes(what));
  });
}

test('buildSettings requires the three stream endpoints', () => {
  assert.throws(() => buildSettings(new Map([['in_spec', 'ipc:///a']]), {}, () => 'x'), (e: unknown) => e instanceof ZurlConfigError);
});

const ARGS: Array<[string[], Record<string, unknown>]> = [
  [['--config=/r/zurl.conf', '--loglevel=3'], { config: '/r/zurl.conf', logLevel: 3, verbose: false }],
  [['--config', '/r/z.conf', '--verbose', '--logfile=/l/z.log'], { config: '/r/z.conf', verbose: true, logFile: '/l/z.log' }],
  [['--in-spec=ipc:///a', '--in-stream-spec=ipc:///b', '--out-spec=ipc:///c', '--instance-id=zz'], { inSpec: 'ipc:///a', inStreamSpec: 'ipc:///b', outSpec: 'ipc:///c', instanceId: 'zz' }],
];
for (const [argv, want] of ARGS) {
  test(`parseArgs ${argv.join(' ')}`, () => {
    const a = parseArgs(argv);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((a as unknown as Record<string, unknown>)[k], v, k);
  });
}

for (const argv of [['--bogus'], ['--loglevel=x'], ['--config'], ['plain']]) {
  test(`parseArgs rejects ${argv.join(' ')}`, () => {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ZurlArgsError && e.code === 'PP_ERR_ZURL_ARGS');
  });
}
