/**
 * The handler's HTTP control API (publish.md §6): `/`, `POST /publish/`, `POST /recover`.
 * A deliberately small HTTP/1.x server like Pushpin's SimpleHttpServer: one request per
 * connection, every response `Connection: close` with a `Content-Length`.
 */

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parsePublishBody, PublishFormatError } from '@pushpin-ts/grip';
import type { Logger } from '@pushpin-ts/log';
import type { HubState } from '../hub-api.js';
import { messageBody, negotiateFormat } from './accept-negotiation.js';
import type { PublishIntake } from './publish-intake.js';

export interface HttpControlOptions {
  /** Listen address; empty means all interfaces. */
  addr: string;
  /** 0 picks a free port (tests). */
  port: number;
  maxHeadersSize: number;
  maxBodySize: number;
  intake: PublishIntake;
  hub: Pick<HubState, 'recover'>;
  log: Logger;
  /** Slow-client limits (ms). Pushpin has none; these keep idle or trickling clients from piling up. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface HttpControl {
  readonly address: AddressInfo;
  close(): void;
}

// Methods Pushpin assumes carry no body: they may omit Content-Length.
const BODYLESS = new Set(['HEAD', 'GET', 'DELETE']);
const REASONS: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 411: 'Length Required',
};

function respond(res: http.ServerResponse, code: number, body: string, contentType = 'text/plain', extra: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) return;
  const buf = Buffer.from(body, 'utf8');
  res.sendDate = false;
  res.writeHead(code, REASONS[code] ?? http.STATUS_CODES[code] ?? '', {
    'Content-Type': contentType, ...extra, Connection: 'close', 'Content-Length': String(buf.length),
  });
  res.end(buf);
}

function rawResponse(code: number, body: string): string {
  return `HTTP/1.1 ${code} ${REASONS[code] ?? ''}\r\nContent-Type: text/plain\r\nConnection: close\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Answer for a request the parser rejected, as Pushpin would give it (undefined: just close). */
function clientErrorBody(code: string | undefined): string | undefined {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return 'Request header too large.\n';
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH': return 'Bad Content-Length.\n';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT': return undefined;
    default: return 'Failed to parse request header.\n';
  }
}

class ControlApi {
  constructor(private readonly o: HttpControlOptions) {}

  private reply(req: http.IncomingMessage, res: http.ServerResponse, code: number, body: string, contentType = 'text/plain', extra: Record<string, string> = {}, items?: number): void {
    respond(res, code, body, contentType, extra);
    this.o.log.info({ method: req.method, uri: req.url, code, ...(items !== undefined ? { items } : {}) }, 'control request');
  }

  onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? '';
    const cl = req.headers['content-length'];
    if (cl === undefined && (req.headers['transfer-encoding'] !== undefined || !BODYLESS.has(method))) {
      this.finish(req, res, 411, 'Request requires Content-Length.\n');
      return;
    }
    if (cl !== undefined && Number(cl) > this.o.maxBodySize) {
      this.finish(req, res, 400, 'Request body too large.\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > this.o.maxBodySize) {
        failed = true;
        this.finish(req, res, 400, 'Request body too large.\n');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        this.route(req, res, Buffer.concat(chunks, size));
      } catch (err) {
        this.o.log.error({ err: String(err), uri: req.url }, 'control: request handling failed');
        if (!res.headersSent) respond(res, 500, 'Internal Server Error\n');
        else res.destroy();
      }
    });
    req.on('error', (err) => {
      this.o.log.debug({ err: String(err) }, 'control: request stream error');
      res.destroy();
    });
  }

  private finish(req: http.IncomingMessage, res: http.ServerResponse, code: number, body: string): void {
    this.reply(req, res, code, body);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const method = req.method ?? '';
    const format = negotiateFormat(req.headers.accept);
    if (!format) {
      this.reply(req, res, 406, 'Not Acceptable. Supported formats are text/plain and application/json.\n');
      return;
    }
    // The query string is part of the path: `/publish/?x=1` is not `/publish`, as in Pushpin.
    let path = req.url ?? '';
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);

    if (path === '/') {
      this.reply(req, res, 200, 'Pushpin API\n');
    } else if (path === '/publish' || path === '/recover') {
      if (method !== 'POST') {
        this.reply(req, res, 405, `Method not allowed: ${method}.\n`, 'text/plain', { Allow: 'POST' });
        return;
      }
      if (path === '/publish') this.publish(req, res, body, format);
      else {
        const m = messageBody(format, 'Updated');
        this.reply(req, res, 200, m.body, m.contentType);
        this.o.log.info({}, 'control: recover');
        this.o.hub.recover();
      }
    } else {
      this.reply(req, res, 404, 'Not Found\n');
    }
  }

  private publish(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, format: 'text' | 'json'): void {
    let items;
    try {
      items = parsePublishBody(body);
    } catch (err) {
      if (!(err instanceof PublishFormatError)) throw err;
      this.reply(req, res, 400, `${err.message}\n`);
      return;
    }
    const m = messageBody(format, 'Published');
    this.reply(req, res, 200, m.body, m.contentType, {}, items.length);
    this.o.intake.publish(items, 'http');
  }
}

/**
 * Starts the control API on `addr:port`.
 * @throws the listen error (e.g. EADDRINUSE) when the port cannot be bound.
 * @example const c = await startHttpControl({ addr: '127.0.0.1', port: 5561, maxHeadersSize: 10000, maxBodySize: 1000000, intake, hub, log });
 */
export async function startHttpControl(o: HttpControlOptions): Promise<HttpControl> {
  const api = new ControlApi(o);
  const headersTimeout = o.headersTimeoutMs ?? 20_000;
  const server = http.createServer({
    maxHeaderSize: o.maxHeadersSize,
    headersTimeout,
    requestTimeout: Math.max(o.requestTimeoutMs ?? 60_000, headersTimeout),
    connectionsCheckingInterval: 1000,
    keepAlive: false,
  }, (req, res) => api.onRequest(req, res));
  // A socket that sends nothing at all is dropped after the request timeout too.
  server.setTimeout(Math.max(o.requestTimeoutMs ?? 60_000, headersTimeout));

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const body = clientErrorBody(err.code);
    o.log.debug({ err: err.message, code: err.code }, 'control: client error');
    // A response already in progress on this connection ends it (Connection: close).
    const inFlight = (socket as Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (inFlight && !inFlight.writableEnded) return;
    if (body === undefined || !socket.writable) { socket.destroy(); return; }
    socket.end(rawResponse(400, body));
    socket.setTimeout(5000, () => socket.destroy());
  });
  server.on('connection', (socket: Socket) => {
    socket.on('error', (err) => o.log.debug({ err: String(err) }, 'control: socket error'));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(o.port, o.addr === '' ? undefined : o.addr, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => o.log.error({ err: String(err) }, 'control: server error'));
  const address = server.address() as AddressInfo;
  o.log.info({ addr: address.address, port: address.port }, 'control: HTTP API listening');
  return {
    address,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
