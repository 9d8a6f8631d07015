import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { parseKeySpec, signGripSig, verifyGripSig } from '../src/index.js';

// Observed from Pushpin 1.36 with the default key `changeme`.
const OBSERVED = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTUzMjUxMDMsImlzcyI6InB1c2hwaW4ifQ.fY0mo557JRO4RtfUmVgabNuXveiy7UsMcR_G_zEnPuQ';
const EXP = 1795325103;

test('signing reproduces the observed Pushpin token byte for byte', () => {
  const token = signGripSig({ iss: 'pushpin', key: parseKeySpec('changeme'), nowSeconds: EXP - 3600 });
  assert.equal(token, OBSERVED);
  const [h, c, s] = token.split('.');
  assert.equal(Buffer.from(h ?? '', 'base64url').toString(), '{"typ":"JWT","alg":"HS256"}');
  assert.equal(Buffer.from(c ?? '', 'base64url').toString(), '{"exp":1795325103,"iss":"pushpin"}');
  assert.doesNotMatch(token, /[=+/]/, 'base64url without padding, as js-grip and jsonwebtoken produce');
  assert.equal(s, createHmac('sha256', 'changeme').update(`${h}.${c}`).digest('base64url'));
});

test('verifying the observed token', () => {
  const key = parseKeySpec('changeme');
  assert.deepEqual(verifyGripSig(OBSERVED, key, EXP - 10), { iss: 'pushpin', exp: EXP });
  assert.equal(verifyGripSig(OBSERVED, key, EXP), null, 'expired at exp');
  assert.equal(verifyGripSig(OBSERVED, parseKeySpec('other'), EXP - 10), null, 'wrong key');
  assert.equal(verifyGripSig(`${OBSERVED}x`, key, EXP - 10), null, 'bad signature');
  assert.equal(verifyGripSig('a.b', key, 0), null);
  assert.equal(verifyGripSig('not-a-token', key, 0), null);
});

test('tokens from other JWT libraries verify (claims order, extra claims)', () => {
  const h = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const c = Buffer.from('{"iss":"me","exp":2000000000,"iat":1}').toString('base64url');
  const s = createHmac('sha256', 'k').update(`${h}.${c}`).digest('base64url');
  assert.deepEqual(verifyGripSig(`${h}.${c}.${s}`, parseKeySpec('k'), 1), { iss: 'me', exp: 2000000000 });
  const noExp = Buffer.from('{"iss":"me"}').toString('base64url');
  const s2 = createHmac('sha256', 'k').update(`${h}.${noExp}`).digest('base64url');
  assert.equal(verifyGripSig(`${h}.${noExp}.${s2}`, parseKeySpec('k'), 1), null, 'exp is required');
});

test('base64: key specs', () => {
  const key = parseKeySpec(`base64:${Buffer.from('changeme').toString('base64')}`);
  assert.deepEqual(key, { kind: 'hmac', secret: Buffer.from('changeme') });
  assert.equal(signGripSig({ iss: 'pushpin', key, nowSeconds: EXP - 3600 }), OBSERVED);
});

test('EC and RSA PEM keys sign ES256 / RS256 and verify with private or public PEM', () => {
  for (const [type, alg] of [['ec', 'ES256'], ['rsa', 'RS256']] as const) {
    const pair = type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const priv = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pub = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const key = parseKeySpec(priv);
    assert.equal(key.kind, type);
    const token = signGripSig({ iss: 'pushpin', key, nowSeconds: 100, ttlSeconds: 10 });
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).alg, alg);
    assert.deepEqual(verifyGripSig(token, key, 105), { iss: 'pushpin', exp: 110 });
    assert.deepEqual(verifyGripSig(token, parseKeySpec(pub), 105), { iss: 'pushpin', exp: 110 });
    assert.equal(verifyGripSig(token, parseKeySpec('changeme'), 105), null, 'algorithm must match the key');
  }
  assert.throws(() => parseKeySpec('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----'),
    (err: Error & { code?: string }) => err.code === 'PP_ERR_GRIP_SIG_KEY' && err.message.startsWith('cannot read PEM key'));
});
