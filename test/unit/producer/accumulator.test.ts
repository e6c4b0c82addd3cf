// Records checked at send() time, batched per partition by bytes, and the buffer bound that makes send() wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordAccumulator, type Delivery } from '../../../src/producer/accumulator.js';
import { prepareRecord, type ProducerRecord } from '../../../src/producer/record.js';
import { TimeoutError } from '../../../src/errors.js';
import { decodeRecordSet, encodeRecordBatch } from '../../../src/protocol/records/index.js';

const NOW = 1_700_000_000_000;

function deliveries(): { delivery: Delivery; outcomes: Array<{ ok: boolean; value: unknown }> } {
  const outcomes: Array<{ ok: boolean; value: unknown }> = [];
  return { delivery: { resolve: (v) => outcomes.push({ ok: true, value: v }), reject: (e) => outcomes.push({ ok: false, value: e }) }, outcomes };
}

test('prepareRecord resolves strings, bytes, null and headers (array or object), keeps a given timestamp', () => {
  const r = prepareRecord({ topic: 't', key: 'k', value: new Uint8Array([1, 2, 3]), headers: [{ key: 'a', value: 'x' }, { key: 'a', value: null }], timestamp: new Date(5000) }, 'send()', NOW);
  assert.equal(r.topic, 't');
  assert.equal(r.partition, undefined);
  assert.deepEqual(r.prepared.key, Buffer.from('k'));
  assert.deepEqual(r.prepared.value, Buffer.from([1, 2, 3]));
  assert.deepEqual(r.prepared.headers, [{ key: 'a', value: Buffer.from('x') }, { key: 'a', value: null }]);
  assert.equal(r.prepared.timestamp, 5000);
  const o = prepareRecord({ topic: 't', value: null, headers: { h1: 'v1', h2: Buffer.from('v2') } }, 'send()', NOW);
  assert.equal(o.prepared.key, null);
  assert.equal(o.prepared.value, null);
  assert.equal(o.prepared.timestamp, NOW, 'default timestamp: when send() was called');
  assert.deepEqual(o.prepared.headers.map((h) => h.key), ['h1', 'h2']);
});

test('prepareRecord: the size estimate is never below the encoded size of the record', () => {
  const records: ProducerRecord[] = [
    { topic: 't', value: 'v' },
    { topic: 't', key: 'x'.repeat(300), value: 'y'.repeat(70_000), headers: { ['h'.repeat(200)]: 'z'.repeat(200) } },
    { topic: 't', key: null, value: null, headers: [] },
  ];
  for (const rec of records) {
    const { prepared, size } = prepareRecord(rec, 'send()', NOW);
    const alone = encodeRecordBatch({ records: [prepared] }).length - 61;
    assert.ok(size >= alone, `estimate ${size} >= encoded ${alone}`);
    assert.ok(size <= alone + 16, `estimate ${size} close to encoded ${alone}`);
  }
});

test('prepareRecord refuses malformed records with a TypeError naming the field', () => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /expected a record/],
    [{ value: 'v' }, /topic must be a non-empty string/],
    [{ topic: '', value: 'v' }, /topic must be a non-empty string/],
    [{ topic: 't' }, /has no value/],
    [{ topic: 't', value: 42 }, /value must be a Buffer/],
    [{ topic: 't', value: 'v', key: { a: 1 } }, /key must be a Buffer/],
    [{ topic: 't', value: 'v', partition: -1 }, /partition of topic 't' must be an integer >= 0/],
    [{ topic: 't', value: 'v', partition: 1.5 }, /partition/],
    [{ topic: 't', value: 'v', timestamp: -5 }, /timestamp must be/],
    [{ topic: 't', value: 'v', timestamp: new Date(NaN) }, /timestamp must be/],
    [{ topic: 't', value: 'v', headers: [{ key: 1, value: 'x' }] }, /header key must be a string/],
    [{ topic: 't', value: 'v', headers: { h: 7 } }, /header 'h' must be a Buffer/],
    [{ topic: 't', value: 'v', headers: 'h=1' }, /headers must be/],
  ];
  for (const [record, message] of bad) {
    assert.throws(() => prepareRecord(record as ProducerRecord, 'send()', NOW), (e: unknown) => e instanceof TypeError && message.test(e.message), JSON.stringify(record));
  }
});

test('batches fill up to batch.size per partition; a bigger record gets a batch of its own', () => {
  const rec = (n: number) => prepareRecord({ topic: 't', value: 'x'.repeat(n) }, 'send()', NOW);
  const a = rec(50);
  // Room for the 61-byte batch header and two such records, not three.
  const acc = new RecordAccumulator({ batchSize: 61 + 2 * a.size + 1, deliveryTimeoutMs: 1000 });
  const { delivery } = deliveries();
  const first = acc.append('t', 0, a.prepared, a.size, delivery, NOW);
  assert.equal(first.full, false);
  const second = acc.append('t', 0, a.prepared, a.size, delivery, NOW);
  assert.equal(second.batch, first.batch, 'the second record shares the batch');
  const third = acc.append('t', 0, a.prepared, a.size, delivery, NOW);
  assert.notEqual(third.batch, first.batch, 'a third would pass batch.size: new batch');
  assert.equal(first.batch.full, true);
  const big = rec(5 * a.size);
  const alone = acc.append('t', 0, big.prepared, big.size, delivery, NOW);
  assert.notEqual(alone.batch, third.batch);
  assert.equal(alone.full, true, 'a record above batch.size fills its batch by itself');
  assert.equal(alone.batch.records.length, 1);
  const other = acc.append('t', 1, a.prepared, a.size, delivery, NOW);
  assert.notEqual(other.batch, first.batch, 'partitions never share batches');
  assert.equal(acc.queues.size, 2);
  assert.equal(acc.pendingBatches, 4);
});

