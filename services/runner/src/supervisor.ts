import { Backoff, defaultBackoff } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';
import type { ServiceSpec } from './topology.js';

/** How a child ended. `error` is set when it could not be started at all. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly error?: string;
}

/** A started child: its pid (unset if spawning failed) and a promise of its end. */
export interface ChildHandle {
  readonly pid: number | undefined;
  readonly exited: Promise<ChildExit>;
}

/** Minimal logger surface (pino's). */
export interface SupervisorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Everything the supervisor does to the outside world, injectable for tests. */
export interface SupervisorDeps {
  readonly spawn: (spec: ServiceSpec) => ChildHandle;
  /** Sends a signal to a child (`group`: to its whole process group). Must not throw. */
  readonly kill: (pid: number, signal: NodeJS.Signals, group: boolean) => void;
  readonly log: SupervisorLog;
  readonly pidFile?: { write(file: string, pid: number): void; remove(file: string): void };
  readonly clock?: Clock;
  readonly backoff?: BackoffPolicy;
  /** Delay between SIGTERM and SIGKILL when stopping (default 4000 ms, as Pushpin). */
  readonly killAfterMs?: number;
}

interface Slot {
  readonly spec: ServiceSpec;
  readonly backoff: Backoff;
  child?: ChildHandle;
  startedAt: number;
  timer?: unknown;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Starts the services and keeps them running. Unlike Pushpin (which stops
 * everything when one child dies) a child that exits unexpectedly is restarted
 * after an exponential backoff. `stop()` sends SIGTERM, then SIGKILL after 4 s.
 *
 * @example
 * const sup = new Supervisor(topology.services, { spawn, kill, log });
 * sup.start();
 * process.once('SIGTERM', () => sup.stop().then(() => process.exit(0)));
 */
export class Supervisor {
  readonly #slots: Slot[];
  readonly #deps: SupervisorDeps;
  readonly #clock: Clock;
  #stopping = false;

  constructor(specs: readonly ServiceSpec[], deps: SupervisorDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? realClock;
    this.#slots = specs.map((spec) => ({ spec, backoff: new Backoff(deps.backoff ?? defaultBackoff), startedAt: 0 }));
  }

  /** True once stop() or killNow() was called. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Pids of the children currently running. */
  get pids(): number[] {
    return this.#slots.flatMap((s) => (s.child?.pid === undefined ? [] : [s.child.pid]));
  }

  /** Starts every service at once (no ordering waits, as Pushpin) and logs "started". */
  start(): void {
    for (const slot of this.#slots) this.#launch(slot);
    this.#deps.log.info({ services: this.#slots.map((s) => s.spec.title) }, 'started');
  }

  /** Forwards SIGHUP to the services that reload on it (zurl, proxy, handler). */
  hup(): void {
    for (const s of this.#slots) {
      if (s.spec.forwardHup && s.child?.pid !== undefined) this.#deps.kill(s.child.pid, 'SIGHUP', false);
    }
  }

  /** Stops restarting, SIGTERMs every child, SIGKILLs the rest after the grace period; resolves when all are gone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#cancelRestarts();
    const running = this.#slots.filter((s) => s.child !== undefined);
    for (const s of running) this.#signal(s, 'SIGTERM');
    const all = Promise.all(running.map((s) => (s.child as ChildHandle).exited));
    let timer: unknown;
    const grace = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(() => {
        const left = this.#slots.filter((s) => s.child !== undefined);
        if (left.length > 0) this.#deps.log.warn({ children: left.map((s) => s.spec.title) }, 'children still running, sending SIGKILL');
        for (const s of left) this.#signal(s, 'SIGKILL');
        resolve();
      }, this.#deps.killAfterMs ?? 4000);
    });
    await Promise.race([all, grace.then(() => all)]);
    this.#clock.clearTimeout(timer);
  }

  /** Stops restarting and SIGKILLs every child's process group now (synchronous; for exit paths). */
  killNow(): void {
    this.#stopping = true;
    this.#cancelRestarts();
    for (const s of this.#slots) if (s.child) this.#signal(s, 'SIGKILL');
  }

  #signal(s: Slot, sig: NodeJS.Signals): void {
    if (s.child?.pid !== undefined) this.#deps.kill(s.child.pid, sig, true);
  }

  #cancelRestarts(): void {
    for (const s of this.#slots) {
      if (s.timer !== undefined) this.#clock.clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  #launch(slot: Slot): void {
    const child = this.#deps.spawn(slot.spec);
    slot.child = child;
    slot.startedAt = this.#clock.now();
    if (child.pid !== undefined) {
      this.#deps.pidFile?.write(slot.spec.pidFile, child.pid);
      this.#deps.log.info({ child: slot.spec.title, childPid: child.pid }, 'service started');
    }
    void child.exited.then((e) => this.#onExit(slot, child, e));
  }

  #onExit(slot: Slot, child: ChildHandle, e: ChildExit): void {
    if (slot.child !== child) return;
    slot.child = undefined;
    this.#deps.pidFile?.remove(slot.spec.pidFile);
    const info = { child: slot.spec.title, code: e.code, signal: e.signal, ...(e.error === undefined ? {} : { error: e.error }) };
    if (this.#stopping) {
      this.#deps.log.info(info, 'service stopped');
      return;
    }
    const uptimeMs = this.#clock.now() - slot.startedAt;
    const delayMs = slot.backoff.next(uptimeMs);
    this.#deps.log.error({ ...info, uptimeMs, delayMs }, 'service exited unexpectedly, restarting');
    slot.timer = this.#clock.setTimeout(() => {
      slot.timer = undefined;
      if (!this.#stopping) this.#launch(slot);
    }, delayMs);
  }
}
