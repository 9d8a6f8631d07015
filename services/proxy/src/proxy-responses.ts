import { statusReason } from '@pushpin-ts/grip';
import type { ResponseData } from '@pushpin-ts/zhttp';

/** Texts of the responses the proxy makes itself (grip.md §10). */
export const MESSAGES = Object.freeze({
  routeNotFound: 'Route not found',
  proxyError: 'Error while proxying to origin.',
  lengthRequired: 'Must provide Content-Length header.',
  acceptUnavailable: 'Accept service unavailable.',
  requestTooLargeForGrip: 'Request too large to accept GRIP instruct.',
  busy: 'Too many open requests.',
});

/**
 * A proxy-generated response: text/plain, Content-Length set, body = message + `\n`.
 * @example textResponse(502, 'Route not found').body.toString() // 'Route not found\n'
 */
export function textResponse(code: number, message: string): ResponseData {
  const body = Buffer.from(`${message}\n`);
  return {
    code,
    reason: statusReason(code),
    headers: [['Content-Type', 'text/plain'], ['Content-Length', String(body.length)]],
    body,
  };
}

/** The debug detail for a zurl error condition before any response (grip.md §10). */
export function upstreamErrorDetail(condition: string | undefined, tried: readonly string[]): string {
  switch (condition) {
    case 'remote-connection-failed':
    case 'connection-timeout':
    case 'tls-error':
      return `Unable to connect to any targets. Tried: ${tried.join(', ')}`;
    case 'policy-violation':
      return 'Error: Origin host/IP blocked.';
    case undefined:
      return 'Error: zhttp service for route is unreachable.';
    default:
      return `Error: ${condition}`;
  }
}
