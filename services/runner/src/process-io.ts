/**
 * The runner's side effects on the system: child processes (execa), signals,
 * pid files and the run/log directories. Everything else is pure.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import type { ChildHandle } from './supervisor.js';
import type { ServiceSpec, Topology } from './topology.js';

/**
 * Returns a spawn function for the supervisor. Children run detached (own
 * process group, so a terminal's Ctrl-C reaches only the runner). Their output
 * is appended to `spec.logFile`, or passed to `writeLines` in whole lines (several per call
 * when a child wrote several at once), so children's lines never interleave mid-line.
 * Each child gets `PUSHPIN_RUNNER_PID` and a stdin pipe that reaches EOF when the
 * runner dies, so a service can notice a vanished runner.
 */
export function createSpawner(writeLines: (text: string) => void, warn: (fields: object, msg: string) => void): (spec: ServiceSpec) => ChildHandle {
  return (spec) => {
    // The child writes its log file itself (an fd of its own), rather than through the runner.
    const fd = spec.logFile === undefined ? undefined : openLog(spec.logFile, warn);
    const base = {
      detached: true,
      stdin: 'pipe',
      reject: false,
      buffer: false,
      cleanup: false,
      env: { PUSHPIN_RUNNER_PID: String(process.pid) },
    } as const;
    let sub;
    if (fd === undefined) {
      sub = execa(spec.command, [...spec.args], { ...base, stdout: 'pipe', stderr: 'pipe' });
      for (const stream of [sub.stdout, sub.stderr]) forwardLines(stream, writeLines);
    } else {
      // execa's types list fds 3-9 only; at run time it hands any open fd to spawn as is.
      const file = fd as 3;
      sub = execa(spec.command, [...spec.args], { ...base, stdout: file, stderr: file });
      fs.closeSync(fd); // the child holds its own copy from the spawn
    }
    const exited = sub.then((r) => {
      const e = r as typeof r & { originalMessage?: string; shortMessage?: string };
      const notStarted = r.exitCode === undefined && r.signal === undefined;
      return {
        code: r.exitCode ?? null,
        signal: r.signal ?? null,
        ...(notStarted ? { error: e.originalMessage || e.shortMessage || 'failed to start' } : {}),
      };
    });
    return { pid: sub.pid, exited };
  };
}

/** Opens a service's log file for appending; when that fails, says so and returns undefined (output is merged). */
function openLog(file: string, warn: (fields: object, msg: string) => void): number | undefined {
  try {
    return fs.openSync(file, 'a');
  } catch (err) {
    warn({ file, err: (err as Error).message }, 'cannot open the service log file; merging its output into the runner\'s');
    return undefined;
  }
}

/** Sends a signal to a child or its process group; a vanished process is not an error. */
export function killChild(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    if (!group) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Pid files are informative only: failing to write or remove one never stops the runner. */
export const pidFiles = {
  write(file: string, pid: number): void {
    try {
      fs.writeFileSync(file, `${pid}\n`);
    } catch {
      // rundir vanished or not writable; supervision does not depend on it
    }
  },
  remove(file: string): void {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // as above
    }
  },
};

/** Creates rundir and logdir and writes generated files (zurl.conf). */
export function prepareDirs(topo: Topology): void {
  fs.mkdirSync(topo.rundir, { recursive: true });
  if (topo.logdir !== undefined) fs.mkdirSync(topo.logdir, { recursive: true });
  for (const f of topo.files) {
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    fs.writeFileSync(f.path, f.text);
  }
}

/** First existing file among the candidates. */
export function findConfigFile(candidates: readonly string[]): string | undefined {
  return candidates.find((c) => fs.existsSync(c));
}

const MAX_PARTIAL = 64 * 1024;

/**
 * Calls `write` with every complete line `input` produces, as many at once as arrived
 * together (one call per chunk, not per line); an unterminated last line is completed with
 * a newline when the stream ends, or once it grows past 64 KiB without one.
 */
export function forwardLines(input: Readable, write: (text: string) => void): void {
  let partial = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    const end = chunk.lastIndexOf('\n');
    if (end < 0) {
      partial += chunk;
      if (partial.length > MAX_PARTIAL) {
        write(`${partial}\n`);
        partial = '';
      }
      return;
    }
    write(partial + chunk.slice(0, end + 1));
    partial = chunk.slice(end + 1);
  });
  input.on('end', () => {
    if (partial !== '') write(`${partial}\n`);
    partial = '';
  });
}
