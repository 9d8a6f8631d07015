// Load-generator clients on raw `net` sockets: a streaming subscriber (HTTP/1.1 response head,
// then a chunked, Content-Length or close-delimited body split into lines) and a keep-alive
// request/response connection with one request in flight (publishing, passthrough).
import net from 'node:net';

const MAX_HEAD = 65536;
const CRLF = Buffer.from('\r\n');

/**
 * Incremental HTTP/1.x response parser. `onHead(status, headers)` once, `onBody(buf)` for body
 * bytes, `onEnd()` when a delimited body is complete. Returns the unconsumed bytes after a
 * complete response via `leftover` (keep-alive).
 */
class ResponseParser {
  constructor(handlers) {
    this.h = handlers;
    this.reset();
  }

  reset() {
    this.state = 'head';
    this.buf = null;
    this.remaining = 0;
    this.status = 0;
  }

  /** Feeds bytes; returns true if a full response was completed (rest kept in this.buf). */
  push(d) {
    this.buf = this.buf && this.buf.length > 0 ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const b = this.buf;
      switch (this.state) {
        case 'head': {
          const end = b.indexOf('\r\n\r\n');
          if (end < 0) {
            if (b.length > MAX_HEAD) throw new Error('response head too large');
            return false;
          }
          const lines = b.latin1Slice(0, end).split('\r\n');
          this.status = Number(lines[0].split(' ')[1]);
          const headers = {};
          for (let i = 1; i < lines.length; i++) {
            const c = lines[i].indexOf(':');
            if (c > 0) headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
          }
          this.buf = b.subarray(end + 4);
          this.h.onHead?.(this.status, headers);
          if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.state = 'size';
          else if (headers['content-length'] !== undefined) {
            this.remaining = Number(headers['content-length']);
            this.state = 'fixed';
          } else if (this.status === 204 || this.status === 304) this.state = 'done';
          else this.state = 'raw';
          break;
        }
        case 'size': {
          const end = b.indexOf(CRLF);
          if (end < 0) return false;
          const size = parseInt(b.latin1Slice(0, end), 16);
          if (Number.isNaN(size)) throw new Error('bad chunk size');
          this.buf = b.subarray(end + 2);
          if (size === 0) this.state = 'trailer';
          else {
            this.chunks = (this.chunks ?? 0) + 1;
            this.remaining = size;
            this.state = 'data';
          }
          break;
        }
        case 'data':
        case 'fixed': {
          if (this.remaining === 0) {
            this.state = this.state === 'data' ? 'crlf' : 'done';
            break;
          }
          if (b.length === 0) return false;
          const take = Math.min(this.remaining, b.length);
          this.h.onBody?.(b.subarray(0, take));
          this.remaining -= take;
          this.buf = b.subarray(take);
          break;
        }
        case 'crlf':
          if (b.length < 2) return false;
          this.buf = b.subarray(2);
          this.state = 'size';
          break;
        case 'trailer': {
          const end = b.indexOf(CRLF);
          if (end < 0) return false;
          this.buf = b.subarray(end + 2);
          if (end === 0) this.state = 'done';
          break;
        }
        case 'raw':
          if (b.length > 0) this.h.onBody?.(b);
          this.buf = null;
          return false;
        case 'done':
          this.h.onEnd?.();
          return true;
        default:
          return false;
      }
    }
  }
}

/**
 * A held streaming request: connects, sends `GET path`, reports the response head, then every
 * complete body line to `onLine(line, conn)`. `ready` resolves when the first body bytes
 * (the origin's initial "ok") arrived, rejects on error/close/timeout before that.
 * `localAddress`: the source address to connect from (e.g. 127.0.0.2; each loopback source
 * address has its own ~28k ephemeral ports), `localPort` the source port (when the bench picks
 * it: the kernel's own choice for a bound address costs a scan of the port range per connect).
 * A client with a chosen port closes with a reset, so the port is free again at once (no
 * TIME_WAIT holding it for the next run).
 */
