// The one retry policy of every client (src/cluster/retry.ts): what it retries, how long it waits, what it throws.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureStreak, backoff, sleep, withRetries } from '../../../src/cluster/retry.js';
import { AbortError, AuthenticationError, ConnectionError, TimeoutError } from '../../../src/errors.js';
import { ErrorCode, kafkaError } from '../../../src/protocol/index.js';

const policy = { retryBackoffMs: 5, retryBackoffMaxMs: 20 };

test('retriable errors are retried until success; onRetry hears each one with its attempt number', async () => {
  const heard: [string, number][] = [];
  const result = await withRetries(async (attempt) => {
    if (attempt < 3) throw new ConnectionError(`drop ${attempt}`, 'k:9092');
    return attempt;
  }, { ...policy, what: 'probe', deadline: Date.now() + 5000, onRetry: (err, attempt) => { heard.push([(err as Error).message, attempt]); } });
  assert.equal(result, 3);
  assert.deepEqual(heard, [['drop 1', 1], ['drop 2', 2]]);
});

test('a non-retriable error is thrown at once, unchanged', async () => {
  const refused = new AuthenticationError('wrong password');
  let attempts = 0;
  await assert.rejects(withRetries(async () => {
    attempts++;
    throw refused;
  }, { ...policy, what: 'login', deadline: Date.now() + 5000 }), (e: unknown) => e === refused);
  assert.equal(attempts, 1);
});

test('isRetriable overrides the default check', async () => {
  let attempts = 0;
  const err = kafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'OffsetCommit');
  assert.equal(err.retriable, true, 'retriable by default');
  await assert.rejects(withRetries(async () => {
    attempts++;
    throw err;
  }, { ...policy, what: 'commit', deadline: Date.now() + 5000, isRetriable: () => false }), (e: unknown) => e === err);
  assert.equal(attempts, 1);
});

test('the deadline: a TimeoutError naming the operation, the attempts and the last error, with it as cause', async () => {
  const last = new ConnectionError('connection refused', 'k:9092');
  await assert.rejects(withRetries(async () => {
    throw last;
  }, { retryBackoffMs: 50, retryBackoffMaxMs: 50, what: 'find the coordinator of group "g"', deadline: Date.now() + 10 }), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.equal(e.message, 'find the coordinator of group "g": gave up after 1 attempt: connection refused');
    assert.equal(e.cause, last);
    return true;
  });
});

test('CONCURRENT_TRANSACTIONS is retried after a short backoff (at most 20 ms), others after retry.backoff.ms', async () => {
  const slow = { retryBackoffMs: 1000, retryBackoffMaxMs: 1000 };
  const started = Date.now();
  let attempts = 0;
  await withRetries(async () => {
    if (++attempts === 1) throw kafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, 'EndTxn');
  }, { ...slow, what: 'EndTxn', deadline: Date.now() + 5000 });
  assert.ok(Date.now() - started < 500, `retried after ${Date.now() - started} ms`);
  // Any other retriable error waits retry.backoff.ms (+-20%): with a deadline closer than that, it gives up.
  await assert.rejects(withRetries(async () => {
    throw kafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'EndTxn');
  }, { ...slow, what: 'EndTxn', deadline: Date.now() + 500 }), TimeoutError);
});

test('an aborted signal stops the retries with AbortError', async () => {
  const controller = new AbortController();
  const run = withRetries(async () => {
    throw new ConnectionError('down', 'k:9092');
  }, { retryBackoffMs: 10_000, retryBackoffMaxMs: 10_000, what: 'probe', deadline: Date.now() + 60_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 10);
  await assert.rejects(run, AbortError);
});

test('sleep: resolves after its time (ref\'d on request), rejects with AbortError when the signal fires, with a gregor reason as is', async () => {
  const started = Date.now();
  await sleep(20, undefined, { ref: true }); // unref'd by default: alone, it would not keep this test's process alive
  assert.ok(Date.now() - started >= 15);
  const controller = new AbortController();
  const waiting = sleep(10_000, controller.signal);
  controller.abort();
  await assert.rejects(waiting, AbortError);
  const reason = new TimeoutError('deadline');
  await assert.rejects(sleep(10, AbortSignal.abort(reason)), (e: unknown) => e === reason);
});

test('backoff: exponential from the base, capped, +-20% jitter', () => {
  for (let i = 0; i < 200; i++) {
    const first = backoff(1, 100, 1000);
    assert.ok(first >= 80 && first <= 120, `attempt 1: ${first}`);
    const capped = backoff(10, 100, 1000);
    assert.ok(capped >= 800 && capped <= 1200, `attempt 10: ${capped}`);
  }
});

test('FailureStreak reports a streak once it has lasted its window, then once per window', () => {
  const streak = new FailureStreak(60_000);
  const now = Date.now();
  assert.equal(streak.fail(now), false, 'a fresh failure is not reported');
  assert.equal(streak.fail(now - 61_000), false, 'the streak started with the first failure');
  const old = new FailureStreak(1000);
  assert.equal(old.fail(now - 2000), true, 'a streak older than the window is reported');
  assert.equal(old.fail(), false, 'once per window');
  old.ok();
  assert.equal(old.fail(), false, 'success ends the streak');
});
