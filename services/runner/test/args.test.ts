import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../src/index.js';

test('parseArgs: both --x=y and --x y, single-dash long forms, repeatable options', () => {
  const a = parseArgs(['--config', 'a.conf', '-port=127.0.0.1:8000', '--route=* test', '-route', 'x.example 1.2.3.4:80', '-m', '--id=2', '--logfile', 'l.log', '--set', 'proxy.debug=true', '-set=handler.message_rate=1']);
  assert.equal(a.config, 'a.conf');
  assert.deepEqual(a.port, { addr: '127.0.0.1', port: 8000 });
  assert.deepEqual(a.routes, ['* test', 'x.example 1.2.3.4:80']);
  assert.equal(a.mergeOutput, true);
  assert.equal(a.id, 2);
  assert.equal(a.logfile, 'l.log');
  assert.deepEqual(a.set, [['proxy.debug', 'true'], ['handler.message_rate', '1']]);
  assert.equal(a.help, false);
  assert.equal(a.version, false);
});

test('parseArgs: flags and log levels', () => {
  const cases: Array<[string[], Partial<ReturnType<typeof parseArgs>>]> = [
    [[], { mergeOutput: false, help: false, version: false }],
    [['--merge-output'], { mergeOutput: true }],
    [['--help'], { help: true }],
    [['-h'], { help: true }],
    [['--version'], { version: true }],
    [['-v'], { version: true }],
    [['--port', '7999'], { port: { addr: '0.0.0.0', port: 7999 } }],
    [['--port=[::1]:7999'], { port: { addr: '::1', port: 7999 } }],
    [['--verbose'], { logLevel: { default: 3, per: {}, invalid: [] } }],
    [['--loglevel=1,pushpin-proxy:4'], { logLevel: { default: 1, per: { proxy: 4 }, invalid: [] } }],
    [['--loglevel', 'condure:3'], { logLevel: { per: { condure: 3 }, invalid: [] } }],
    [['--verbose', '--loglevel=0'], { logLevel: { default: 0, per: {}, invalid: [] } }],
  ];
  for (const [argv, want] of cases) {
    const got = parseArgs(argv) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${argv.join(' ')}: ${k}`);
  }
});

test('parseArgs: usage errors are coded', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /unknown option "--bogus"/],
    [['positional'], /unexpected argument "positional"/],
    [['--config'], /--config needs a value/],
    [['--port=abc'], /--port: "abc"/],
    [['--port=70000'], /--port/],
    [['--id=-1'], /--id/],
    [['--id=x'], /--id/],
    [['--loglevel=loud'], /--loglevel: cannot understand "loud"/],
    [['--set=novalue'], /--set/],
    [['--verbose=1'], /takes no value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && e.code === 'PP_ERR_RUNNER_USAGE' && re.test(e.message), argv.join(' '));
  }
});
