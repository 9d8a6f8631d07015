import type { ZurlSettings } from './zurl-conf.js';

/** Logger subset used by sessions (pino-compatible: object first, message second). */
export interface ZurlLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  /** Per-session logger bound with extra fields (pino `child`). */
  child?(bindings: Record<string, unknown>): ZurlLog;
  /** pino: whether `level` is logged (absent = assume it is). */
  isLevelEnabled?(level: string): boolean;
}

/** What a session needs from the app around it. */
export interface SessionContext {
  readonly settings: Readonly<ZurlSettings>;
  readonly log: ZurlLog;
  /** False when debug lines are not logged (they are then not even built); absent = true. */
  readonly debugEnabled?: boolean;
  /** Limit for establishing a backend connection (TCP + TLS). */
  readonly connectTimeoutMs: number;
  /** Releases the session's slot in the open-request count; safe to call more than once. */
  done(): void;
}
