import type { ResponseData } from '@pushpin-ts/zhttp';

/** Largest request body the test backend accepts (test-handler.md §1.1). */
export const TEST_MAX_BODY = 100_000;

const TEXT: [string, string] = ['Content-Type', 'text/plain'];

function text(code: number, reason: string, body: string, extra: Array<[string, string]> = []): ResponseData {
  return { code, reason, headers: [TEXT, ...extra], body: Buffer.from(body) };
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** `channel` query parameters in first-seen order, duplicates collapsed; `test` when none. */
export function testChannels(query: string): string[] {
  const q = query.startsWith('?') ? query.slice(1) : query;
  const out = new Set<string>();
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq === -1 ? part : part.slice(0, eq));
    if (name !== 'channel') continue;
    const value = eq === -1 ? '' : safeDecode(part.slice(eq + 1));
    if (value !== '') out.add(value);
  }
  return out.size ? [...out] : ['test'];
}

/** Path the test backend sees: route `path_beg` removed (leading `/` kept), one trailing `/` removed. */
export function testPath(path: string, pathBeg: string | undefined): string {
  let p = path;
  if (pathBeg !== undefined && p.startsWith(pathBeg)) p = p.slice(pathBeg.length);
  if (!p.startsWith('/')) p = `/${p}`;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/**
 * The built-in `test` route target's HTTP answers (test-handler.md §1.2). The result is an
 * ordinary backend response: GRIP ones go through the normal handoff.
 * @example testTargetResponse({ path: '/', query: '', bodyLength: 0 }).body.toString() // 'Hello from the Pushpin test handler!\n'
 */
export function testTargetResponse(req: { path: string; query: string; bodyLength: number }, pathBeg?: string): ResponseData {
  if (req.bodyLength > TEST_MAX_BODY) return text(400, 'Bad Request', 'request too large\n');
  const path = testPath(req.path, pathBeg);
  const channels = testChannels(req.query).join(', ');
  switch (path) {
    case '/': return text(200, 'OK', 'Hello from the Pushpin test handler!\n');
    case '/response': return text(200, 'OK', 'nothing for now\n', [['Grip-Hold', 'response'], ['Grip-Channel', channels]]);
    case '/stream': return text(200, 'OK', '[stream opened]\n', [['Grip-Hold', 'stream'], ['Grip-Channel', channels]]);
    default: return text(404, 'Not Found', 'no such test resource\n');
  }
}
