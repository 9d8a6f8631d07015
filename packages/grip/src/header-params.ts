/**
 * Pushpin's HTTP header syntax (grip.md §4): comma lists split outside double quotes,
 * and `first; name=value; name2="quoted"; flag` parameters.
 */

import { qtTrim } from './value-util.js';

/** Header list as the codecs pass it around: `[name, value]` pairs in wire order. */
export type HeaderList = Array<[string, string]>;

/** One parsed element: the first segment and its parameters, in order. */
export interface HeaderParams {
  value: string;
  params: Array<[string, string]>;
}

/**
 * All values of header `name` (case-insensitive), in order, unsplit.
 * @example getHeaderValues([['grip-channel', 'a'], ['Grip-Channel', 'b']], 'Grip-Channel') // ['a', 'b']
 */
export function getHeaderValues(headers: ReadonlyArray<readonly [string, string]>, name: string): string[] {
  const lname = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of headers) if (k.toLowerCase() === lname) out.push(v);
  return out;
}

/** First value of header `name` (case-insensitive), or undefined when absent. */
export function getHeaderValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const lname = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === lname) return v;
  return undefined;
}

/** True when header `name` is present (case-insensitive). */
export function hasHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  return getHeaderValue(headers, name) !== undefined;
}

// Index of the next unquoted `c` from `offset`; s.length if none; -1 on an unterminated quote.
function findNonQuoted(s: string, c: string, offset: number): number {
  let inQuote = false;
  for (let n = offset; n < s.length; ++n) {
    const ch = s[n];
    if (inQuote) {
      if (ch === '\\') {
        ++n;
        if (n >= s.length) return -1;
      } else if (ch === '"') {
        inQuote = false;
      }
    } else if (ch === '"') {
      inQuote = true;
    } else if (ch === c) {
      return n;
    }
  }
  return inQuote ? -1 : s.length;
}

/**
 * Splits every value on commas that are not inside double quotes and trims each element.
 * Empty elements in the middle (`a,,b`) are kept so callers can reject them; as in Pushpin,
 * an empty value yields nothing and a trailing comma adds no element. An unterminated quote
 * makes the rest of that value one element (its parameter parse then fails).
 * @example splitHeaderList(['a, "b,c"', 'd']) // ['a', '"b,c"', 'd']
 */
export function splitHeaderList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    let pos = 0;
    while (pos < v.length) {
      const end = findNonQuoted(v, ',', pos);
      if (end === -1) {
        out.push(qtTrim(v.slice(pos)));
        pos = v.length;
      } else {
        out.push(qtTrim(v.slice(pos, end)));
        pos = end < v.length ? end + 1 : v.length;
      }
    }
  }
  return out;
}

// Parses `name[=value]` pairs from `start`; null on an unterminated quote or dangling escape.
function parsePairs(s: string, start: number, out: Array<[string, string]>): boolean {
  while (start < s.length) {
    let name: string;
    let value = '';
    let at = -1;
    for (let n = start; n < s.length; ++n) {
      if (s[n] === '=' || s[n] === ';') {
        at = n;
        break;
      }
    }
    if (at === -1) {
      name = qtTrim(s.slice(start));
      start = s.length;
    } else {
      name = qtTrim(s.slice(start, at));
      if (s[at] === '=') {
        ++at;
        if (at < s.length && s[at] === '"') {
          ++at;
          let complete = false;
          for (let n = at; n < s.length; ++n) {
            const ch = s[n];
            if (ch === '\\') {
              if (n + 1 >= s.length) return false;
              ++n;
              value += s[n];
            } else if (ch === '"') {
              complete = true;
              at = n + 1;
              break;
            } else {
              value += ch;
            }
          }
          if (!complete) return false;
          // Anything between the closing quote and the next ';' is ignored, as in Pushpin.
          const semi = s.indexOf(';', at);
          start = semi !== -1 ? semi + 1 : s.length;
        } else {
          const semi = s.indexOf(';', at);
          if (semi !== -1) {
            value = qtTrim(s.slice(at, semi));
            start = semi + 1;
          } else {
            value = qtTrim(s.slice(at));
            start = s.length;
          }
        }
      } else {
        start = at + 1;
      }
    }
    out.push([name, value]);
  }
  return true;
}

/**
 * Parses one list element `first; a=1; b="x;y"; flag`. The first segment ends at the first
 * `;` (not quote-aware) and is trimmed. Returns null when a quoted value is unterminated
 * (Pushpin then skips the element).
 * @example parseHeaderParams('apple; prev-id=1; filter=f') // { value: 'apple', params: [['prev-id','1'],['filter','f']] }
 */
export function parseHeaderParams(value: string): HeaderParams | null {
  const semi = value.indexOf(';');
  const first = qtTrim(semi !== -1 ? value.slice(0, semi) : value);
  const params: Array<[string, string]> = [];
  if (!parsePairs(value, semi !== -1 ? semi + 1 : value.length, params)) return null;
  return { value: first, params };
}

/**
 * Parses an element whose first segment is itself `name=value` (Pushpin's
 * ParseAllParameters mode, used by `Grip-Set-Meta`). Null on an unterminated quote.
 * @example parseHeaderParamList('user="alice"') // [['user', 'alice']]
 */
export function parseHeaderParamList(value: string): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  return parsePairs(value, 0, out) ? out : null;
}

/** First parameter named `name` (case-insensitive), or undefined. */
export function getParam(params: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const lname = name.toLowerCase();
  for (const [k, v] of params) if (k.toLowerCase() === lname) return v;
  return undefined;
}

/** Headers the handler never passes from an instruct response to the client (the server recomputes framing). */
const INSTRUCT_STRIPPED = new Set(['connection', 'keep-alive', 'content-encoding', 'transfer-encoding', 'content-length']);

/**
 * Removes every `Grip-*` header plus Connection, Keep-Alive, Content-Encoding,
 * Transfer-Encoding and Content-Length.
 */
export function stripInstructHeaders(headers: HeaderList): HeaderList {
  return headers.filter(([name]) => {
    const l = name.toLowerCase();
    return !l.startsWith('grip-') && !INSTRUCT_STRIPPED.has(l);
  });
}
