/**
 * Session callbacks run inside a guard: an exception thrown while handling one session's
 * packet or timer is logged and ends that session only, never the process or other sessions.
 */

export interface GuardLog { error(o: object, msg: string): void }

/**
 * Wraps `fn`; when it throws, logs `message` with the error and calls `end` (which must not throw
 * past its own cleanup).
 * @example cs.ondata = guarded(log, 'WebSocket session failed; cancelling it', () => this.abort(), (p) => this.onData(p));
 */
export function guarded<A extends unknown[]>(log: GuardLog, message: string, end: () => void, fn: (...a: A) => void): (...a: A) => void {
  return (...a: A) => {
    try {
      fn(...a);
    } catch (err) {
      log.error({ err: (err as Error).message, stack: (err as Error).stack }, message);
      end();
    }
  };
}
