// The share consumer's fetch-ahead bound (prefetch.ts): records acquired ahead of the application never exceed what
// its measured pace takes within half a lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefetchBound } from '../../../src/consumer/share/prefetch.js';

const LOCK = 15_000;
const CAP = 1000;

test('before any pace is known the budget is what the application asked for at once, within the cap', () => {
  const b = new PrefetchBound();
  b.onAsk(500, 0);
  assert.equal(b.budget(LOCK, 0, CAP), 500);
  assert.equal(b.budget(LOCK, 0, 200), 200);
  b.onAsk(1, 10);
  assert.equal(b.budget(LOCK, 10, CAP), 1);
});

test('a fast application gets the cap; a slow one what it takes within half a lock', () => {
  const fast = new PrefetchBound();
  fast.onAsk(500, 0);
  fast.onHandedOut(500, 0);
  fast.onAsk(500, 50); // 500 records in 50 ms: 0.1 ms each
  assert.equal(fast.budget(LOCK, 50, CAP), CAP);

  const slow = new PrefetchBound();
  slow.onAsk(1, 0);
  slow.onHandedOut(1, 0);
  slow.onAsk(1, 100); // 100 ms per record: 7,500 ms / 100 ms
  assert.equal(slow.budget(LOCK, 100, CAP), 75);
  assert.equal(slow.measuredPaceMs, 100);
});

test('an absence going on shrinks the budget as it lasts (a stalled handler), to 1 at worst', () => {
  const b = new PrefetchBound();
  b.onAsk(100, 0);
  b.onHandedOut(100, 0);
  b.onAsk(100, 100); // 1 ms per record
  assert.equal(b.budget(LOCK, 100, CAP), CAP);
  b.onHandedOut(100, 100);
  // Away for 3 s with 100 records: 30 ms per record so far -> 250.
  assert.equal(b.budget(LOCK, 3_100, CAP), 250);
  // Away for a whole lock: 1.
  assert.equal(b.budget(LOCK, 15_100 + 100 * 7_500, CAP), 1);
  // The same holds before any pace was measured: never more than what was asked.
  const first = new PrefetchBound();
  first.onAsk(500, 0);
  first.onHandedOut(500, 0);
  assert.equal(first.budget(LOCK, 1, CAP), 500);
  assert.equal(first.budget(LOCK, 30_000, CAP), 125);
});

test('the pace rises at once and falls gradually', () => {
  const b = new PrefetchBound();
  b.onAsk(1, 0);
  b.onHandedOut(1, 0);
  b.onAsk(1, 1); // 1 ms
  b.onHandedOut(1, 1);
  b.onAsk(1, 101); // 100 ms: at once
  assert.equal(b.measuredPaceMs, 100);
  b.onHandedOut(1, 101);
  b.onAsk(1, 102); // 1 ms: 30 % of the way down
  assert.ok(Math.abs(b.measuredPaceMs! - 70.3) < 1e-9);
  // Waiting for records (asked, nothing handed out) is not a sample.
  b.onAsk(1, 10_000);
  assert.ok(Math.abs(b.measuredPaceMs! - 70.3) < 1e-9);
});
