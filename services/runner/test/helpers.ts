import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/pushpin-runner.js of this package. */
export const RUNNER_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pushpin-runner.js');

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pp-runner-'));
}

export type FakeMode = 'exit' | 'stay' | 'stubborn';

/**
 * Writes an executable stand-in for condure/zurl. It records events (start, hup,
 * term, term-ignored) as JSON lines in `<dir>/<name>.events` and prints one line to stdout.
 * exit: exits with code 3 after 20 ms; stay: exits on SIGTERM; stubborn: ignores SIGTERM.
 */
export function writeFake(dir: string, name: string, mode: FakeMode): string {
  const file = path.join(dir, `fake-${name}.mjs`);
  const events = path.join(dir, `${name}.events`);
  const body = {
    exit: 'setTimeout(() => process.exit(3), 20);',
    stay: "process.on('SIGTERM', () => { ev('term'); process.exit(0); }); setInterval(() => {}, 1000);",
    stubborn: "process.on('SIGTERM', () => ev('term-ignored')); setInterval(() => {}, 1000);",
  }[mode];
  fs.writeFileSync(
    file,
    `#!${process.execPath}
import fs from 'node:fs';
const ev = (e) => fs.appendFileSync(${JSON.stringify(events)}, JSON.stringify({ e, t: Date.now(), pid: process.pid, argv: process.argv.slice(2) }) + '\\n');
process.on('SIGHUP', () => ev('hup'));
${body}
// recorded last, so a test that saw "start" knows the signal handlers are in place
ev('start');
console.log('hello from ${name}');
`,
    { mode: 0o755 },
  );
  return file;
}

export interface FakeEvent { e: string; t: number; pid: number; argv: string[] }

export function events(dir: string, name: string): FakeEvent[] {
  const f = path.join(dir, `${name}.events`);
  if (!fs.existsSync(f)) return [];
  return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeEvent);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RunnerProc {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Parsed JSON lines of stdout (non-JSON lines skipped). */
  json(): Array<Record<string, unknown>>;
}

export function startRunner(args: string[], cwd: string): RunnerProc {
  const proc = spawn(process.execPath, [RUNNER_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    lines,
    stderr: () => err,
    exited,
    json: () => lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    }),
  };
}

/** Polls until `check` returns true; rejects after `ms`. */
export async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
