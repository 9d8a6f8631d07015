import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodePacket, splitPubFrame, encodePubFrame, decodeZrpcRequest, encodeZrpcResponse, decodeZrpcResponse, decodeRetryPacket, encodeRetryPacket } from '../src/index.js';
import { decode as tnDecode, encode as tnEncode } from '@pushpin-ts/tnetstring';

const b = (s: string) => Buffer.from(s, 'latin1');

test('decodes condure first packet', () => {
  const p = decodePacket(b('T298:4:from,7:condure,2:id,5:0-0-0,3:seq,1:0#3:ext,15:5:multi,4:true!}6:method,3:GET,3:uri,31:http://127.0.0.1:37999/path?q=1,7:headers,82:26:4:Host,15:127.0.0.1:37999,]29:10:User-Agent,11:curl/7.88.1,]15:6:Accept,3:*/*,]]7:credits,4:8192#6:stream,4:true!12:peer-address,9:127.0.0.1,9:peer-port,5:34864#}'));
  assert.equal(p.from, 'condure');
  assert.equal(p.id, '0-0-0');
  assert.equal(p.seq, 0);
  assert.equal(p.multi, true);
  assert.equal(p.method, 'GET');
  assert.equal(p.uri, 'http://127.0.0.1:37999/path?q=1');
  assert.deepEqual(p.headers, [['Host', '127.0.0.1:37999'], ['User-Agent', 'curl/7.88.1'], ['Accept', '*/*']]);
  assert.equal(p.credits, 8192);
  assert.equal(p.stream, true);
  assert.equal(p.peerAddress, '127.0.0.1');
  assert.equal(p.peerPort, 34864);
});

test('accepts peer-port as digit string (Pushpin C++ serializer)', () => {
  const p = decodePacket(encodePacket({ id: 'x', seq: 0 }));
  assert.equal(p.peerPort, undefined);
  const q = decodePacket(b('T29:2:id,1:x,9:peer-port,5:12345,}'));
  assert.equal(q.peerPort, 12345);
});

