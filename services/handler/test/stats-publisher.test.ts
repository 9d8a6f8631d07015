// The handler's stats bookkeeping without sockets: connections the proxy announced and then
// handed over are counted once, and not after they end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsPublisher } from '../src/inputs/index.js';

function make() {
  const frames: string[] = [];
  const s = new StatsPublisher((f) => frames.push(f.toString('latin1')), {
    from: 'pushpin-handler_1', format: 'json', subscriptionTtl: 60, connectionTtl: 120, reportInterval: 0,
    connectionCount: () => 0, received: () => 0,
  });
  return { s, frames };
}

test('a connection the proxy announced and then handed over is counted once and gone at its end', () => {
  const { s, frames } = make();
  assert.equal(s.ingest('conn', { from: 'pushpin-proxy_1', id: 'condure:0-1', type: 'http', 'peer-address': '10.0.0.1', ttl: 120 }), true);
  assert.equal(s.connectionCount, 1);
  s.connection('condure:0-1', { type: 'http', peerAddress: '10.0.0.1' });
  assert.equal(s.connectionCount, 1);
  s.disconnection('condure:0-1');
  assert.equal(s.connectionCount, 0, 'still counted after the end (until the proxy ttl ran out)');
  assert.deepEqual(frames.map((f) => f.slice(0, f.indexOf(' '))), ['conn', 'conn', 'conn']);
  assert.match(frames[2]!, /"unavailable":true/);
});

test('a plain request the proxy reports opens and ends without the handler', () => {
  const { s, frames } = make();
  s.ingest('conn', { from: 'pushpin-proxy_1', id: 'condure:0-2', type: 'http', ttl: 120 });
  s.ingest('conn', { from: 'pushpin-proxy_1', id: 'condure:0-2', unavailable: true });
  assert.equal(s.connectionCount, 0);
  assert.equal(frames.length, 2);
  assert.match(frames[0]!, /"from":"pushpin-handler_1"/);
});
