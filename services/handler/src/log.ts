/** The logger subset the handler's modules use (pino's Logger satisfies it). */
export interface HandlerLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** A logger that drops everything (tests). */
export const silentLog: HandlerLog = { error() {}, warn() {}, info() {}, debug() {} };
