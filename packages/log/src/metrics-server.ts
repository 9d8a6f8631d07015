/**
 * The Prometheus endpoint (`prometheus_port`, `prometheus_prefix`; Pushpin 1.35+) of the proxy
 * and the handler: a small node:http server answering every GET/HEAD path with the metrics,
 * as Pushpin does. Like the logger, this is observability I/O shared by the services.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServerOptions {
  /** Listen address; Pushpin binds all interfaces when `prometheus_port` has no address. */
  addr: string;
  port: number;
  /** The exposition text, built per scrape. */
  render(): string;
  log: { warn(o: object, msg: string): void; info(o: object, msg: string): void };
}

export interface MetricsServer {
  readonly address: AddressInfo;
  close(): void;
}

/**
 * Starts the endpoint. Other methods than GET/HEAD get 405; a failing `render` gets 500
 * (logged); the server keeps serving.
 * @throws the listen error (EADDRINUSE, …).
 */
export function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const headers = { 'Content-Type': 'text/plain; version=0.0.4', Connection: 'close' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = `Method not allowed: ${req.method ?? ''}.\n`;
      res.writeHead(405, { ...headers, 'Content-Type': 'text/plain', Allow: 'GET, HEAD', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      req.resume();
      return;
    }
    let body: string;
    try {
      body = o.render();
    } catch (err) {
      o.log.warn({ err: String(err) }, 'metrics: render failed');
      res.writeHead(500, { 'Content-Type': 'text/plain', Connection: 'close', 'Content-Length': 22 });
      res.end('Internal Server Error\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('clientError', (_err, socket) => { socket.destroy(); });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.addr, () => {
      server.off('error', reject);
      server.on('error', (err) => o.log.warn({ err: String(err) }, 'metrics server error'));
      const address = server.address() as AddressInfo;
      o.log.info({ addr: address.address, port: address.port }, 'prometheus metrics listening');
      resolve({ address, close: () => { server.close(); server.closeAllConnections(); } });
    });
  });
}