test('complete() gives each record its offset; fail() rejects every send of the batch', () => {
  const acc = new RecordAccumulator({ batchSize: 16384, deliveryTimeoutMs: 1000 });
  const { delivery, outcomes } = deliveries();
  for (let i = 0; i < 3; i++) {
    const r = prepareRecord({ topic: 't', value: `v${i}`, timestamp: 100 + i }, 'send()', NOW);
    acc.append('t', 2, r.prepared, r.size, delivery, NOW);
  }
  const [batch] = acc.allBatches();
  batch.complete(40n, -1n);
  assert.deepEqual(outcomes.map((o) => o.value), [
    { topic: 't', partition: 2, offset: 40n, timestamp: 100 },
    { topic: 't', partition: 2, offset: 41n, timestamp: 101 },
    { topic: 't', partition: 2, offset: 42n, timestamp: 102 },
  ]);
  // LogAppendTime replaces the timestamps; a second settle is ignored.
  batch.complete(0n, 999n);
  assert.equal(outcomes.length, 3);

  const second = deliveries();
  const r = prepareRecord({ topic: 't', value: 'x' }, 'send()', NOW);
  acc.append('t', 3, r.prepared, r.size, second.delivery, NOW);
  const failed = acc.allBatches().find((b) => b.partition === 3)!;
  failed.fail(new Error('boom'));
  assert.equal(second.outcomes[0].ok, false);
  assert.equal((second.outcomes[0].value as Error).message, 'boom');
});

test('the encoded batch of the accumulated records decodes to the same records', () => {
  const acc = new RecordAccumulator({ batchSize: 16384, deliveryTimeoutMs: 1000 });
  const { delivery } = deliveries();
  const input: ProducerRecord[] = [
    { topic: 't', key: 'k1', value: 'v1', headers: { h: 'x' }, timestamp: 10 },
    { topic: 't', key: null, value: null, timestamp: 20 },
  ];
  for (const rec of input) {
    const p = prepareRecord(rec, 'send()', NOW);
    acc.append('t', 0, p.prepared, p.size, delivery, NOW);
  }
  const [batch] = acc.allBatches();
  const decoded = decodeRecordSet(encodeRecordBatch({ records: batch.records, compression: 'gzip', producerId: 7n, producerEpoch: 1, baseSequence: 3 }));
  const b = decoded.batches[0];
  assert.equal(b.producerId, 7n);
  assert.equal(b.baseSequence, 3);
  assert.deepEqual(b.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, Number(r.timestamp)]), [['k1', 'v1', 10], [null, null, 20]]);
  assert.equal(b.records[0].headers[0].key, 'h');
});

test('the buffer bound: send() waits for room, gets it when a batch is removed, times out otherwise', async () => {
  const acc = new RecordAccumulator({ batchSize: 100, deliveryTimeoutMs: 200, bufferMemory: 300 });
  const { delivery } = deliveries();
  assert.equal(acc.tryReserve(250), true);
  const r = prepareRecord({ topic: 't', value: 'x'.repeat(230) }, 'send()', NOW);
  acc.append('t', 0, r.prepared, 250, delivery, NOW);
  assert.equal(acc.tryReserve(100), false, '250 + 100 > 300');
  const waiting = acc.reserve(100);
  const [batch] = acc.allBatches();
  batch.complete(0n, -1n);
  acc.remove(batch);
  await waiting;
  assert.equal(acc.bufferedBytes, 100);
  // Nothing frees room now: the next wait ends with a TimeoutError after delivery.timeout.ms.
  assert.equal(acc.tryReserve(250), false);
  // The wait's timer does not hold the process open by itself (a producer's sockets do); this one does.
  const keepAlive = setTimeout(() => undefined, 5000);
  await assert.rejects(acc.reserve(250), TimeoutError);
  clearTimeout(keepAlive);
  // A record bigger than the whole buffer is let through once the buffer is empty.
  acc.unreserve(100);
  assert.equal(acc.tryReserve(1000), true);
});

test('failUnsent fails every batch except the one in flight', () => {
  const acc = new RecordAccumulator({ batchSize: 50, deliveryTimeoutMs: 1000 });
  const { delivery, outcomes } = deliveries();
  for (let i = 0; i < 3; i++) {
    const r = prepareRecord({ topic: 't', value: 'x'.repeat(40) }, 'send()', NOW);
    acc.append('t', 0, r.prepared, r.size, delivery, NOW);
  }
  const q = [...acc.queues.values()][0];
  q.inFlight = q.batches[0];
  assert.equal(acc.failUnsent(new Error('aborted')), 2);
  assert.equal(outcomes.length, 2);
  assert.equal(acc.pendingBatches, 1);
});
