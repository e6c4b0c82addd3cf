// consumer.run() against the real broker: per-key order under concurrency, one in flight per partition, retries that
// never commit a failing record, the stop policy, eachBatch with resolveOffset, and the calls refused while it runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandlerError, StateError, type Message } from '../../../src/index.js';
import { decodeCompleted } from '../../../src/consumer/runner/metadata.js';
import { committedOf, makeTopic, produceRecords, runnerConsumer, sleep, uniqueName, until, type KeyedRecord } from './support.js';

/** `perKey` records for each of `keys` keys, spread over partitions; value = the record's sequence within its key. */
function keyed(keys: number, perKey: number, partitions: number): KeyedRecord[] {
  const out: KeyedRecord[] = [];
  for (let s = 0; s < perKey; s++) {
    for (let k = 0; k < keys; k++) out.push({ partition: k % partitions, key: `k${k}`, value: String(s) });
  }
  return out;
}

test("ordering 'key': same key strictly in offset order, different keys concurrently within one partition; everything committed", { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-key', 2);
  const records = keyed(40, 25, 2);
  // Some records without a key: one key of their own per partition.
  for (let i = 0; i < 20; i++) records.push({ partition: i % 2, key: null, value: String(i >> 1) });
  await produceRecords(topic, records);
  const group = uniqueName('run-key');
  const consumer = await runnerConsumer({ 'group.id': group, 'auto.commit.interval.ms': 200 });
  consumer.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
  const stop = new AbortController();
  const lastSeq = new Map<string, number>();
  const inFlightKeys = new Set<string>();
  const inFlightPerPartition = [0, 0];
  let maxPerPartition = 0;
  let handled = 0;
  const seen = new Set<string>();
  const summary = await consumer.run({
    ordering: 'key',
    concurrency: 16,
    signal: stop.signal,
    eachMessage: async (m: Message) => {
      const key = `${m.partition}/${m.keyString() ?? '<null>'}`;
      assert.ok(!inFlightKeys.has(key), `two records of ${key} in flight at once`);
      inFlightKeys.add(key);
      inFlightPerPartition[m.partition]++;
      maxPerPartition = Math.max(maxPerPartition, inFlightPerPartition[m.partition]);
      const s = Number(m.valueString());
      assert.equal(s, (lastSeq.get(key) ?? -1) + 1, `${key}: sequence ${s} after ${lastSeq.get(key)}`);
      lastSeq.set(key, s);
      await sleep(1 + (Number(m.offset) % 4));
      inFlightKeys.delete(key);
      inFlightPerPartition[m.partition]--;
      const id = `${m.partition}@${m.offset}`;
      assert.ok(!seen.has(id), `${id} handled twice`);
      seen.add(id);
      if (++handled === records.length) stop.abort();
    },
  });
  assert.equal(handled, records.length);
  assert.equal(summary.completed, records.length);
  assert.ok(maxPerPartition > 1, 'different keys of one partition ran concurrently');
  assert.equal(lastSeq.size, 40 + 2);
  await consumer.close();
  for (const p of [0, 1]) {
    const c = await committedOf(group, topic, p);
    assert.equal(c.offset, BigInt(records.filter((r) => r.partition === p).length), `partition ${p} committed to its end`);
    assert.equal(c.metadata, '', 'no completions beyond the committed offset remain');
  }
});

test("ordering 'partition': one record in flight per partition, offsets in order, partitions concurrently", { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-partition', 3);
  const records = keyed(30, 10, 3);
  await produceRecords(topic, records);
  const consumer = await runnerConsumer({ 'group.id': uniqueName('run-partition') });
  consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })));
  const stop = new AbortController();
  const inFlight = [0, 0, 0];
  const last = [-1n, -1n, -1n];
  let total = 0;
  let maxTotal = 0;
  let handled = 0;
  await consumer.run({
    ordering: 'partition',
    concurrency: 3,
    signal: stop.signal,
    eachMessage: async (m) => {
      assert.equal(inFlight[m.partition], 0, `two records of partition ${m.partition} in flight`);
      assert.ok(m.offset > last[m.partition], `partition ${m.partition}: ${m.offset} after ${last[m.partition]}`);
      last[m.partition] = m.offset;
      inFlight[m.partition]++;
      maxTotal = Math.max(maxTotal, ++total);
      await sleep(2);
      inFlight[m.partition]--;
      total--;
      if (++handled === records.length) stop.abort();
    },
  });
  assert.equal(handled, records.length);
  assert.ok(maxTotal > 1, 'partitions were handled concurrently');
  await consumer.close();
});

