// raceAbort() and sleep(): the abortable waits every layer uses. A promise handed to raceAbort() may reject after its
// caller left (aborted): that rejection must never become an unhandled one (Node's default ends the process).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raceAbort, sleep } from '../../../src/network/abort.js';
import { AbortError, TimeoutError } from '../../../src/errors.js';
import { unhandledDuring } from '../../support/unhandled.js';

/** A promise that rejects with a TimeoutError when `fail()` is called, as a request whose timer fires. */
function pendingRequest(): { promise: Promise<never>; fail: () => void } {
  let fail!: () => void;
  const promise = new Promise<never>((_resolve, reject) => {
    fail = () => reject(new TimeoutError('request (api 18 v4) to 127.0.0.1:9092 timed out after 30000 ms (request.timeout.ms)'));
  });
  return { promise, fail };
}

test('raceAbort with a signal aborted already: the caller gets the AbortError at once; the promise failing later is handled', async () => {
  const unhandled = await unhandledDuring(async () => {
    const request = pendingRequest();
    const gone = new AbortController();
    gone.abort(new AbortError('the client was closed'));
    await assert.rejects(raceAbort(request.promise, gone.signal), (err: unknown) => err instanceof AbortError);
    request.fail();
  });
  assert.deepEqual(unhandled.map(String), []);
});

test('raceAbort aborted while waiting: the caller gets the AbortError; the promise failing later is handled', async () => {
  const unhandled = await unhandledDuring(async () => {
    const request = pendingRequest();
    const stop = new AbortController();
    const raced = raceAbort(request.promise, stop.signal);
    stop.abort();
    await assert.rejects(raced, (err: unknown) => err instanceof AbortError);
    request.fail();
  });
  assert.deepEqual(unhandled.map(String), []);
});

test('raceAbort passes the promise\'s own outcome through while not aborted', async () => {
  const request = pendingRequest();
  const raced = raceAbort(request.promise, new AbortController().signal);
  request.fail();
  await assert.rejects(raced, (err: unknown) => err instanceof TimeoutError);
  assert.equal(await raceAbort(Promise.resolve(7), new AbortController().signal), 7);
});

test('sleep rejects with the signal\'s gregor error, or an AbortError wrapping another reason', async () => {
  const a = new AbortController();
  const waiting = sleep(10_000, a.signal);
  a.abort(new AbortError('stop'));
  await assert.rejects(waiting, (err: unknown) => err instanceof AbortError && err.message === 'stop');
  const b = new AbortController();
  b.abort('why');
  await assert.rejects(sleep(1, b.signal), (err: unknown) => err instanceof AbortError && (err as Error).cause === 'why');
});
