// The proxy's stats packets and metrics without sockets: encoding, aggregation, reports,
// the Prometheus text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMap, toPlain } from '@pushpin-ts/tnetstring';
import type { Route } from '@pushpin-ts/config';
import { codeClass, encodeProxyStatsPacket, ProxyStats, requestHeadBytes } from '../src/stats.js';
import { proxyMetricDefs, renderMetrics, sanitizePrefix } from '../src/metrics/index.js';

function parse(frame: Buffer): { type: string; fields: Record<string, unknown> } {
  const sp = frame.indexOf(0x20);
  assert.equal(frame[sp + 1], 0x54, 'T payload');
  return { type: frame.subarray(0, sp).toString(), fields: toPlain(decodeMap(frame.subarray(sp + 2))) as Record<string, unknown> };
}

const route = (id: string) => ({ id }) as Route;

describe('encoding', () => {
  test('packets are `<type> T<tnetstring>` with sorted keys', () => {
    assert.equal(encodeProxyStatsPacket('counts', { 'requests-received': 2, from: 'p' }).toString(), 'counts T36:4:from,1:p,17:requests-received,1:2#}');
    assert.equal(encodeProxyStatsPacket('activity', { count: 1, from: 'x' }).toString(), 'activity T23:5:count,1:1#4:from,1:x,}');
  });
  test('status classes and request head sizes', () => {
    assert.deepEqual([100, 200, 204, 302, 404, 503, 99, 600].map(codeClass), ['1xx', '2xx', '2xx', '3xx', '4xx', '5xx', 'other', 'other']);
    // "GET http://a/ HTTP/1.1\r\n" (24) + "Host: a\r\n" (9) + "\r\n" (2)
    assert.equal(requestHeadBytes('GET', 'http://a/', [['Host', 'a']]), 35);
  });
});

