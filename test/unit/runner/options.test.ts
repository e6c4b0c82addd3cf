// run()'s option checks: defaults, and a TypeError naming the option for each kind of bad value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandlerError, resolveRunOptions } from '../../../src/consumer/runner/options.js';
import { isGregorError } from '../../../src/errors.js';

const handler = (): void => {};

test('defaults: partition order, one in flight, five retries, 4096-character metadata', () => {
  const o = resolveRunOptions({ eachMessage: handler }, 500);
  assert.equal(o.ordering, 'partition');
  assert.equal(o.concurrency, 1);
  assert.equal(o.retries, 5);
  assert.equal(o.initialBackoffMs, 100);
  assert.equal(o.maxBackoffMs, 10_000);
  assert.equal(o.metadataMaxBytes, 4096);
  assert.equal(o.maxBufferedRecords, 32);
  assert.equal(resolveRunOptions({ eachMessage: handler, ordering: 'none' }, 500).maxBufferedRecords, 32);
  assert.equal(resolveRunOptions({ eachMessage: handler, ordering: 'key' }, 500).maxBufferedRecords, 1000);
  assert.equal(resolveRunOptions({ eachMessage: handler, ordering: 'key', concurrency: 16 }, 500).maxBufferedRecords, 1000);
  assert.equal(resolveRunOptions({ eachMessage: handler, concurrency: 16 }, 500).maxBufferedRecords, 160);
  assert.equal(o.batchSize, 500);
  assert.equal(o.signal, null);
  assert.equal(resolveRunOptions({ eachMessage: handler, concurrency: 300 }, 500).maxBufferedRecords, 3000);
  assert.equal(resolveRunOptions({ eachBatch: handler, concurrency: 2, batchSize: 100 }, 500).maxBufferedRecords, 2000);
  assert.equal(resolveRunOptions({ eachMessage: handler, retry: false }, 500).retries, 0);
  assert.equal(resolveRunOptions({ eachMessage: handler, retry: { retries: Infinity } }, 500).retries, Infinity);
});

test('bad options are TypeErrors naming the option', () => {
  const cases: [unknown, RegExp][] = [
    [null, /options object/],
    [{}, /exactly one of eachMessage and eachBatch/],
    [{ eachMessage: handler, eachBatch: handler }, /exactly one/],
    [{ eachMessage: 'x' }, /eachMessage must be a function/],
    [{ eachMessage: handler, ordering: 'keys' }, /ordering must be/],
    [{ eachMessage: handler, concurrency: 0 }, /concurrency must be an integer >= 1/],
    [{ eachMessage: handler, concurrency: 1.5 }, /concurrency/],
    [{ eachMessage: handler, retry: 3 }, /retry must be an object/],
    [{ eachMessage: handler, retry: { retries: -1 } }, /retry.retries/],
    [{ eachMessage: handler, retry: { initialBackoffMs: 500, maxBackoffMs: 100 } }, /retry.maxBackoffMs/],
    [{ eachMessage: handler, metadataMaxBytes: 8 }, /metadataMaxBytes/],
    [{ eachMessage: handler, signal: {} }, /signal must be an AbortSignal/],
    [{ eachMessage: handler, concurency: 4 }, /unknown option "concurency"/],
  ];
  for (const [options, message] of cases) assert.throws(() => resolveRunOptions(options, 500), (e: unknown) => e instanceof TypeError && message.test(e.message), JSON.stringify(options));
});

test('HandlerError carries the record and its cause, and serialises without the cause', () => {
  const cause = new Error('boom');
  const e = new HandlerError('failed', { topic: 't', partition: 2, offset: 7n, attempts: 3 }, { cause });
  assert.ok(isGregorError(e));
  assert.equal(e.code, 'ERR_HANDLER');
  assert.equal(e.name, 'HandlerError');
  assert.equal(e.cause, cause);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { name: 'HandlerError', code: 'ERR_HANDLER', message: 'failed', retriable: false, topic: 't', partition: 2, offset: '7', attempts: 3 });
});