test('a throwing handler is retried with backoff while other keys go on, and is never committed while it fails', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-retry', 1);
  const records = keyed(10, 20, 1);
  await produceRecords(topic, records);
  const failing = 23n; // key k3, sequence 2
  const group = uniqueName('run-retry');
  const consumer = await runnerConsumer({ 'group.id': group, 'auto.commit.interval.ms': 100 });
  consumer.assign([{ topic, partition: 0 }]);
  const stop = new AbortController();
  let open = false;
  let attempts = 0;
  const done = new Set<bigint>();
  const failingKey = records[Number(failing)].key;
  const run = consumer.run({
    ordering: 'key',
    concurrency: 8,
    retry: { retries: Infinity, initialBackoffMs: 10, maxBackoffMs: 100 },
    signal: stop.signal,
    eachMessage: async (m, ctx) => {
      if (m.offset === failing) {
        attempts++;
        assert.equal(ctx.attempt, attempts);
        if (!open) throw new Error('downstream unavailable');
      }
      if (m.keyString() === failingKey && m.offset > failing) assert.ok(done.has(failing), 'a later record of the failing key overtook it');
      done.add(m.offset);
      if (done.size === records.length) stop.abort();
    },
  });
  // Every other key completes; the commit holds at the failing record, the completions after it are in the metadata.
  await until('the other keys to complete', () => done.size === records.length - 20 + 2);
  await until('a commit holding at the failing record', async () => {
    const c = await committedOf(group, topic, 0);
    return c.offset === failing && decodeCompleted(failing, c.metadata).length > 0;
  });
  const c = await committedOf(group, topic, 0);
  assert.equal(c.offset, failing, 'never committed past the failing record');
  const ranges = decodeCompleted(failing, c.metadata);
  assert.ok(ranges.every((r) => r.start > failing), 'the failing record is not among the completions');
  assert.ok(attempts >= 2, 'retried');
  open = true;
  const summary = await run;
  assert.ok(summary.retries >= 1);
  assert.equal(done.size, records.length);
  await consumer.close();
  assert.equal((await committedOf(group, topic, 0)).offset, BigInt(records.length));
});

test('stop policy: run() rejects with a HandlerError naming the record; the failed record is not committed', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-stop', 1);
  const records = keyed(5, 20, 1);
  await produceRecords(topic, records);
  const group = uniqueName('run-stop');
  const consumer = await runnerConsumer({ 'group.id': group });
  consumer.assign([{ topic, partition: 0 }]);
  const failing = 42n;
  const cause = new Error('poison record');
  let calls = 0;
  const err = await consumer.run({
    ordering: 'key',
    concurrency: 4,
    retry: false,
    eachMessage: async (m) => {
      if (m.offset === failing) {
        calls++;
        throw cause;
      }
      await sleep(1);
    },
  }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof HandlerError, `expected a HandlerError, got ${String(err)}`);
  assert.equal(err.code, 'ERR_HANDLER');
  assert.equal(err.topic, topic);
  assert.equal(err.partition, 0);
  assert.equal(err.offset, failing);
  assert.equal(err.attempts, 1);
  assert.equal(err.cause, cause);
  assert.equal(calls, 1);
  const c = await committedOf(group, topic, 0);
  assert.ok(c.offset !== null && c.offset <= failing, `committed ${c.offset} must not pass ${failing}`);
  assert.ok(!decodeCompleted(c.offset, c.metadata).some((r) => r.start <= failing && failing <= r.end), 'the failed record is not recorded as completed');
  // The consumer stays usable: after run() the position is back at the first record not completed.
  const m = await consumer.poll(30_000);
  assert.ok(m !== null && m.offset === c.offset, `poll after run() resumes at ${c.offset}, got ${m?.offset}`);
  await consumer.close();
});

test('eachBatch: batches of one partition in key order; resolveOffset keeps resolved records from being retried', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-batch', 1);
  const records = keyed(8, 25, 1);
  await produceRecords(topic, records);
  const group = uniqueName('run-batch');
  const consumer = await runnerConsumer({ 'group.id': group });
  consumer.assign([{ topic, partition: 0 }]);
  const stop = new AbortController();
  const handledCount = new Map<bigint, number>();
  const lastSeq = new Map<string, number>();
  let failedOnce = false;
  let sizes = 0;
  await consumer.run({
    ordering: 'key',
    concurrency: 2,
    batchSize: 30,
    retry: { retries: 3, initialBackoffMs: 10 },
    signal: stop.signal,
    eachBatch: async (batch, ctx) => {
      sizes++;
      assert.ok(batch.messages.length >= 1 && batch.messages.length <= 30);
      for (let i = 1; i < batch.messages.length; i++) assert.ok(batch.messages[i].offset > batch.messages[i - 1].offset, 'offset order within a batch');
      for (const [i, m] of batch.messages.entries()) {
        // Once, in the middle of a batch (after five resolved records when the batch is that long).
        if (!failedOnce && i === Math.min(5, batch.messages.length - 1)) {
          failedOnce = true;
          throw new Error('fails once in the middle of a batch');
        }
        const key = m.keyString()!;
        const s = Number(m.valueString());
        assert.equal(s, (lastSeq.get(key) ?? -1) + 1, `${key}: ${s} after ${lastSeq.get(key)}`);
        lastSeq.set(key, s);
        handledCount.set(m.offset, (handledCount.get(m.offset) ?? 0) + 1);
        ctx.resolveOffset(m);
      }
      await sleep(2);
      if (handledCount.size === records.length) stop.abort();
    },
  });
  assert.ok(failedOnce);
  assert.equal(handledCount.size, records.length);
  for (const [o, n] of handledCount) assert.equal(n, 1, `offset ${o} handled ${n} times`);
  assert.ok(sizes > 1);
  await consumer.close();
  assert.equal((await committedOf(group, topic, 0)).offset, BigInt(records.length));
});

