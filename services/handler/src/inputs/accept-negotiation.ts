/**
 * Content negotiation of the HTTP control API (publish.md §6.1). Only success bodies are
 * affected; error bodies are always text/plain.
 */

export type ControlFormat = 'text' | 'json';

const TEXT_TYPES = new Set(['text/plain', 'text/*', '*/*', '*']);
const JSON_TYPES = new Set(['application/json', 'application/*']);

/**
 * Picks the success body format from an `Accept` header value (several headers joined with
 * `,`). Pushpin walks every entry and the last acceptable one wins; parameters such as `q`
 * are ignored and media types compare case-sensitively, as in Pushpin.
 * @returns undefined when `Accept` is present but lists nothing acceptable (→ 406).
 * @example negotiateFormat(undefined) // 'text'
 * @example negotiateFormat('application/json, text/plain') // 'text'
 * @example negotiateFormat('image/png') // undefined
 */
export function negotiateFormat(accept: string | undefined): ControlFormat | undefined {
  if (accept === undefined) return 'text';
  let out: ControlFormat | undefined;
  for (const entry of accept.split(',')) {
    const type = (entry.split(';')[0] ?? '').trim();
    if (type === '') continue;
    if (TEXT_TYPES.has(type)) out = 'text';
    else if (JSON_TYPES.has(type)) out = 'json';
  }
  return out;
}

/** Success body: `Published\n` or `{"message":"Published"}\n`. */
export function messageBody(format: ControlFormat, message: string): { contentType: string; body: string } {
  if (format === 'json') return { contentType: 'application/json', body: `${JSON.stringify({ message })}\n` };
  return { contentType: 'text/plain', body: `${message}\n` };
}
