import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../../../lab/server/history.js';

test('a history keeps its newest `limit` entries, oldest first, and counts every entry added', () => {
  const h = new History<number>(3);
  assert.deepEqual(h.kept(), []);
  for (let i = 1; i <= 2; i++) h.push(i);
  assert.deepEqual(h.kept(), [1, 2]);
  assert.equal(h.dropped, 0);
  // Past twice the limit, so that the trimming has run more than once, and between two trimmings.
  for (let i = 3; i <= 10; i++) h.push(i);
  assert.deepEqual(h.kept(), [8, 9, 10]);
  assert.equal(h.total, 10);
  assert.equal(h.dropped, 7);
  h.push(11);
  assert.deepEqual(h.kept(), [9, 10, 11]);
  assert.equal(h.dropped, 8);
});

test('a history holds at most twice its limit whatever is added, and its view is a copy', () => {
  const h = new History<object>(5);
  for (let i = 0; i < 1000; i++) {
    h.push({ i });
    assert.ok((h as unknown as { items: unknown[] }).items.length < 10, `${(h as unknown as { items: unknown[] }).items.length} held`);
  }
  const view = h.kept();
  view.length = 0;
  assert.equal(h.kept().length, 5);
});

test('a history limit must be an integer ≥ 1', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new History(bad), /limit must be an integer ≥ 1/);
});