test('encodes a response exactly like the captured condure-accepted frame', () => {
  const payload = encodePacket({ from: 'fakeproxy', id: '0-0-0', seq: 0, code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain']], body: b('hi\n') });
  assert.equal(payload.toString('latin1'), 'T130:4:from,9:fakeproxy,2:id,5:0-0-0,3:seq,1:0#4:code,3:200#6:reason,2:OK,7:headers,34:30:12:Content-Type,10:text/plain,]]4:body,3:hi\n,}');
});

test('decodes an internal request as Pushpin 1.36\'s handler sends it (passthrough map)', () => {
  // captured from the real pushpin-handler's intreq PUSH (next link)
  const raw = 'T309:3:seq,1:0#11:passthrough,65:5:route,7:*,*,*,*,15:prefer-internal,4:true!10:auto-share,4:true!}6:method,3:GET,3:uri,53:http://127.0.0.1:21515/nl-seqlinknext-466e6fa5/second,7:credits,6:200000#4:from,21:pushpin-handler_11380,2:id,36:8cbe4941-d999-4fab-896b-2d5a1288eb08,3:ext,15:5:multi,4:true!}6:stream,4:true!}';
  const p = decodePacket(Buffer.from(raw, 'latin1'));
  assert.equal(p.method, 'GET');
  assert.equal(p.multi, true);
  const pt = p.passthrough as Record<string, unknown>;
  assert.equal((pt['route'] as Buffer).toString(), '*,*,*,*');
  assert.equal(pt['prefer-internal'], true);
  assert.equal(pt['auto-share'], true);
  const again = decodePacket(encodePacket(p));
  assert.deepEqual(again.passthrough, p.passthrough);
});

test('decodes a retry packet as Pushpin 1.36\'s handler sends it; rejects malformed ones', () => {
  // captured from the real pushpin-handler's retry PUSH (a long-poll update)
  const raw = '343:8:requests,130:125:6:in-seq,1:3#12:peer-address,9:127.0.0.1,11:out-credits,4:8192#3:rid,38:2:id,10:0111a005-2,6:sender,7:condure,}7:out-seq,1:4#}]5:route,7:*,*,*,*,12:request-data,158:4:body,0:,7:headers,56:26:4:host,15:127.0.0.1:21285,]22:10:connection,5:close,]]3:uri,53:http://127.0.0.1:21285/lp-lphelduntilpublish-2a2682a1,6:method,3:GET,}}';
  const r = decodeRetryPacket(tnDecode(Buffer.from(raw, 'latin1')));
  assert.deepEqual(r.requests.map((q) => [q.rid.sender, q.rid.id, q.inSeq, q.outSeq, q.outCredits, q.peerAddress]), [['condure', '0111a005-2', 3, 4, 8192, '127.0.0.1']]);
  assert.equal(r.route, '*,*,*,*');
  assert.deepEqual([r.requestData.method, r.requestData.uri, r.requestData.headers], ['GET', 'http://127.0.0.1:21285/lp-lphelduntilpublish-2a2682a1', [['host', '127.0.0.1:21285'], ['connection', 'close']]]);
  assert.deepEqual(decodeRetryPacket(tnDecode(tnEncode(encodeRetryPacket(r)))), r);
  assert.throws(() => decodeRetryPacket(tnDecode(tnEncode({ requests: [] }))), /requests/);
  assert.throws(() => decodeRetryPacket(tnDecode(tnEncode({ requests: [{ rid: {} }] }))), /rid/);
  assert.throws(() => decodeRetryPacket(tnDecode(tnEncode('x'))), /not a map/);
});

test('multi-id keep-alive round trips', () => {
  const raw = b('T139:4:from,19:pushpin-proxy_11446,2:id,54:23:2:id,5:0-0-2,3:seq,1:7#}23:2:id,5:1-0-5,3:seq,1:3#}]4:type,10:keep-alive,3:ext,15:5:multi,4:true!}}');
  const p = decodePacket(raw);
  assert.deepEqual(p.id, [{ id: '0-0-2', seq: 7 }, { id: '1-0-5', seq: 3 }]);
  assert.equal(p.type, 'keep-alive');
  assert.deepEqual(decodePacket(encodePacket(p)), p);
});

test('rejected error with response fields', () => {
  const p = decodePacket(b('T128:4:from,2:zz,2:id,1:1,3:seq,1:0#4:type,5:error,9:condition,8:rejected,4:code,3:403#6:reason,9:Forbidden,7:headers,0:]4:body,2:no,}'));
  assert.equal(p.type, 'error');
  assert.equal(p.condition, 'rejected');
  assert.equal(p.code, 403);
  assert.deepEqual(p.body, b('no'));
});

const bad: Array<[string, string]> = [
  ['empty', ''],
  ['no T', '12:2:id,1:1,}'],
  ['J prefix', 'J{}'],
  ['not a map', 'T3:abc,'],
  ['no id', 'T12:3:seq,1:0#}'],
  ['unknown type', 'T25:2:id,1:1,4:type,4:bogs,}'],
  ['bad headers', 'T23:2:id,1:1,7:headers,1:x,}'],
  ['truncated', 'T30:2:id,1:1'],
];
for (const [name, raw] of bad) {
  test(`rejects ${name}`, () => {
    assert.throws(() => decodePacket(b(raw)), (e: { code?: string }) => e.code === 'PP_ERR_ZHTTP_FORMAT');
  });
}

test('PUB frames split at the first space', () => {
  const f = encodePubFrame('condure', b('Tx y'));
  assert.deepEqual(splitPubFrame(f), { dest: 'condure', payload: b('Tx y') });
});

test('ZRPC request and response', () => {
  const r = decodeZrpcRequest(b('37:2:id,4:cmd1,6:method,12:get-zmq-uris,}'));
  assert.equal(r.method, 'get-zmq-uris');
  assert.deepEqual(r.id, b('cmd1'));
  const enc = encodeZrpcResponse({ id: b('8'), success: false, condition: 'method-not-found' });
  const back = decodeZrpcResponse(enc);
  assert.equal(back.success, false);
  assert.equal(back.condition, 'method-not-found');
  // byte for byte as Pushpin answers: an error carries no value, a success always one (null)
  assert.equal(enc.toString(), '59:2:id,1:8,7:success,5:false!9:condition,16:method-not-found,}');
  assert.equal(encodeZrpcResponse({ success: true }).toString(), '28:7:success,4:true!5:value,0:~}');
});
