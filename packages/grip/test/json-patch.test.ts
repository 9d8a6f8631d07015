import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBodyPatch, applyJsonPatch } from '../src/index.js';
import { throwsCoded, tmap } from './helpers.js';

test('RFC 6902 operations', () => {
  const cases: Array<[unknown, unknown[], unknown]> = [
    [{ a: 1 }, [{ op: 'add', path: '/b', value: 2 }], { a: 1, b: 2 }],
    [{ a: [1, 3] }, [{ op: 'add', path: '/a/1', value: 2 }], { a: [1, 2, 3] }],
    [{ a: [1] }, [{ op: 'add', path: '/a/-', value: 2 }], { a: [1, 2] }],
    [{ a: 1, b: 2 }, [{ op: 'remove', path: '/a' }], { b: 2 }],
    [{ a: [1, 2, 3] }, [{ op: 'remove', path: '/a/1' }], { a: [1, 3] }],
    [{ a: 1 }, [{ op: 'replace', path: '/a', value: { x: null } }], { a: { x: null } }],
    [{ a: { b: 1 }, c: {} }, [{ op: 'move', from: '/a/b', path: '/c/d' }], { a: {}, c: { d: 1 } }],
    [{ a: [1, 2] }, [{ op: 'copy', from: '/a', path: '/b' }], { a: [1, 2], b: [1, 2] }],
    [{ 'a/b': 1, 'c~d': 2 }, [{ op: 'test', path: '/a~1b', value: 1 }, { op: 'remove', path: '/c~0d' }], { 'a/b': 1 }],
    [{ a: 1 }, [{ op: 'replace', path: '', value: [1] }], [1]],
    [{ a: 1 }, [{ op: 'test', path: '/a', value: 1 }], { a: 1 }],
    [{ a: 1 }, [tmap({ op: 'add', path: '/s', value: 'bytes' })], { a: 1, s: 'bytes' }],
  ];
  for (const [doc, patch, expected] of cases) assert.deepEqual(applyJsonPatch(doc, patch), expected, JSON.stringify(patch));
});

test('patch failures', () => {
  const cases: Array<[unknown, unknown[], string]> = [
    [{}, ['x'], 'invalid op'],
    [{}, [{ path: '/a' }], "op does not contain 'op'"],
    [{}, [{ op: 'add' }], "op does not contain 'path'"],
    [{}, [{ op: 'add', path: '/a' }], "op does not contain 'value'"],
    [{}, [{ op: 'remove', path: '/a' }], 'location does not exist'],
    [{}, [{ op: 'replace', path: '/a', value: 1 }], 'location does not exist'],
    [{ a: 1 }, [{ op: 'test', path: '/a', value: 2 }], 'tested values are not equal'],
    [{ a: {} }, [{ op: 'move', from: '/a', path: '/a/b' }], 'cannot move location into itself'],
    [{}, [{ op: 'jump', path: '/a' }], 'unsupported op: jump'],
    [{ a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }], 'location does not exist'],
  ];
  for (const [doc, patch, message] of cases) throwsCoded(() => applyJsonPatch(doc, patch), 'PP_ERR_JSON_PATCH_FAILED', message);
  const doc = { a: 1 };
  applyJsonPatch(doc, [{ op: 'add', path: '/b', value: 1 }]);
  assert.deepEqual(doc, { a: 1 }, 'input is not modified');
});

test('body-patch keeps trailing newline, sorts keys, empties on failure', () => {
  const cases: Array<[string, unknown[], string]> = [
    ['{"b":1,"a":2}\n', [{ op: 'add', path: '/c', value: 3 }], '{"a":2,"b":1,"c":3}\n'],
    ['[1]\r\n', [{ op: 'add', path: '/-', value: 2 }], '[1,2]\r\n'],
    ['{"a":1}', [], '{"a":1}'],
    ['not json\n', [], ''],
    ['"scalar"', [], ''],
    ['{"a":1}\n', [{ op: 'remove', path: '/zz' }], ''],
  ];
  for (const [body, patch, expected] of cases) assert.equal(applyBodyPatch(Buffer.from(body), patch).toString(), expected, body);
});
