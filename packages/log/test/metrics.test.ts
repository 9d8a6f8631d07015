import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { renderMetrics, sanitizePrefix, startMetricsServer, type MetricDef } from '../src/index.js';

const defs: MetricDef[] = [
  { name: 'message_sent', type: 'counter', help: 'Number of messages sent to clients', collect: () => 3 },
  { name: 'route_request_received', type: 'counter', help: 'Requests per route', collect: () => [{ labels: { route: 'a"b\\c' }, value: 2 }] },
  { name: 'broken', type: 'gauge', help: 'throws', collect: () => { throw new Error('no'); } },
];

test('renderMetrics: HELP, TYPE and samples with the prefix; labels escaped; a throwing def is left out', () => {
  assert.equal(renderMetrics('pp_', defs), [
    '# HELP pp_message_sent Number of messages sent to clients',
    '# TYPE pp_message_sent counter',
    'pp_message_sent 3',
    '# HELP pp_route_request_received Requests per route',
    '# TYPE pp_route_request_received counter',
    'pp_route_request_received{route="a\\"b\\\\c"} 2',
    '',
  ].join('\n'));
});

test('sanitizePrefix replaces characters Prometheus names cannot hold', () => {
  assert.equal(sanitizePrefix('my-app.'), 'my_app_');
  assert.equal(sanitizePrefix('1x'), '_1x');
  assert.equal(sanitizePrefix(''), '');
});

test('startMetricsServer: any GET path gets the text, POST gets 405', async () => {
  const log = { warn: () => undefined, info: () => undefined };
  const srv = await startMetricsServer({ addr: '127.0.0.1', port: 0, render: () => renderMetrics('', defs.slice(0, 1)), log });
  try {
    const get = (method: string, path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: srv.address.port, method, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    const a = await get('GET', '/anything');
    assert.equal(a.status, 200);
    assert.match(a.body, /^message_sent 3$/m);
    assert.equal((await get('POST', '/metrics')).status, 405);
  } finally {
    srv.close();
  }
});
