import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iniSection } from '../src/flat-ini.js';

test('iniSection reads [General] (any case) with the keys before the first header', () => {
  const m = iniSection('top=1\n[General]\nin_spec=ipc:///r/zurl-in\nallow=\ndeny=127.*,10.*\n; comment\n[other]\nx=2\n', 'general');
  assert.deepEqual([...m], [['top', '1'], ['in_spec', 'ipc:///r/zurl-in'], ['allow', ''], ['deny', '127.*,10.*']]);
});

test('iniSection gives booleans back as text and unwraps quotes', () => {
  const m = iniSection('[general]\nflag=true\nq="a b"\n', 'General');
  assert.equal(m.get('flag'), 'true');
  assert.equal(m.get('q'), 'a b');
});

test('iniSection of a missing section is empty', () => {
  assert.equal(iniSection('[a]\nk=v\n', 'b').size, 0);
});
