import type { Header } from '@pushpin-ts/zhttp';

/** Case-insensitive header helpers over ZHTTP header lists (latin1 strings, order kept). */

export function headerValues(headers: readonly Header[], name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Copy of `headers` without any header whose lower-cased name is in `names`. */
export function withoutHeaders(headers: readonly Header[], names: ReadonlySet<string>): Header[] {
  return headers.filter(([k]) => !names.has(k.toLowerCase()));
}

/**
 * Sets `name` to `value`: the first occurrence keeps its place (and spelling), later ones
 * are dropped; appended when absent.
 */
export function setHeader(headers: readonly Header[], name: string, value: string): Header[] {
  const n = name.toLowerCase();
  const out: Header[] = [];
  let done = false;
  for (const [k, v] of headers) {
    if (k.toLowerCase() !== n) out.push([k, v]);
    else if (!done) { out.push([k, value]); done = true; }
  }
  if (!done) out.push([name, value]);
  return out;
}

export function removeHeader(headers: readonly Header[], name: string): Header[] {
  return withoutHeaders(headers, new Set([name.toLowerCase()]));
}
