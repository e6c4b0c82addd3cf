// Acceptance: 100,000 records over 6 partitions written by Kafka's Java producer are consumed by one gregor consumer
// exactly once each, in offset order within each partition, with keys, values and headers as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, endOffsets, partitionForKey, produce, uniqueName, type TestRecord } from '../helpers/kafka.js';
import { newConsumer } from './env.js';

const COUNT = 100_000;
const PARTITIONS = 6;

test('100,000 records over 6 partitions from the Java producer: each consumed once, in order, content intact', async () => {
  const topic = uniqueName('consume-all');
  await createTopic(topic, PARTITIONS);
  const records: TestRecord[] = [];
  for (let i = 0; i < COUNT; i++) {
    records.push({
      key: `key-${i}`,
      value: `value-${i}-${'x'.repeat(i % 50)}`,
      headers: i % 10 === 0 ? { seq: String(i), kind: 'tenth' } : undefined,
    });
  }
  await produce(topic, records, { compression: 'lz4', lingerMs: 20, batchSize: 65536 });
  const ends = await endOffsets(topic);
  assert.equal([...ends.values()].reduce((a, b) => a + b, 0n), BigInt(COUNT));

  // Expected order per partition: production order of the keys the partitioner sends there.
  const expected = new Map<number, number[]>();
  for (let i = 0; i < COUNT; i++) {
    const p = partitionForKey(`key-${i}`, PARTITIONS);
    let list = expected.get(p);
    if (list === undefined) expected.set(p, (list = []));
    list.push(i);
  }

  const fetchStats: Record<string, unknown>[] = [];
  const consumer = await newConsumer({
    'group.id': uniqueName('g'), 'auto.offset.reset': 'earliest',
    'gregor.log.level': 'debug',
    'gregor.logger': (_level: string, message: string, fields?: Record<string, unknown>) => {
      if (message === 'fetch requests' && fields !== undefined) fetchStats.push(fields);
    },
  });
  consumer.subscribe([topic]);
  const seen = new Uint8Array(COUNT);
  const next = new Map<number, number>(); // partition -> index into expected list
  let received = 0;
  try {
    for await (const m of consumer) {
      const i = Number(m.keyString()!.slice(4));
      assert.equal(seen[i], 0, `record ${i} delivered twice`);
      seen[i] = 1;
      const at = next.get(m.partition) ?? 0;
      assert.equal(i, expected.get(m.partition)![at], `partition ${m.partition}: out of order at position ${at}`);
      assert.equal(m.offset, BigInt(at), `partition ${m.partition}: offsets are contiguous from 0`);
      next.set(m.partition, at + 1);
      assert.equal(m.valueString(), `value-${i}-${'x'.repeat(i % 50)}`);
      if (i % 10 === 0) {
        assert.deepEqual(m.headers.map((h) => [h.key, h.value?.toString()]), [['seq', String(i)], ['kind', 'tenth']]);
      } else {
        assert.equal(m.headers.length, 0);
      }
      assert.equal(m.timestampType, 'CreateTime');
      assert.ok(m.timestamp > 1_600_000_000_000);
      if (++received === COUNT) break;
    }
    assert.equal(received, COUNT);
    for (const [p, list] of expected) assert.equal(next.get(p), list.length, `partition ${p} complete`);
    for (const l of consumer.lag()) assert.equal(l.lag, 0n, `lag of ${topic}[${l.partition}] after consuming everything`);
  } finally {
    await consumer.close();
  }
  // Fetch sessions (KIP-227) were used: after the first full request, the requests were incremental.
  assert.equal(fetchStats.length, 1, JSON.stringify(fetchStats));
  const { full, incremental } = fetchStats[0] as { full: number; incremental: number };
  // (When the backlog fits in the first responses there are only a few requests in all, so no ratio is asserted:
  // one full request opening the session, then incremental ones.)
  assert.ok(full >= 1 && incremental >= 1, `full ${full}, incremental ${incremental}`);
});
