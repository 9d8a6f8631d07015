import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exchange, FIXTURES, startInitiator, startZurl, type Initiator, type ZurlProc } from './helpers.js';

// zurl trusts the self-signed localhost certificate through NODE_EXTRA_CA_CERTS
const CERT = join(FIXTURES, 'localhost-cert.pem');
let z: ZurlProc;
let i: Initiator;
let server: Server;
let port: number;
let lastHost: string | undefined;

before(async () => {
  server = createServer({ cert: readFileSync(CERT), key: readFileSync(join(FIXTURES, 'localhost-key.pem')) }, (req, res) => {
    lastHost = req.headers.host;
    res.end('secure');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  z = await startZurl({}, [], { NODE_EXTRA_CA_CERTS: CERT });
  i = await startInitiator(z);
});
after(async () => {
  i?.close();
  server?.closeAllConnections();
  server?.close();
  await z?.stop();
});

const get = (uri: string, extra: object = {}) => exchange(i, { method: 'GET', uri, stream: true, credits: 200000, headers: [], ignorePolicies: true, ...extra });

test('https to a trusted certificate', async () => {
  const x = await get(`https://localhost:${port}/`);
  assert.equal(x.error, undefined, JSON.stringify(x.error));
  assert.equal(x.body.toString(), 'secure');
});

test('certificate is verified against the URI host, not connect-host', async () => {
  const x = await get(`https://api.example:${port}/`, { connectHost: 'localhost', connectPort: port });
  assert.equal(x.error?.condition, 'tls-error');
});

test('trust-connect-host verifies against connect-host', async () => {
  const x = await get(`https://api.example:${port}/`, { connectHost: 'localhost', connectPort: port, trustConnectHost: true });
  assert.equal(x.error, undefined, JSON.stringify(x.error));
  assert.equal(x.body.toString(), 'secure');
  assert.equal(lastHost, `api.example:${port}`);
});

test('ignore-tls-errors accepts a mismatching certificate', async () => {
  const x = await get(`https://other.example:${port}/`, { connectHost: '127.0.0.1', connectPort: port, ignoreTlsErrors: true });
  assert.equal(x.body.toString(), 'secure');
});

test('plain http to a TLS port fails without crashing', async () => {
  const x = await get(`http://127.0.0.1:${port}/`);
  assert.equal(x.end, 'error');
  assert.equal(z.child.exitCode, null);
});
