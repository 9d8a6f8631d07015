import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codes, ConnmgrError } from '../src/index.js';

test('every error class carries its registry code and a name', () => {
  for (const [code, Cls] of Object.entries(codes)) {
    const e = new Cls();
    assert.ok(e instanceof ConnmgrError);
    assert.equal(e.code, code);
    assert.equal(e.name, Cls.name);
    assert.ok(e.message.length > 0);
  }
});
