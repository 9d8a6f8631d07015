import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { createLogger, parseLogLevel } from '../src/index.js';

test('parseLogLevel accepts pino names and Pushpin numbers', () => {
  const cases: Array<[string | number | undefined, string]> = [
    [undefined, 'info'], [0, 'error'], [1, 'warn'], [2, 'info'], [3, 'debug'], [4, 'trace'], [9, 'trace'],
    ['3', 'debug'], ['debug', 'debug'], [' WARN ', 'warn'], ['warning', 'warn'], ['fatal', 'fatal'],
  ];
  for (const [input, expected] of cases) assert.equal(parseLogLevel(input), expected, String(input));
  for (const bad of ['loud', '-1', -1, '1.5']) {
    assert.throws(() => parseLogLevel(bad), (e: Error & { code?: string }) => e.code === 'PP_ERR_LOG_LEVEL');
  }
});

test('lines are JSON with service bound, objects first, level filtered', () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  const log = createLogger({ service: 'handler', level: 2, stream });
  log.debug('hidden');
  log.child({ rid: 'r1' }).info({ channel: 'a' }, 'publish');
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(rec.service, 'handler');
  assert.equal(rec.rid, 'r1');
  assert.equal(rec.channel, 'a');
  assert.equal(rec.msg, 'publish');
  assert.equal(rec.level, 30);
});

const dir = await mkdtemp(join(tmpdir(), 'pp-log-'));
after(() => rm(dir, { recursive: true, force: true }));

test('file output is appended and directories are created', async () => {
  const file = join(dir, 'nested', 'svc.log');
  const log = createLogger({ service: 'proxy', level: 'debug', file });
  log.debug({ n: 1 }, 'first');
  let text = '';
  for (let i = 0; i < 100 && !text.includes('first'); ++i) {
    await new Promise((r) => setTimeout(r, 20));
    log.flush();
    text = await readFile(file, 'utf8').catch(() => '');
  }
  const rec = JSON.parse(text.trim().split('\n')[0] ?? '') as Record<string, unknown>;
  assert.deepEqual([rec.service, rec.msg, rec.n], ['proxy', 'first', 1]);
});

test('lines logged in the same turn as process.exit() are written, to a file and to stdout', async () => {
  const file = join(dir, 'exit', 'svc.log');
  const mod = new URL('../src/index.js', import.meta.url).href;
  const script = (target: string): string => `import(${JSON.stringify(mod)}).then(({ createLogger }) => {
    const log = createLogger({ service: 't', ${target} });
    setTimeout(() => { for (let i = 0; i < 50; i++) log.info({ i }, 'line'); process.exit(0); }, 10);
  })`;
  execFileSync(process.execPath, ['-e', script(`file: ${JSON.stringify(file)}`)]);
  const fromFile = (await readFile(file, 'utf8')).trim().split('\n');
  assert.equal(fromFile.length, 50);
  assert.equal((JSON.parse(fromFile[49] ?? '') as { i: number }).i, 49);
  const fromStdout = execFileSync(process.execPath, ['-e', script('')], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(fromStdout.length, 50);
});

test('a log file that cannot be opened is a LogFileError naming the file', () => {
  assert.throws(() => createLogger({ service: 't', file: '/etc/passwd/svc.log' }),
    (e: Error & { code?: string }) => e.code === 'PP_ERR_LOG_FILE' && e.message.includes('/etc/passwd/svc.log'));
});

test('error codes are registered under their own names', async () => {
  const { codes, LogLevelError } = await import('../src/index.js');
  for (const [k, v] of Object.entries(codes)) assert.equal(k, v);
  assert.equal(new LogLevelError().code, codes.PP_ERR_LOG_LEVEL);
});
