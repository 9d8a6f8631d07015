/** The logger subset the proxy uses (a pino logger satisfies it). Objects first, message second. */
export interface Log {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child(bindings: Record<string, unknown>): Log;
  /** pino: whether `level` is logged (absent = assume it is). */
  isLevelEnabled?(level: string): boolean;
}
