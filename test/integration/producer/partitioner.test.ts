// gregor's key partitioner against the Java client's: the same keys, written by Kafka's console producer (default
// partitioner, parse.key=true) and by gregor's producer, land in the same partition, the one murmur2 predicts.
// Keyless records stick to one partition per batch (KIP-480) and still reach every partition over time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { Producer, partitionForKey } from '../../../src/producer/index.js';
import { produce } from '../helpers/kafka.js';
import { ensureKafka, rawFetch, uniqueName } from './helpers.js';

const PARTITIONS = 7;
const topic = uniqueName('producer-keys');
const keys = [
  ...Array.from({ length: 150 }, (_, i) => `key-${i}`),
  'a', 'ab', 'abc', 'abcd', 'ünïcödé', '€uro', 'with space', 'x'.repeat(300), '0',
];
let bootstrap = '';
let admin: Admin;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
});
after(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
});

test('each key lands where the Java producer puts it: same partition for gregor and for Kafka\'s console producer', async () => {
  await produce(topic, keys.map((key) => ({ key, value: 'java' })));
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  let placed: number[];
  try {
    placed = (await producer.sendBatch(keys.map((key) => ({ topic, key, value: 'gregor' })))).map((m) => m.partition);
  } finally {
    await producer.close();
  }
  const where = new Map<string, { java?: number; gregor?: number }>();
  for (let p = 0; p < PARTITIONS; p++) {
    for (const b of (await rawFetch(topic, p)).batches) {
      for (const r of b.records) {
        const key = r.key!.toString('utf8');
        const entry = where.get(key) ?? {};
        entry[r.value!.toString() as 'java' | 'gregor'] = p;
        where.set(key, entry);
      }
    }
  }
  const used = new Set<number>();
  keys.forEach((key, i) => {
    const w = where.get(key);
    assert.ok(w?.java !== undefined && w.gregor !== undefined, `both producers wrote ${JSON.stringify(key)}`);
    assert.equal(w.gregor, w.java, `${JSON.stringify(key)}: gregor's partition equals the Java producer's`);
    assert.equal(placed[i], w.java, `${JSON.stringify(key)}: send() reported the partition it wrote to`);
    assert.equal(partitionForKey(Buffer.from(key, 'utf8'), PARTITIONS), w.java, `${JSON.stringify(key)}: partitionForKey predicts it`);
    used.add(w.java);
  });
  assert.equal(used.size, PARTITIONS, 'the keys spread over every partition');
});

test('keyless records: sticky batches (KIP-480) that still reach every partition', async () => {
  const t2 = uniqueName('producer-sticky');
  await admin.createTopics([{ topic: t2, numPartitions: 4 }]);
  // batch.size 1 KiB: the sticky partition changes about every ten 100-byte records.
  const producer = new Producer({ 'bootstrap.servers': bootstrap, 'batch.size': 1024, 'linger.ms': 20 });
  try {
    const meta = await producer.sendBatch(Array.from({ length: 400 }, (_, i) => ({ topic: t2, value: `${i}`.padEnd(100, '.') })));
    const counts = new Array(4).fill(0);
    let switches = 0;
    meta.forEach((m, i) => {
      counts[m.partition] += 1;
      if (i > 0 && m.partition !== meta[i - 1].partition) switches += 1;
    });
    assert.ok(counts.every((c) => c > 0), `every partition got records: ${counts.join(',')}`);
    assert.ok(switches < 80, `records stick to a partition in runs (${switches} switches for 400 records)`);
    assert.ok(switches >= 10, `and move on after about batch.size bytes (${switches} switches)`);
  } finally {
    await producer.close();
    await admin.deleteTopics([t2]).catch(() => undefined);
  }
});
