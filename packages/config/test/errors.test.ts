import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigIncludeNotFoundError, ConfigInvalidError, ConfigNotFoundError, ConfigSetError, errorCodes } from '../src/index.js';

test('every registered code is keyed by itself', () => {
  for (const [key, code] of Object.entries(errorCodes)) assert.equal(key, code);
});

test('error classes have a name, a registered code, a default message and a location', () => {
  const cases: Array<[Error & { code: string }, string, string]> = [
    [new ConfigInvalidError(), 'ConfigInvalidError', 'PP_ERR_CONFIG_INVALID'],
    [new ConfigNotFoundError(), 'ConfigNotFoundError', 'PP_ERR_CONFIG_NOT_FOUND'],
    [new ConfigIncludeNotFoundError(), 'ConfigIncludeNotFoundError', 'PP_ERR_CONFIG_INCLUDE_NOT_FOUND'],
    [new ConfigSetError(), 'ConfigSetError', 'PP_ERR_CONFIG_SET'],
  ];
  for (const [err, name, code] of cases) {
    assert.equal(err.name, name);
    assert.equal(err.code, code);
    assert.ok(Object.hasOwn(errorCodes, code));
    assert.ok(err.message.length > 0);
  }
  assert.equal(new ConfigInvalidError('bad port', { file: 'a.conf', line: 3 }).message, 'a.conf:3: bad port');
});
