/** A float that must be encoded with the `^` tag even when it is integral (e.g. `1:0^`). */
export class TnFloat {
  constructor(readonly value: number) {}
}

/** Decoded map: null prototype, so keys like `__proto__` are plain data. */
export interface TnMap { [key: string]: TnValue }

/**
 * Values the codec handles. Byte strings decode to `Buffer` (views into the input, no copy);
 * JS strings encode as UTF-8 byte strings. Integers outside the safe range decode to `bigint`.
 */
export type TnValue =
  | Buffer | Uint8Array | string
  | number | bigint | TnFloat
  | boolean | null | undefined
  | TnValue[] | TnMap | Map<string, TnValue>;