describe('ProxyStats', () => {
  test('conn: on open (ws, ssl, address, ttl), refreshed while held, unavailable at the end unless handed off', () => {
    const sent: Buffer[] = [];
    const s = new ProxyStats((f) => sent.push(f), { from: 'p', reportInterval: 0, openSessions: () => 0, connectionTtl: 60 });
    s.connOpened('condure:1-0-1', 'http', '10.0.0.1', false);
    s.connOpened('8f0e-uuid', 'ws', undefined, true);
    s.connOpened('condure:1-0-2', 'http', '10.0.0.2', false);
    s.refreshConnections();
    s.connClosed('condure:1-0-1', false);
    s.connClosed('condure:1-0-2', true);
    s.connClosed('never-opened', false);
    s.refreshConnections();
    assert.deepEqual(sent.map(parse), [
      { type: 'conn', fields: { from: 'p', id: 'condure:1-0-1', 'peer-address': '10.0.0.1', ttl: 60, type: 'http' } },
      { type: 'conn', fields: { from: 'p', id: '8f0e-uuid', ssl: true, ttl: 60, type: 'ws' } },
      { type: 'conn', fields: { from: 'p', id: 'condure:1-0-2', 'peer-address': '10.0.0.2', ttl: 60, type: 'http' } },
      { type: 'conn', fields: { from: 'p', id: 'condure:1-0-1', 'peer-address': '10.0.0.1', ttl: 60, type: 'http' } },
      { type: 'conn', fields: { from: 'p', id: '8f0e-uuid', ssl: true, ttl: 60, type: 'ws' } },
      { type: 'conn', fields: { from: 'p', id: 'condure:1-0-2', 'peer-address': '10.0.0.2', ttl: 60, type: 'http' } },
      { type: 'conn', fields: { from: 'p', id: 'condure:1-0-1', unavailable: true } },
      { type: 'conn', fields: { from: 'p', id: '8f0e-uuid', ssl: true, ttl: 60, type: 'ws' } },
    ]);
  });

  test('requests are aggregated into one activity and one counts packet', () => {
    const sent: Buffer[] = [];
    let open = 0;
    const s = new ProxyStats((f) => sent.push(f), { from: 'pushpin-proxy_1', reportInterval: 0, openSessions: () => open });
    for (let i = 0; i < 3; i++) { s.requestReceived(100); open++; s.sampleOpen(); }
    assert.equal(sent.length, 0, 'nothing before the flush');
    s.flush();
    assert.deepEqual(sent.map(parse), [
      { type: 'activity', fields: { count: 3, from: 'pushpin-proxy_1' } },
      { type: 'counts', fields: { from: 'pushpin-proxy_1', 'requests-received': 3 } },
    ]);
    s.flush();
    assert.equal(sent.length, 2, 'an empty flush sends nothing');
    s.close();
  });

  test('the flush timer fires by itself within a second', async () => {
    const sent: Buffer[] = [];
    const s = new ProxyStats((f) => sent.push(f), { from: 'p', reportInterval: 0, openSessions: () => 0 });
    s.requestReceived(10);
    const t0 = Date.now();
    while (sent.length < 2 && Date.now() - t0 < 1500) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sent.length, 2);
    assert.ok(Date.now() - t0 <= 1000, `flushed after ${Date.now() - t0} ms`);
    s.close();
  });

  test('report carries connections, duration and byte counters, then restarts', () => {
    const sent: Buffer[] = [];
    let now = 1000;
    let open = 0;
    const s = new ProxyStats((f) => sent.push(f), { from: 'p', reportInterval: 10, openSessions: () => open, now: () => now });
    s.start();
    s.requestReceived(120); open = 2; s.sampleOpen();
    s.requestReceived(80); open = 1;
    s.finished(200, 5, 300);
    s.finished(undefined, 0, 0);
    now += 9999;
    s.report();
    const packets = sent.map(parse);
    assert.deepEqual(packets.map((p) => p.type), ['activity', 'counts', 'report']);
    assert.deepEqual(packets[2]!.fields, {
      'client-content-bytes-received': 5, 'client-header-bytes-received': 200, connections: 2, duration: 9999, from: 'p',
      'server-content-bytes-received': 300,
    });
    open = 0;
    now += 10;
    s.report();
    assert.deepEqual(parse(sent.at(-1)!).fields, {
      'client-content-bytes-received': 0, 'client-header-bytes-received': 0, connections: 1, duration: 10, from: 'p', 'server-content-bytes-received': 0,
    });
    s.close();
  });

  test('without a socket it only counts; after close nothing is sent', () => {
    const s = new ProxyStats(undefined, { from: 'p', reportInterval: 1, openSessions: () => 0 });
    s.start();
    s.requestReceived(1);
    s.routed(route('api'));
    s.routed(route('api'));
    s.finished(404);
    s.flush();
    s.close();
    assert.equal(s.totals.requestsReceived, 1);
    assert.deepEqual([...s.totals.byRoute], [['api', 2]]);
    assert.deepEqual([...s.totals.byClass], [['4xx', 1]]);
    const sent: Buffer[] = [];
    const closed = new ProxyStats((f) => sent.push(f), { from: 'p', reportInterval: 0, openSessions: () => 0 });
    closed.close();
    closed.requestReceived(1);
    closed.flush();
    closed.report();
    assert.equal(sent.length, 0);
  });
});

describe('metrics', () => {
  test('renders totals with the prefix, labels sorted', () => {
    const s = new ProxyStats(undefined, { from: 'p', reportInterval: 0, openSessions: () => 0 });
    s.requestReceived(1); s.requestReceived(1);
    s.routed(route('b')); s.routed(route('a"x'));
    s.finished(200); s.finished(503); s.finished(201);
    const text = renderMetrics(sanitizePrefix('pp-'), proxyMetricDefs({ totals: s.totals, openSessions: () => 7 }));
    assert.equal(text, [
      '# HELP pp_request_received Number of client requests received',
      '# TYPE pp_request_received counter',
      'pp_request_received 2',
      '# HELP pp_route_request_received Number of client requests received, per route (id or pattern)',
      '# TYPE pp_route_request_received counter',
      'pp_route_request_received{route="a\\"x"} 1',
      'pp_route_request_received{route="b"} 1',
      '# HELP pp_request_response Number of requests answered, per status class (handed-off requests: the backend status)',
      '# TYPE pp_request_response counter',
      'pp_request_response{class="2xx"} 2',
      'pp_request_response{class="5xx"} 1',
      '# HELP pp_connection_open Number of sessions open in the proxy (client and handler-originated)',
      '# TYPE pp_connection_open gauge',
      'pp_connection_open 7',
      '',
    ].join('\n'));
  });
});
