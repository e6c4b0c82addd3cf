// Records written by gregor's producer, read back by Kafka's own Java console consumer: keys, values and headers
// identical, for every compression type. And what the broker stored, seen through a raw Fetch: one codec per
// partition as configured, idempotent batches (a producer id, sequences counting up from 0 with no gap).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { Producer, type ProducerRecord } from '../../../src/producer/index.js';
import { consoleConsume, ensureKafka, rawFetch, uniqueName } from './helpers.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 40;
const topic = uniqueName('producer-interop');
let bootstrap = '';
let admin: Admin;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: CODECS.length }]);
});
after(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
});

/** Records for one codec's partition: keyed, keyless, null values, repeated and null-valued headers, UTF-8. */
function recordsFor(codecIndex: number): ProducerRecord[] {
  const codec = CODECS[codecIndex];
  return Array.from({ length: PER_CODEC }, (_, i): ProducerRecord => ({
    topic,
    partition: codecIndex,
    key: i % 10 === 3 ? null : `${codec}-key-${i}`,
    value: i % 10 === 7 ? null : `${codec} value ${i} ${'ü€'.repeat(i % 4)} ${'x'.repeat(i * 13)}`,
    headers: i % 5 === 0 ? undefined : [{ key: 'codec', value: codec }, { key: 'i', value: String(i) }, { key: 'i', value: `again-${i}` }, ...(i % 3 === 0 ? [{ key: 'nothing', value: null }] : [])],
  }));
}

test('the Java console consumer reads back what gregor wrote with each codec: keys, values, headers, offsets', async () => {
  const sent: Array<{ partition: number; offset: bigint; record: ProducerRecord }> = [];
  for (let c = 0; c < CODECS.length; c++) {
    // linger.ms 50 and a small batch.size: several multi-record batches per codec.
    const producer = new Producer({ 'bootstrap.servers': bootstrap, 'compression.type': CODECS[c], 'linger.ms': 50, 'batch.size': 2048 });
    try {
      const records = recordsFor(c);
      const meta = await producer.sendBatch(records);
      meta.forEach((m, i) => {
        assert.equal(m.topic, topic);
        assert.equal(m.partition, c);
        sent.push({ partition: m.partition, offset: m.offset, record: records[i] });
      });
      assert.ok(producer.stats.batchesSent > 1, `${CODECS[c]}: several batches (${producer.stats.batchesSent})`);
    } finally {
      await producer.close();
    }
  }
  // Offsets: 0..n-1 in send order in each partition.
  for (let c = 0; c < CODECS.length; c++) {
    assert.deepEqual(sent.filter((s) => s.partition === c).map((s) => s.offset), Array.from({ length: PER_CODEC }, (_, i) => BigInt(i)));
  }

  const lines = await consoleConsume(topic, CODECS.length * PER_CODEC);
  const byPosition = new Map(lines.map((l) => [`${l.partition}/${l.offset}`, l]));
  for (const s of sent) {
    const line = byPosition.get(`${s.partition}/${s.offset}`);
    assert.ok(line, `the Java consumer saw ${s.partition}/${s.offset}`);
    const where = `${CODECS[s.partition]} record at offset ${s.offset}`;
    assert.equal(line.key, s.record.key ?? 'null', `${where}: key`);
    assert.equal(line.value, s.record.value ?? 'null', `${where}: value`);
    const headers = (s.record.headers as Array<{ key: string; value: string | null }> | undefined) ?? [];
    assert.deepEqual(line.headers, headers.map((h) => [h.key, h.value ?? 'null']), `${where}: headers`);
  }
});

test('the broker stored one codec per partition, in idempotent batches with gap-free sequences', async () => {
  for (let c = 0; c < CODECS.length; c++) {
    const { batches, errorCode } = await rawFetch(topic, c);
    assert.equal(errorCode, 0);
    assert.ok(batches.length > 1);
    let nextSequence = 0;
    let nextOffset = 0n;
    const producerIds = new Set<bigint>();
    for (const b of batches) {
      assert.equal(b.compression, CODECS[c], `partition ${c} batch at ${b.baseOffset}: codec`);
      assert.ok(b.producerId >= 0n, 'enable.idempotence is on by default: batches carry a producer id');
      assert.equal(b.isTransactional, false);
      assert.equal(b.baseSequence, nextSequence, `partition ${c} batch at ${b.baseOffset}: base sequence`);
      assert.equal(b.baseOffset, nextOffset);
      producerIds.add(b.producerId);
      nextSequence += b.count;
      nextOffset = b.nextOffset;
    }
    assert.equal(producerIds.size, 1, 'one producer id per producer');
    assert.equal(nextSequence, PER_CODEC);
  }
});

test('acks=1 and acks=0 write too; without idempotence batches carry no producer id', async () => {
  const t2 = uniqueName('producer-acks');
  await admin.createTopics([{ topic: t2, numPartitions: 2 }]);
  try {
    const one = new Producer({ 'bootstrap.servers': bootstrap, acks: '1' });
    const zero = new Producer({ 'bootstrap.servers': bootstrap, acks: '0' });
    try {
      const m1 = await one.sendBatch([{ topic: t2, partition: 0, value: 'a' }, { topic: t2, partition: 0, value: 'b' }]);
      assert.deepEqual(m1.map((m) => m.offset), [0n, 1n]);
      const m0 = await zero.send({ topic: t2, partition: 1, value: 'c' });
      assert.equal(m0.offset, -1n, 'acks=0: the broker does not answer, the offset is unknown');
      await zero.flush();
    } finally {
      await one.close();
      await zero.close();
    }
    const p0 = await rawFetch(t2, 0);
    assert.equal(p0.batches[0].producerId, -1n, 'acks=1 turns idempotence off (as in the Java client)');
    // acks=0 was only written to the socket: wait for the broker to have it (bounded).
    let p1 = await rawFetch(t2, 1);
    for (let i = 0; i < 50 && p1.batches.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      p1 = await rawFetch(t2, 1);
    }
    assert.deepEqual(p1.batches.flatMap((b) => b.records.map((r) => r.value?.toString())), ['c']);
  } finally {
    await admin.deleteTopics([t2]).catch(() => undefined);
  }
});
