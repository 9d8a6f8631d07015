import type { Header } from '@pushpin-ts/zhttp';
import { headerValue, headerValues } from './headers.js';

const SIMPLE: ReadonlySet<string> = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);
const DEFAULT_METHODS = 'OPTIONS, HEAD, GET, POST, PUT, DELETE';

/**
 * Auto cross-origin (grip.md §11): CORS headers added to a response, each only when the
 * backend did not set it already.
 * @example withCors([['Content-Type', 'text/plain']], [['Origin', 'https://a.example']])
 */
export function withCors(response: readonly Header[], request: readonly Header[]): Header[] {
  const out: Header[] = [...response];
  const add = (name: string, value: string | undefined) => {
    if (value === undefined || value === '') return;
    if (headerValue(response, name) === undefined) out.push([name, value]);
  };
  add('Access-Control-Allow-Methods', headerValue(request, 'Access-Control-Request-Method') ?? DEFAULT_METHODS);
  add('Access-Control-Allow-Headers', headerValues(request, 'Access-Control-Request-Headers').join(', '));
  const expose = [...new Set(response.map(([k]) => k).filter((k) => {
    const l = k.toLowerCase();
    return !SIMPLE.has(l) && !l.startsWith('access-control-') && !l.startsWith('grip-');
  }))];
  add('Access-Control-Expose-Headers', expose.join(', '));
  add('Access-Control-Allow-Credentials', 'true');
  add('Access-Control-Allow-Origin', headerValue(request, 'Origin') ?? '*');
  add('Access-Control-Max-Age', '3600');
  return out;
}
