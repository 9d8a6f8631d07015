import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCodes, ProxyArgsError, ProxyRequestError } from '../src/index.js';

test('every error class has a registered code equal to its key', () => {
  for (const [key, code] of Object.entries(errorCodes)) assert.equal(key, code);
  for (const e of [new ProxyArgsError(), new ProxyRequestError()]) {
    assert.ok(Object.values(errorCodes).includes(e.code as keyof typeof errorCodes), e.code);
    assert.ok(e.message.length > 0);
    assert.notEqual(e.name, 'Error');
  }
});
