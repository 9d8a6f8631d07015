import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, Supervisor } from '../src/index.js';
import type { ChildExit, ChildHandle, Clock, ServiceSpec } from '../src/index.js';

class FakeClock implements Clock {
  t = 0;
  timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #id = 0;
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown { const id = ++this.#id; this.timers.push({ at: this.t + ms, fn, id }); return id; }
  clearTimeout(h: unknown): void { this.timers = this.timers.filter((x) => x.id !== h); }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}
const flush = () => new Promise<void>((r) => setImmediate(r));

interface FakeChild extends ChildHandle { exit(e: Partial<ChildExit>): void; name: string }

function setup(names: string[]) {
  const clock = new FakeClock();
  const children: FakeChild[] = [];
  const signals: Array<[string, number, string, boolean]> = [];
  const logs: Array<[string, Record<string, unknown>, string]> = [];
  const pidFiles: string[] = [];
  let nextPid = 100;
  const specs: ServiceSpec[] = names.map((n) => ({ name: n as ServiceSpec['name'], title: n, command: 'x', args: [], pidFile: `/run/${n}.pid`, forwardHup: n !== 'condure' }));
  const sup = new Supervisor(specs, {
    clock,
    spawn: (spec) => {
      let resolve!: (e: ChildExit) => void;
      const exited = new Promise<ChildExit>((r) => (resolve = r));
      const c: FakeChild = { pid: nextPid++, exited, name: spec.title, exit: (e) => resolve({ code: null, signal: null, ...e }) };
      children.push(c);
      return c;
    },
    kill: (pid, sig, group) => {
      const c = children.find((x) => x.pid === pid);
      signals.push([c?.name ?? '?', pid, sig, group]);
    },
    log: {
      info: (o, m) => logs.push(['info', o as Record<string, unknown>, m]),
      warn: (o, m) => logs.push(['warn', o as Record<string, unknown>, m]),
      error: (o, m) => logs.push(['error', o as Record<string, unknown>, m]),
    },
    pidFile: { write: (f, pid) => pidFiles.push(`+${f}:${pid}`), remove: (f) => pidFiles.push(`-${f}`) },
  });
  return { sup, clock, children, signals, logs, pidFiles };
}

test('Backoff doubles from 250 ms to 10 s and resets after 30 s of uptime', () => {
  const b = new Backoff();
  const got = [1, 1, 1, 1, 1, 1, 1, 1].map((up) => b.next(up));
  assert.deepEqual(got, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
  assert.equal(b.next(30_000), 250);
  assert.equal(b.next(29_999), 500);
});

test('start launches all, writes pid files and logs "started"', () => {
  const { sup, children, logs, pidFiles } = setup(['condure', 'zurl']);
  sup.start();
  assert.deepEqual(children.map((c) => c.name), ['condure', 'zurl']);
  assert.deepEqual(pidFiles, ['+/run/condure.pid:100', '+/run/zurl.pid:101']);
  assert.deepEqual(logs.at(-1), ['info', { services: ['condure', 'zurl'] }, 'started']);
  assert.deepEqual(sup.pids, [100, 101]);
});

test('an unexpected exit is restarted with exponential backoff, logged with code and delay', async () => {
  const { sup, clock, children, logs } = setup(['zurl']);
  sup.start();
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    clock.t += 10;
    (children.at(-1) as FakeChild).exit({ code: 3 });
    await flush();
    const entry = logs.at(-1) as [string, Record<string, unknown>, string];
    assert.equal(entry[0], 'error');
    assert.equal(entry[1].child, 'zurl');
    assert.equal(entry[1].code, 3);
    delays.push(entry[1].delayMs as number);
    const before = children.length;
    await clock.advance((entry[1].delayMs as number) - 1);
    assert.equal(children.length, before, 'not restarted before the delay');
    await clock.advance(1);
    assert.equal(children.length, before + 1, 'restarted after the delay');
  }
  assert.deepEqual(delays, [250, 500, 1000, 2000]);
  // a long run resets the backoff
  clock.t += 30_000;
  (children.at(-1) as FakeChild).exit({ signal: 'SIGSEGV' });
  await flush();
  assert.equal(logs.at(-1)?.[1].delayMs, 250);
  assert.equal(logs.at(-1)?.[1].signal, 'SIGSEGV');
});

test('stop: SIGTERM to every process group, SIGKILL after 4 s, no restarts', async () => {
  const { sup, clock, children, signals } = setup(['condure', 'zurl']);
  sup.start();
  const [condure, zurl] = children as [FakeChild, FakeChild];
  let stopped = false;
  const p = sup.stop().then(() => (stopped = true));
  assert.deepEqual(signals, [['condure', 100, 'SIGTERM', true], ['zurl', 101, 'SIGTERM', true]]);
  condure.exit({ code: 0 });
  await clock.advance(3999);
  assert.equal(stopped, false);
  assert.equal(signals.length, 2);
  await clock.advance(1);
  assert.deepEqual(signals.at(-1), ['zurl', 101, 'SIGKILL', true]);
  zurl.exit({ signal: 'SIGKILL' });
  await p;
  assert.equal(stopped, true);
  assert.equal(children.length, 2, 'nothing restarted');
});

test('stop cancels a pending restart; killNow sends SIGKILL at once', async () => {
  const { sup, clock, children, signals } = setup(['proxy', 'handler']);
  sup.start();
  (children[0] as FakeChild).exit({ code: 1 });
  await flush();
  const p = sup.stop();
  await clock.advance(10_000);
  assert.equal(children.length, 2, 'the pending restart was cancelled');
  sup.killNow();
  assert.deepEqual(signals.filter((s) => s[2] === 'SIGKILL').map((s) => s[0]), ['handler', 'handler']);
  (children[1] as FakeChild).exit({ signal: 'SIGKILL' });
  await p;
});

test('hup is forwarded to zurl, proxy and handler only, not to the process group', () => {
  const { sup, signals } = setup(['condure', 'zurl', 'proxy', 'handler']);
  sup.start();
  sup.hup();
  assert.deepEqual(signals, [['zurl', 101, 'SIGHUP', false], ['proxy', 102, 'SIGHUP', false], ['handler', 103, 'SIGHUP', false]]);
});
