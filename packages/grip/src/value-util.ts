/**
 * Internal helpers that reproduce the Qt/QVariant conversions Pushpin relies on, so
 * parsed values and error texts match it. Inputs are either JSON values (strings) or
 * tnetstring values (byte strings as Buffer/Uint8Array, maps with null prototype or Map).
 */

const QT_SPACE = /^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g;

/** `QByteArray::trimmed()`: strips ASCII whitespace only. */
export function qtTrim(s: string): string {
  return s.replace(QT_SPACE, '');
}

/**
 * `QByteArray::toInt(&ok, base)`: surrounding whitespace and a sign are allowed, the
 * digits must fill the rest, and the result must fit in 32 bits. Returns undefined when
 * Qt would set ok=false.
 */
export function qtToInt(s: string, base: 10 | 16 = 10): number | undefined {
  const t = qtTrim(s);
  const re = base === 10 ? /^([+-]?)(\d+)$/ : /^([+-]?)(?:0[xX])?([0-9a-fA-F]+)$/;
  const m = re.exec(t);
  if (!m) return undefined;
  const n = parseInt(m[2] ?? '', base) * (m[1] === '-' ? -1 : 1);
  if (!Number.isFinite(n) || n > 2147483647 || n < -2147483648) return undefined;
  return n;
}

/** Read-only view over a JSON object, a null-prototype tnetstring map or a Map. */
export interface Keyed {
  has(key: string): boolean;
  get(key: string): unknown;
  keys(): string[];
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Returns a keyed view when `v` is an object (not array, not bytes), else undefined. */
export function asKeyed(v: unknown): Keyed | undefined {
  if (v instanceof Map) {
    const m = v as Map<unknown, unknown>;
    return {
      has: (k) => m.has(k),
      get: (k) => m.get(k),
      keys: () => [...m.keys()].map((k) => (isBytes(k) ? Buffer.from(k).toString('utf8') : String(k))),
    };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isBytes(v) || !isPlainObject(v)) {
    return undefined;
  }
  const o = v as Record<string, unknown>;
  return {
    has: (k) => Object.prototype.hasOwnProperty.call(o, k),
    get: (k) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined),
    keys: () => Object.keys(o),
  };
}

export function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** Qt `getString(variant)`: text or bytes (decoded as UTF-8); anything else is not a string. */
export function stringOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isBytes(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return undefined;
}

/** Text or bytes as a Buffer (text encoded as UTF-8). */
export function bytesOf(v: unknown): Buffer | undefined {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (isBytes(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

/**
 * `QVariant::canConvert(Int)` followed by `toInt()`: numbers (truncated), booleans,
 * numeric text (non-numeric text converts to 0, as in Pushpin 1.36) and bigint.
 * Returns undefined for null, lists and maps ("wrong type").
 */
export function looseInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = stringOf(v);
  if (s !== undefined) return qtToInt(s) ?? 0;
  // tnetstring floats arrive wrapped (TnFloat): a class instance with a numeric `value`.
  if (v !== null && typeof v === 'object' && !isPlainObject(v)) {
    const inner = (v as { value?: unknown }).value;
    if (typeof inner === 'number' && Number.isFinite(inner)) return Math.trunc(inner);
  }
  return undefined;
}

/** `QByteArray::fromBase64`: lenient, invalid characters are skipped. */
export function fromBase64(s: string): Buffer {
  return Buffer.from(s, 'base64');
}

/** Sorts object keys the way QVariantMap iterates them (UTF-16 code unit order). */
export function sortedKeys(k: Keyed): string[] {
  return k.keys().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Throws the caller's coded error with `message`. */
export type Fail = (message: string) => never;

/**
 * Typed field access with Pushpin's VariantUtil messages:
 * `<pn> does not contain '<k>'`, `<pn> contains '<k>' with wrong type`, `<pn> is not an object`.
 */
export class FieldReader {
  readonly keyed: Keyed;
  constructor(v: unknown, readonly pn: string, readonly fail: Fail) {
    const k = asKeyed(v);
    if (!k) fail(`${pn} is not an object`);
    this.keyed = k;
  }

  has(key: string): boolean {
    return this.keyed.has(key);
  }

  raw(key: string): unknown {
    return this.keyed.get(key);
  }

  private missing(key: string, required: boolean): boolean {
    if (this.keyed.has(key)) return false;
    if (required) this.fail(`${this.pn} does not contain '${key}'`);
    return true;
  }

  wrongType(key: string): never {
    return this.fail(`${this.pn} contains '${key}' with wrong type`);
  }

  invalidValue(key: string): never {
    return this.fail(`${this.pn} contains '${key}' with invalid value`);
  }

  string(key: string, required: true): string;
  string(key: string, required?: boolean): string | undefined;
  string(key: string, required = false): string | undefined {
    if (this.missing(key, required)) return undefined;
    const s = stringOf(this.keyed.get(key));
    return s ?? this.wrongType(key);
  }

  list(key: string, required: true): unknown[];
  list(key: string, required?: boolean): unknown[] | undefined;
  list(key: string, required = false): unknown[] | undefined {
    if (this.missing(key, required)) return undefined;
    const v = this.keyed.get(key);
    return Array.isArray(v) ? v : this.wrongType(key);
  }

  object(key: string, required = false): Keyed | undefined {
    if (this.missing(key, required)) return undefined;
    return asKeyed(this.keyed.get(key)) ?? this.wrongType(key);
  }

  /** Optional int (loose conversion); `min` is the smallest valid value. */
  int(key: string, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): number | undefined {
    if (!this.keyed.has(key)) return undefined;
    const n = looseInt(this.keyed.get(key));
    if (n === undefined) return this.wrongType(key);
    if (n < min || n > max) return this.invalidValue(key);
    return n;
  }

  /** String → UTF-8 bytes, or byte string as-is; anything else is a wrong type. */
  bytes(key: string): Buffer | undefined {
    if (!this.keyed.has(key)) return undefined;
    return bytesOf(this.keyed.get(key)) ?? this.wrongType(key);
  }
}

/**
 * Parses a `headers` value (object `{name: value}` or list `[[name, value], …]`) with
 * Pushpin's messages. Object keys come out in QVariantMap (sorted) order.
 */
export function parseHeadersField(v: unknown, pn: string, fail: Fail): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (Array.isArray(v)) {
    for (const h of v) {
      if (!Array.isArray(h)) fail('headers contains element with wrong type');
      if (h.length !== 2) fail('headers contains list with wrong number of elements');
      const name = stringOf(h[0]);
      if (name === undefined) fail('header contains name element with wrong type');
      const value = stringOf(h[1]);
      if (value === undefined) fail('header contains value element with wrong type');
      out.push([name, value]);
    }
    return out;
  }
  const k = asKeyed(v);
  if (!k) fail(`${pn} contains 'headers' with wrong type`);
  for (const key of sortedKeys(k)) {
    const value = stringOf(k.get(key));
    if (value === undefined) fail(`headers contains '${key}' with wrong type`);
    out.push([key, value]);
  }
  return out;
}

/** Parses a list of strings (filters); `elementError` when an element is not a string. */
export function parseStringList(v: readonly unknown[], elementError: string, fail: Fail): string[] {
  return v.map((x) => stringOf(x) ?? fail(elementError));
}

/** Sets an own enumerable property, safe for keys like `__proto__`. */
export function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Parses UTF-8 JSON strictly (invalid UTF-8 is a parse error, as in Qt). */
export function parseJsonBytes(body: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
