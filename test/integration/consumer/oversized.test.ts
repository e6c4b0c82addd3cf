// A record batch larger than max.partition.fetch.bytes (and fetch.max.bytes) blocks nothing: the broker returns a
// partial batch (or, for the first partition, the whole batch, KIP-74); gregor then asks for exactly that batch's
// size, first in the request, and moves on. No busy loop: the number of Fetch rounds that met a partial batch is
// counted from the consumer's debug log and stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer, pollFor } from './env.js';

test('batches larger than the fetch limits are fetched with a grown limit, in order, without a busy loop', async (t) => {
  const topic = uniqueName('oversized');
  await createTopic(topic, 2, { configs: { 'max.message.bytes': String(4 * 1024 * 1024) } });
  const big = (n: number) => `${n}:${'x'.repeat(300_000)}`;
  // One key per partition: the big records share a partition with small ones; the other partition has small
  // records only, so in some responses it comes first and the big batch arrives cut at the response limit.
  const keyFor = (p: number) => Array.from({ length: 100 }, (_, i) => `key${i}`).find((k) => partitionForKey(k, 2) === p)!;
  const bigKey = keyFor(1);
  const smallKey = keyFor(0);
  const records = [];
  for (let i = 0; i < 40; i++) {
    records.push({ key: smallKey, value: `other-${i}` });
    records.push({ key: bigKey, value: i === 10 || i === 30 ? big(i) : `small-${i}` });
  }
  await produce(topic, records, { lingerMs: 0, properties: { 'max.request.size': String(4 * 1024 * 1024) } });
  const grown: unknown[] = [];
  const c = await newConsumer({
    'group.id': uniqueName('g-big'), 'auto.offset.reset': 'earliest',
    'max.partition.fetch.bytes': 2048, 'fetch.max.bytes': 4096,
    'gregor.log.level': 'debug',
    'gregor.logger': (_level: string, message: string, fields?: Record<string, unknown>) => {
      if (message.startsWith('batch larger than the fetch limit')) grown.push(fields);
    },
  });
  try {
    c.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
    const got = await drain(c, 80);
    assert.deepEqual(await pollFor(c, 1000), []);
    assert.equal(got.length, 80);
    const byKey = (k: string) => got.filter((m) => m.keyString() === k).map((m) => m.valueString()!);
    const p0 = byKey(bigKey);
    assert.equal(p0.length, 40);
    assert.equal(p0[10], big(10));
    assert.equal(p0[30], big(30));
    assert.deepEqual(p0.filter((v) => v.startsWith('small')), Array.from({ length: 40 }, (_, i) => `small-${i}`).filter((_, i) => i !== 10 && i !== 30));
    assert.deepEqual(byKey(smallKey), Array.from({ length: 40 }, (_, i) => `other-${i}`));
    t.diagnostic(`partial-batch rounds: ${grown.length}`);
    assert.ok(grown.length <= 10, `partial-batch rounds: ${grown.length} (a busy loop would make thousands)`);
  } finally {
    await c.close();
  }
});
