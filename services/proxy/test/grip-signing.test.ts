import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseKeySpec, signGripSig, verifyGripSig } from '@pushpin-ts/grip';
import { GripSigner, RequestBody } from '../src/index.js';
import { quiet } from './helpers.js';

const log = { ...quiet, child: () => log };

test('signs with global settings, route overrides, and not at all without a key', () => {
  const s = new GripSigner('pushpin', 'k1', '', log);
  const now = 1_700_000_000;
  const t = s.tokenFor({}, now)!;
  assert.deepEqual(verifyGripSig(t, parseKeySpec('k1'), now), { iss: 'pushpin', exp: now + 3600 });
  const r = s.tokenFor({ sigIss: 'route', sigKey: 'base64:' + Buffer.from('k2').toString('base64') }, now)!;
  assert.deepEqual(verifyGripSig(r, parseKeySpec('k2'), now), { iss: 'route', exp: now + 3600 });
  assert.equal(new GripSigner('pushpin', '', '', log).tokenFor({}), undefined);
});

test('a token is reused within its second only, per issuer and key', () => {
  const s = new GripSigner('pushpin', 'k1', '', log);
  const now = 1_700_000_000;
  const t = s.tokenFor({}, now)!;
  assert.equal(s.tokenFor({}, now + 0.9), t);
  const later = s.tokenFor({}, now + 1)!;
  assert.deepEqual(verifyGripSig(later, parseKeySpec('k1'), now), { iss: 'pushpin', exp: now + 3601 });
  const other = s.tokenFor({ sigIss: 'route' }, now + 1)!;
  assert.deepEqual(verifyGripSig(other, parseKeySpec('k1'), now), { iss: 'route', exp: now + 3601 });
});

test('file: keys are read', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ppx-key-'));
  writeFileSync(path.join(dir, 'key'), 'filekey\n');
  const s = new GripSigner('pushpin', `file:${path.join(dir, 'key')}`, '', log);
  assert.ok(verifyGripSig(s.tokenFor({})!, parseKeySpec('filekey'), Date.now() / 1000));
  assert.equal(new GripSigner('pushpin', `file:${path.join(dir, 'missing')}`, '', log).tokenFor({}), undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('trusted only with a valid, unexpired upstream Grip-Sig', () => {
  const s = new GripSigner('pushpin', 'k1', 'up', log);
  const now = Date.now() / 1000;
  const good = signGripSig({ iss: 'x', key: parseKeySpec('up'), nowSeconds: now });
  const expired = signGripSig({ iss: 'x', key: parseKeySpec('up'), nowSeconds: now - 7200 });
  const wrong = signGripSig({ iss: 'x', key: parseKeySpec('other'), nowSeconds: now });
  assert.equal(s.isTrusted([['grip-sig', good]]), true);
  assert.equal(s.isTrusted([['Grip-Sig', expired]]), false);
  assert.equal(s.isTrusted([['Grip-Sig', wrong]]), false);
  assert.equal(s.isTrusted([]), false);
  assert.equal(new GripSigner('pushpin', 'k1', '', log).isTrusted([['Grip-Sig', good]]), false);
});

test('request body keeps a copy up to the limit', () => {
  const b = new RequestBody(10);
  b.add(Buffer.from('abcd'), true);
  b.add(Buffer.from('efgh'), true);
  assert.equal(b.copy().toString(), 'abcdefgh');
  assert.equal(b.done, false);
  b.add(Buffer.from('ijk'), false);
  assert.deepEqual([b.total, b.overflow, b.done], [11, true, true]);
});
