/**
 * Pure helpers that build what a held client receives (grip.md §7.2, §7.3, §5.8):
 * the published response of a long-poll, and the initial head of a stream.
 */
import type { Header } from '@pushpin-ts/zhttp';
import { applyBodyPatch, type HttpResponseData, type HttpResponseFormat } from '@pushpin-ts/grip';

export interface BuiltResponse {
  code: number;
  reason: string;
  headers: Header[];
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);
// The connection manager frames the response itself.
const FRAMING = new Set(['connection', 'keep-alive', 'content-encoding', 'transfer-encoding', 'content-length']);

function isGrip(lname: string): boolean { return lname.startsWith('grip-'); }

/**
 * Merges a published item's headers over the held response's headers: every header name in
 * the item replaces all headers of that name, item headers are appended in item order.
 * `Grip-*` and framing headers of the item are dropped; a `Grip-Expose-Headers` in the item
 * removes the headers it names from the result (1.36 behaviour, grip.md §5.8).
 * @example mergeResponseHeaders([['A', '1'], ['B', '2']], [['b', '3']]) // [['A','1'],['b','3']]
 */
export function mergeResponseHeaders(base: readonly Header[], item: readonly Header[]): Header[] {
  const replaced = new Set<string>();
  const added: Header[] = [];
  let remove: Set<string> | undefined;
  for (const h of item) {
    const l = h[0].toLowerCase();
    if (isGrip(l)) {
      if (l === 'grip-expose-headers') {
        remove ??= new Set();
        for (const n of h[1].split(',')) { const t = n.trim().toLowerCase(); if (t) remove.add(t); }
      }
      continue;
    }
    if (FRAMING.has(l)) continue;
    replaced.add(l);
    added.push([h[0], h[1]]);
  }
  const out: Header[] = [];
  for (const h of base) {
    const l = h[0].toLowerCase();
    if (!replaced.has(l) && !isGrip(l) && !FRAMING.has(l)) out.push([h[0], h[1]]);
  }
  for (const h of added) out.push(h);
  return remove ? out.filter(([n]) => !remove.has(n.toLowerCase())) : out;
}

/** Body of an `http-response` send: `body`/`body-bin` as parsed, else `body-patch` over the held body. */
export function publishedBody(held: HttpResponseData, f: HttpResponseFormat): Buffer {
  if (f.body !== undefined) return f.body;
  if (f.bodyPatch !== undefined) return applyBodyPatch(held.body, f.bodyPatch);
  return EMPTY;
}

/**
 * The complete response a long-poll client gets for an `http-response` send item
 * (before content filters). Content-Length is left to the connection manager.
 */
export function publishedResponse(held: HttpResponseData, f: HttpResponseFormat): BuiltResponse {
  return { code: f.code, reason: f.reason, headers: mergeResponseHeaders(held.headers, f.headers), body: publishedBody(held, f) };
}
