import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeaderValues, getParam, parseHeaderParamList, parseHeaderParams, splitHeaderList } from '../src/index.js';

test('splitHeaderList splits on unquoted commas and trims', () => {
  const cases: Array<[string[], string[]]> = [
    [['a'], ['a']],
    [['a, b', 'c'], ['a', 'b', 'c']],
    [['  a  ,b  '], ['a', 'b']],
    [['a; x="1,2", b'], ['a; x="1,2"', 'b']],
    [['a; x="q\\",x", b'], ['a; x="q\\",x"', 'b']],
    [['a,,b'], ['a', '', 'b']],
    [[',a'], ['', 'a']],
    [['a,'], ['a']],
    [[''], []],
    [['a, b; x="open'], ['a', 'b; x="open']],
  ];
  for (const [input, expected] of cases) assert.deepEqual(splitHeaderList(input), expected, JSON.stringify(input));
});

test('parseHeaderParams parses first segment and parameters', () => {
  const cases: Array<[string, ReturnType<typeof parseHeaderParams>]> = [
    ['apple', { value: 'apple', params: [] }],
    ['apple; prev-id=item1; filter=f1', { value: 'apple', params: [['prev-id', 'item1'], ['filter', 'f1']] }],
    ['cherry; filter=f1; filter=f2', { value: 'cherry', params: [['filter', 'f1'], ['filter', 'f2']] }],
    ['x; a="q;u\\"o" ignored; b = 2 ', { value: 'x', params: [['a', 'q;u"o'], ['b', '2']] }],
    ['x; flag; c=', { value: 'x', params: [['flag', ''], ['c', '']] }],
    ['x;', { value: 'x', params: [] }],
    ['</a?b=1>; rel=next', { value: '</a?b=1>', params: [['rel', 'next']] }],
    ['"a;b"; c=1', { value: '"a', params: [['b"', ''], ['c', '1']] }],
    ['x; a="open', null],
    ['x; a="esc\\', null],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseHeaderParams(input), expected, input);
});

test('parseHeaderParamList parses the first segment as name=value', () => {
  assert.deepEqual(parseHeaderParamList('user="alice"'), [['user', 'alice']]);
  assert.deepEqual(parseHeaderParamList('id_format="%(test)s"; x=1'), [['id_format', '%(test)s'], ['x', '1']]);
  assert.deepEqual(parseHeaderParamList(''), []);
  assert.equal(parseHeaderParamList('a="b'), null);
});

test('getHeaderValues and getParam are case-insensitive', () => {
  const h: Array<[string, string]> = [['grip-channel', 'a'], ['X', 'y'], ['GRIP-CHANNEL', 'b']];
  assert.deepEqual(getHeaderValues(h, 'Grip-Channel'), ['a', 'b']);
  assert.deepEqual(getHeaderValues(h, 'none'), []);
  assert.equal(getParam([['Rel', 'next']], 'rel'), 'next');
  assert.equal(getParam([['rel', 'next']], 'timeout'), undefined);
});