test('wrong-state calls: run() twice, poll()/commit()/seek() during run(), run() beside an iteration, before assign', { timeout: 60_000 }, async () => {
  const topic = await makeTopic('run-state', 1);
  await produceRecords(topic, [{ partition: 0, key: 'a', value: '0' }]);
  const consumer = await runnerConsumer({ 'group.id': uniqueName('run-state') });
  await assert.rejects(consumer.run({ eachMessage: () => {} }), StateError);
  consumer.assign([{ topic, partition: 0 }]);
  await assert.rejects(consumer.run({ eachMessage: () => {}, eachBatch: () => {} } as never), TypeError);
  await assert.rejects(consumer.run({ eachMessage: () => {}, ordering: 'keys' as never }), TypeError);
  await assert.rejects(consumer.run({ eachMessage: () => {}, concurrency: 0 }), TypeError);
  const iterator = consumer[Symbol.asyncIterator]();
  await assert.rejects(consumer.run({ eachMessage: () => {} }), StateError);
  await iterator.return!();
  const stop = new AbortController();
  let got = 0;
  const run = consumer.run({ eachMessage: () => { got++; }, signal: stop.signal });
  await assert.rejects(consumer.run({ eachMessage: () => {} }), StateError);
  await assert.rejects(consumer.poll(10), StateError);
  await assert.rejects(consumer.pollBatch(10), StateError);
  await assert.rejects(consumer.commit(), StateError);
  assert.throws(() => consumer.seek({ topic, partition: 0 }, 0), StateError);
  assert.throws(() => consumer.assign([{ topic, partition: 0 }]), StateError);
  await assert.rejects(consumer.unsubscribe(), StateError);
  await until('the record to be handled', () => got === 1);
  stop.abort();
  await run;
  // After run() settled the consumer reads normally again (nothing left to read here).
  assert.equal(await consumer.poll(10), null);
  await consumer.close();
});

test('close() during run() drains handlers, commits their completions and settles run()', { timeout: 60_000 }, async () => {
  const topic = await makeTopic('run-close', 1);
  const records = keyed(20, 5, 1);
  await produceRecords(topic, records);
  const group = uniqueName('run-close');
  const consumer = await runnerConsumer({ 'group.id': group });
  consumer.assign([{ topic, partition: 0 }]);
  let started = 0;
  let finished = 0;
  const run = consumer.run({
    ordering: 'key',
    concurrency: 10,
    eachMessage: async () => {
      started++;
      await sleep(200);
      finished++;
    },
  });
  await until('handlers in flight', () => started >= 10);
  await consumer.close();
  await run;
  assert.equal(started, finished, 'every handler started finished before close() resolved');
  const c = await committedOf(group, topic, 0);
  const ranges = decodeCompleted(c.offset!, c.metadata);
  const completed = Number(c.offset) + ranges.reduce((n, r) => n + Number(r.end - r.start) + 1, 0);
  assert.equal(completed, finished, 'what finished is exactly what is committed (prefix + metadata)');
});

test('completions that do not fit in metadataMaxBytes pause fetching the partition until the gap closes', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-metadata-limit', 1);
  // Two keys alternating: while the first record of key "a" is held, every "b" completes and the completions beyond
  // the gap are one range per "b" record.
  const records: KeyedRecord[] = [];
  for (let i = 0; i < 400; i++) records.push({ partition: 0, key: i % 2 === 0 ? 'a' : 'b', value: String(i >> 1) });
  await produceRecords(topic, records);
  const group = uniqueName('run-metadata-limit');
  const consumer = await runnerConsumer({ 'group.id': group, 'auto.commit.interval.ms': 100 });
  consumer.assign([{ topic, partition: 0 }]);
  const stop = new AbortController();
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const done = new Set<bigint>();
  const run = consumer.run({
    ordering: 'key',
    concurrency: 4,
    metadataMaxBytes: 24,
    signal: stop.signal,
    eachMessage: async (m) => {
      if (m.offset === 0n) await held;
      done.add(m.offset);
      if (done.size === records.length) stop.abort();
    },
  });
  await until('the partition to be paused for its metadata', () => consumer.paused().length === 1);
  await until('a commit at the gap', async () => (await committedOf(group, topic, 0)).offset === 0n);
  const c = await committedOf(group, topic, 0);
  assert.ok(c.metadata !== null && c.metadata.length <= 24, `metadata ${JSON.stringify(c.metadata)} over the limit`);
  assert.ok(decodeCompleted(0n, c.metadata).length >= 1, 'the completions that fit are kept');
  release();
  await run;
  assert.equal(done.size, records.length);
  assert.deepEqual(consumer.paused(), [], 'resumed once the gap closed');
  await consumer.close();
  assert.equal((await committedOf(group, topic, 0)).offset, BigInt(records.length));
});
