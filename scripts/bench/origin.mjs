#!/usr/bin/env node
// The benchmark's origin server, run as its own process: `node origin.mjs <port>`.
// Raw `net` with a minimal HTTP/1.1 parser (keep-alive, pipelining, Content-Length bodies):
//   /plain...     -> 200 "hello\n", no GRIP (the passthrough path)
//   /poll/<ch>    -> Grip-Hold: response on <ch> (long-poll; the body is the timeout answer)
//   anything else -> Grip-Hold: stream, Grip-Channel: <last path segment>, body "ok\n"
// Prints "listening <port>" once bound; exits when its stdin closes (the benchmark is gone).
import net from 'node:net';

const port = Number(process.argv[2] ?? 0);
const MAX_HEAD = 65536;

function answer(path) {
  if (path.startsWith('/plain')) {
    return 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n';
  }
  const q = path.indexOf('?');
  const clean = q >= 0 ? path.slice(0, q) : path;
  const channel = clean.split('/').filter(Boolean).pop() ?? 'default';
  if (clean.startsWith('/poll/')) {
    return 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nGrip-Hold: response\r\n'
      + `Grip-Channel: ${channel}\r\nGrip-Timeout: 120\r\nContent-Length: 8\r\n\r\ntimeout\n`;
  }
  return 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nGrip-Hold: stream\r\n'
    + `Grip-Channel: ${channel}\r\nContent-Length: 3\r\n\r\nok\n`;
}

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  let buf = '';
  let skip = 0; // request body bytes still to discard
  sock.on('error', () => sock.destroy());
  sock.on('data', (d) => {
    let s = d.toString('latin1');
    if (skip > 0) {
      const n = Math.min(skip, s.length);
      skip -= n;
      s = s.slice(n);
    }
    buf += s;
    let out = '';
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD) {
          sock.end('HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          buf = '';
        }
        break;
      }
      const head = buf.slice(0, end);
      const sp1 = head.indexOf(' ');
      const sp2 = head.indexOf(' ', sp1 + 1);
      const path = head.slice(sp1 + 1, sp2 > 0 ? sp2 : undefined);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const bodyLen = cl ? Number(cl[1]) : 0;
      const rest = buf.length - (end + 4);
      if (rest >= bodyLen) {
        buf = buf.slice(end + 4 + bodyLen);
      } else {
        skip = bodyLen - rest;
        buf = '';
      }
      out += answer(path);
      if (skip > 0) break;
    }
    if (out) sock.write(out);
  });
});
server.on('error', (e) => {
  process.stderr.write(`origin: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
