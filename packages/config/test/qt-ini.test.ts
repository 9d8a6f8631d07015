import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeQtValue, qtBool, qtInt, tokenizeIni } from '../src/index.js';
import type { QtValue } from '../src/index.js';

const S = (value: string): QtValue => ({ list: false, value });
const L = (...values: string[]): QtValue => ({ list: true, values });

test('decodeQtValue follows QSettings value rules', () => {
  const cases: Array<[string, QtValue]> = [
    ['abc', S('abc')],
    ['', S('')],
    ['  padded  ', S('padded')],
    ['a,b,c', L('a', 'b', 'c')],
    ['a , b ,c ', L('a', 'b', 'c')],
    ['one', S('one')],
    ['"a,b"', S('a,b')],
    ['"  spaced  "', S('  spaced  ')],
    ['"a" , "b"', L('a', 'b')],
    ['"a"b', S('ab')],
    ['x"y,z"w', S('xy,zw')],
    ['"say \\"hi\\""', S('say "hi"')],
    ['back\\\\slash', S('back\\slash')],
    ['tab\\there', S('tab\there')],
    ['\\x41\\102', S('AB')],
    ['drop\\qped', S('dropped')],
    ['a,', L('a', '')],
    ['127.*,10.*,192.168.*,*.local', L('127.*', '10.*', '192.168.*', '*.local')],
    ['key#with#hash', S('key#with#hash')],
    ['a=b', S('a=b')],
    ['[x]', S('[x]')],
    ['@@at', S('@at')],
    ['true', S('true')],
  ];
  for (const [raw, want] of cases) assert.deepEqual(decodeQtValue(raw), want, `raw ${JSON.stringify(raw)}`);
});

test('tokenizeIni reads sections, keys and raw values', () => {
  const text = [
    '# comment = not a key',
    '; another comment',
    'top=1',
    '[global]',
    'include = {libdir}/internal.conf',
    '  rundir=run  ',
    '[proxy]',
    'sig_key=abc;trailing comment',
    'quoted="a;b"',
    'x_forwarded_for=truncate:0,append',
    'no equals line',
    '=novalue',
    'dup=1',
    'dup=2',
    'cont=a\\',
    '   b',
    '[General]',
    'g=1',
  ].join('\r\n');
  const got = tokenizeIni(text, 'f.conf').map((e) => [e.section, e.key, e.raw, e.line]);
  assert.deepEqual(got, [
    ['', 'top', '1', 3],
    ['global', 'include', '{libdir}/internal.conf', 5],
    ['global', 'rundir', 'run', 6],
    ['proxy', 'sig_key', 'abc', 8],
    ['proxy', 'quoted', '"a;b"', 9],
    ['proxy', 'x_forwarded_for', 'truncate:0,append', 10],
    ['proxy', 'dup', '1', 13],
    ['proxy', 'dup', '2', 14],
    ['proxy', 'cont', 'ab', 15],
    ['', 'g', '1', 18],
  ]);
});

test('qtBool: empty, 0 and false are false; anything else is true', () => {
  const cases: Array<[string, boolean]> = [
    ['true', true], ['1', true], ['yes', true], ['on', true], ['anything', true],
    ['', false], ['0', false], ['false', false], ['FALSE', false], [' False ', false],
  ];
  for (const [s, want] of cases) assert.equal(qtBool(s), want, s);
});

test('qtInt parses whole numbers and rejects the rest', () => {
  const cases: Array<[string, number, number | undefined]> = [
    ['42', 10, 42], ['-1', 10, -1], ['+7', 10, 7], [' 5 ', 10, 5],
    ['4x', 10, undefined], ['', 10, undefined], ['1.5', 10, undefined],
    ['777', 8, 0o777], ['0660', 8, 0o660], ['8', 8, undefined],
  ];
  for (const [s, base, want] of cases) assert.equal(qtInt(s, base), want, `${s} base ${base}`);
});
