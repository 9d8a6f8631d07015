/**
 * The runner's side effects on the system: child processes (execa), signals,
 * pid files and the run/log directories. Everything else is pure.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { execa } from 'execa';
import type { ChildHandle } from './supervisor.js';
import type { ServiceSpec, Topology } from './topology.js';

/**
 * Returns a spawn function for the supervisor. Children run detached (own
 * process group, so a terminal's Ctrl-C reaches only the runner). Their output
 * is appended to `spec.logFile`, or passed line by line to `writeLine`.
 * Each child gets `PUSHPIN_RUNNER_PID` and a stdin pipe that reaches EOF when the
 * runner dies, so a service can notice a vanished runner.
 */
export function createSpawner(writeLine: (line: string) => void): (spec: ServiceSpec) => ChildHandle {
  return (spec) => {
    const out = spec.logFile === undefined ? ('pipe' as const) : { file: spec.logFile, append: true };
    const sub = execa(spec.command, [...spec.args], {
      detached: true,
      stdin: 'pipe',
      stdout: out,
      stderr: out,
      reject: false,
      buffer: false,
      cleanup: false,
      env: { PUSHPIN_RUNNER_PID: String(process.pid) },
    });
    if (spec.logFile === undefined) {
      for (const stream of [sub.stdout, sub.stderr]) {
        if (stream) readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', writeLine);
      }
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
