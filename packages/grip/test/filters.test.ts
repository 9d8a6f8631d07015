import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyContentFilters, applyDeliveryFilters, applyResponseFilters, contentFilterMismatch, type FilterContext,
} from '../src/index.js';
import { throwsCoded } from './helpers.js';

function ctx(p: Partial<FilterContext> = {}): FilterContext {
  return { subMeta: {}, pubMeta: {}, channels: new Set(['a']), prevIds: {}, ...p };
}

test('delivery filters', () => {
  const cases: Array<[string[], Partial<FilterContext>, 'send' | 'drop']> = [
    [['skip-self'], { subMeta: { user: 'alice' }, pubMeta: { sender: 'alice' } }, 'drop'],
    [['skip-self'], { subMeta: { user: 'alice' }, pubMeta: { sender: 'bob' } }, 'send'],
    [['skip-self'], { subMeta: { user: '' }, pubMeta: { sender: '' } }, 'send'],
    [['skip-users'], { subMeta: { user: 'bob' }, pubMeta: { skip_users: 'alice, bob ,' } }, 'drop'],
    [['skip-users'], { subMeta: { user: 'carol' }, pubMeta: { skip_users: 'alice,bob' } }, 'send'],
    [['require-sub'], { pubMeta: { require_sub: 'b' } }, 'drop'],
    [['require-sub'], { pubMeta: { require_sub: 'a' } }, 'send'],
    [['require-sub'], { pubMeta: {} }, 'send'],
    [['unknown', 'var-subst'], { subMeta: { user: 'x' }, pubMeta: { sender: 'x' } }, 'send'],
    [['skip-users', 'skip-self'], { subMeta: { user: 'x' }, pubMeta: { sender: 'x' } }, 'drop'],
  ];
  for (const [filters, c, expected] of cases) assert.equal(applyDeliveryFilters(filters, ctx(c)), expected, `${filters} ${JSON.stringify(c)}`);
});

test('var-subst and build-id content filters', () => {
  const sub = { user: 'alice', id_format: '%(a)s-x' };
  const cases: Array<[string[], string, Partial<FilterContext>, string]> = [
    [['var-subst'], 'hi %(user)s 100%%', { subMeta: sub }, 'hi alice 100%'],
    [['build-id'], 'id=%I lit=%(zz)I', { subMeta: sub, prevIds: { a: '7' } }, 'id=7-x lit=zz'],
    [['build-id'], 'id=%I', { subMeta: { ...sub, id_encoding: 'hex' }, prevIds: { a: '7' } }, 'id=372d78'],
    [['skip-self', 'var-subst', 'build-id'], '%(user)s', { subMeta: sub, prevIds: { a: '1' } }, 'alice'],
    [[], 'as-is %', {}, 'as-is %'],
  ];
  for (const [filters, input, c, expected] of cases) {
    assert.equal(applyContentFilters(filters, Buffer.from(input), ctx(c)).toString(), expected, input);
  }
  assert.equal(applyResponseFilters(['var-subst', 'build-id'], Buffer.from('%I %%'), ctx({ subMeta: sub, prevIds: { a: '9' } })).toString(), '9-x %');
});

test('content filter errors carry Pushpin\'s messages', () => {
  const cases: Array<[string[], string, Partial<FilterContext>, string]> = [
    [['var-subst'], 'x %(nope)s', {}, "No such variable 'nope' at position 9"],
    [['var-subst'], '%s', {}, "Directive 's' requires argument at position 1"],
    [['var-subst'], '%(a)d', { subMeta: { a: '1' } }, "Unknown directive 'd' at position 4"],
    [['var-subst'], 'abc%', {}, "Expected directive after '%' at position 3"],
    [['var-subst'], '%!', {}, "Unknown directive '!' at position 1"],
    [['var-subst'], '%(abc', {}, 'Unterminated field starting at position 1'],
    [['build-id'], '%I', {}, "no sub meta 'id_format'"],
    [['build-id'], '%I', { subMeta: { id_format: '%(b)s' }, prevIds: { a: '1' } }, "failed to render ID: No such variable 'b' at position 4"],
    [['build-id'], '%I', { subMeta: { id_format: 'x', id_encoding: 'b64' } }, 'unsupported encoding: b64'],
    [['build-id'], '%I', { subMeta: { id_format: 'x' }, channels: new Set() }, 'No ID specified and no default ID in context at position 1'],
  ];
  for (const [filters, input, c, message] of cases) {
    throwsCoded(() => applyContentFilters(filters, Buffer.from(input), ctx(c)), 'PP_ERR_FILTER_FAILED', message);
  }
});

test('content-filters mismatch text', () => {
  assert.equal(contentFilterMismatch(['skip-self', 'build-id'], ['build-id']), undefined);
  assert.equal(contentFilterMismatch(['build-id'], undefined), undefined);
  assert.equal(contentFilterMismatch(['build-id', 'var-subst'], ['var-subst']), 'content filter mismatch: subscription=build-id,var-subst message=var-subst');
});
