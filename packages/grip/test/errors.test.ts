import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grip from '../src/index.js';

test('every error code is registered under its own name and used by one class', () => {
  for (const [key, value] of Object.entries(grip.codes)) {
    assert.equal(key, value);
    assert.match(value, /^PP_ERR_[A-Z]+_[A-Z_]+$/);
  }
  const classes = [
    grip.GripInstructError, grip.GripSigKeyError, grip.PublishFormatError, grip.WsEventsError,
    grip.WsControlError, grip.JsonPatchError, grip.FilterError,
  ];
  const seen = new Set<string>();
  for (const C of classes) {
    const e = new C();
    assert.ok(e instanceof grip.GripError);
    assert.equal(e.name, C.name);
    assert.ok(e.message.length > 0, `${C.name} has a default message`);
    seen.add(e.code);
  }
  assert.deepEqual([...seen].sort(), Object.keys(grip.codes).sort());
});

test('statusReason uses Pushpin\'s table', () => {
  const cases: Array<[number, string]> = [
    [200, 'OK'], [202, 'Accepted'], [404, 'Not Found'], [502, 'Bad Gateway'], [413, 'Request Entity Too Large'],
    [418, 'Undefined Reason'], [0, 'Undefined Reason'],
  ];
  for (const [code, reason] of cases) assert.equal(grip.statusReason(code), reason);
});