export class StreamClient {
  constructor(port, path, { onLine, timeoutMs = 15000, index = 0, localAddress, localPort }) {
    this.index = index;
    this.lines = 0;
    this.closed = false;
    this.status = 0;
    this.partial = '';
    let resolveReady;
    let rejectReady;
    this.ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
    this.ready.catch(() => {});
    let gotBody = false;
    const fail = (err) => {
      if (!gotBody) rejectReady(err);
    };
    const timer = setTimeout(() => { fail(new Error('timeout waiting for initial body')); this.close(); }, timeoutMs);
    this.parser = new ResponseParser({
      onHead: (status) => {
        this.status = status;
        if (status !== 200) fail(new Error(`status ${status}`));
      },
      onBody: (b) => {
        if (!gotBody) {
          gotBody = true;
          clearTimeout(timer);
          resolveReady(this);
        }
        const text = this.partial + b.latin1Slice(0, b.length);
        let start = 0;
        for (;;) {
          const nl = text.indexOf('\n', start);
          if (nl < 0) break;
          this.lines++;
          onLine(text.slice(start, nl), this);
          start = nl + 1;
        }
        this.partial = start === 0 ? text : text.slice(start);
      },
    });
    const sock = net.connect({ port, host: '127.0.0.1', noDelay: true, ...(localAddress ? { localAddress } : {}), ...(localPort ? { localPort } : {}) });
    this.sock = sock;
    this.reset = Boolean(localPort);
    sock.on('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: pushpin-ts-bench\r\n\r\n`));
    sock.on('data', (d) => {
      try {
        this.parser.push(d);
      } catch (e) {
        fail(e);
        this.close();
      }
    });
    sock.on('error', (e) => fail(e));
    sock.on('close', () => {
      clearTimeout(timer);
      this.closed = true;
      fail(new Error('closed before initial body'));
    });
  }

  /** HTTP chunks received so far (several messages in one chunk = the SUT coalesced them). */
  get chunks() {
    return this.parser.chunks ?? 0;
  }

  close() {
    this.closed = true;
    if (this.reset && !this.sock.destroyed) {
      try {
        this.sock.resetAndDestroy();
        return;
      } catch {
        // not connected yet: a plain destroy
      }
    }
    this.sock.destroy();
  }
}

/**
 * A keep-alive connection with at most one request in flight. `request()` resolves with
 * `{ status, body }` (body as a latin1 string) or rejects on error/timeout; the socket is
 * reopened on the next request after a failure or a `Connection: close`.
 */
export class HttpConn {
  constructor(port, { timeoutMs = 10000 } = {}) {
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.sock = null;
    this.pending = null;
  }

  #open() {
    const sock = net.connect({ port: this.port, host: '127.0.0.1', noDelay: true });
    let body = [];
    let close = false;
    const parser = new ResponseParser({
      onHead: (status, headers) => { close = /close/i.test(headers.connection ?? ''); },
      onBody: (b) => body.push(b),
      onEnd: () => {},
    });
    const settle = (err) => {
      const p = this.pending;
      if (!p || p.sock !== sock) return;
      this.pending = null;
      clearTimeout(p.timer);
      if (err) p.reject(err);
      else p.resolve({ status: parser.status, body: Buffer.concat(body).latin1Slice() });
    };
    sock.on('data', (d) => {
      try {
        if (parser.push(d)) {
          const extra = parser.buf;
          settle(null);
          parser.reset();
          body = [];
          if (extra && extra.length > 0) throw new Error('unexpected bytes after response');
          if (close) this.#drop();
        }
      } catch (e) {
        this.#drop();
        settle(e);
      }
    });
    sock.on('error', (e) => { if (this.sock === sock) this.sock = null; settle(e); });
    sock.on('close', () => {
      if (this.sock === sock) this.sock = null;
      if (parser.state === 'raw' && this.pending) {
        settle(null);
      } else settle(new Error('connection closed'));
    });
    this.sock = sock;
  }

  #drop() {
    const s = this.sock;
    this.sock = null;
    s?.destroy();
  }

  /** Sends one request; `body` a string or Buffer. */
  request(method, path, body, headers = '') {
    if (this.pending) return Promise.reject(new Error('request already in flight'));
    if (!this.sock || this.sock.destroyed) this.#open();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#drop();
        const p = this.pending;
        this.pending = null;
        p?.reject(new Error('request timeout'));
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer, sock: this.sock };
      let head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\n${headers}`;
      if (body !== undefined) {
        head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
        this.sock.write(head + body);
      } else this.sock.write(`${head}\r\n`);
    });
  }

  close() {
    this.#drop();
  }
}

/** The body of an HTTP publish request: items of `[channel, content]` as http-stream. */
export function publishBody(items) {
  let s = '{"items":[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) s += ',';
    s += `{"channel":${JSON.stringify(items[i][0])},"formats":{"http-stream":{"content":${JSON.stringify(items[i][1])}}}}`;
  }
  return `${s}]}`;
}
