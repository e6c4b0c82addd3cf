import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelay } from '../../../src/network/backoff.js';

const opts = { initialMs: 50, maxMs: 1000 };

test('delays double from reconnect.backoff.ms up to reconnect.backoff.max.ms (without jitter)', () => {
  const mid = () => 0.5; // jitter factor exactly 1
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoffDelay(n, opts, mid)),
    [50, 100, 200, 400, 800, 1000, 1000, 1000],
  );
});

test('jitter stays within +-20% of the exponential delay', () => {
  assert.equal(backoffDelay(3, opts, () => 0), 160);
  assert.equal(backoffDelay(3, opts, () => 0.999999), 240);
  for (let i = 0; i < 1000; i++) {
    const d = backoffDelay(10, opts);
    assert.ok(d >= 800 && d <= 1200, `delay ${d}`);
  }
});

test('no failures means no delay; a zero max disables backoff', () => {
  assert.equal(backoffDelay(0, opts), 0);
  assert.equal(backoffDelay(5, { initialMs: 0, maxMs: 0 }), 0);
});

test('Backoff tracks consecutive failures and resets on success', () => {
  let now = 1000;
  const b = new Backoff(opts, () => now, () => 0.5);
  assert.equal(b.remainingMs(), 0);
  assert.equal(b.fail(), 50);
  assert.equal(b.remainingMs(), 50);
  now += 30;
  assert.equal(b.remainingMs(), 20);
  assert.equal(b.fail(), 100);
  assert.equal(b.consecutiveFailures, 2);
  b.succeed();
  assert.equal(b.consecutiveFailures, 0);
  assert.equal(b.remainingMs(), 0);
});
