// Records own their bytes, and Fetch response frames are reused (records/decode.ts, network/frame-pool.ts): a
// record kept by the application must read the same key, value and headers after many later Fetch responses were
// received into the memory its own response came in, and after a seek dropped buffered chunks of a response whose
// other chunks were still being delivered. The lazy fields are read only at the end, so a frame reused too early (a
// release before every chunk of it was decoded, or a record still pointing into it) shows as a wrong byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { Producer, type ProducerRecord } from '../../../src/producer/index.js';
import { framePoolStats } from '../../../src/network/frame-pool.js';
import type { Message } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from './env.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_PARTITION = 1500;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const topic = uniqueName('owned-records');
let admin: Admin;

/** ~600 pseudo-random letters, different per codec and record, so a byte from another record shows. */
function valueOf(codec: number, i: number): string {
  let seed = ((codec + 1) * 7919 + i * 2654435761) >>> 0;
  const out: string[] = [`${CODECS[codec]}:${i}:`];
  for (let k = 0; k < 600; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out.push(LETTERS[(seed >>> 16) % LETTERS.length]!);
  }
  return out.join('');
}

before(async () => {
  const { bootstrap } = await ensureKafka();
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: CODECS.length }]);
  for (let c = 0; c < CODECS.length; c++) {
    const producer = new Producer({ 'bootstrap.servers': bootstrap, 'compression.type': CODECS[c], 'linger.ms': 20, 'batch.size': 16384 });
    try {
      const records = Array.from({ length: PER_PARTITION }, (_, i): ProducerRecord => ({
        topic, partition: c, key: `${CODECS[c]}-${i}`, value: valueOf(c, i),
        headers: [{ key: 'i', value: String(i) }, { key: 'codec', value: CODECS[c] }, { key: 'none', value: null }],
      }));
      const meta = await producer.sendBatch(records);
      assert.equal(meta[meta.length - 1].offset, BigInt(PER_PARTITION - 1), `${CODECS[c]}: offsets from 0`);
    } finally {
      await producer.close();
    }
  }
});
after(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
});

test('records kept across many reused Fetch frames and a seek keep their keys, values and headers byte for byte', { timeout: 120_000 }, async () => {
  const reusedBefore = framePoolStats.reused;
  // Small per-partition limits: many Fetch responses of ~5 x 64 KiB, each large enough to be a pooled frame.
  const consumer = await newConsumer({
    'auto.offset.reset': 'earliest',
    'max.partition.fetch.bytes': 64 * 1024,
    'gregor.fetch.buffer.bytes': 1024 * 1024,
  });
  const kept: Message[] = [];
  const seen = CODECS.map(() => new Set<bigint>());
  let complete = 0;
  let sought = false;
  try {
    consumer.assign(CODECS.map((_, partition) => ({ topic, partition })));
    const deadline = Date.now() + 90_000;
    while (complete < CODECS.length && Date.now() < deadline) {
      const m = await consumer.poll(5_000);
      if (m === null) continue;
      kept.push(m); // nothing of its bytes is read until the end
      const s = seen[m.partition];
      if (!s.has(m.offset)) {
        s.add(m.offset);
        if (s.size === PER_PARTITION) complete++;
      }
      if (!sought && kept.length === 2_000) {
        // Drops the chunks buffered for partition 0, whose response frames other partitions' chunks still use.
        sought = true;
        consumer.seek({ topic, partition: 0 }, 10);
      }
    }
  } finally {
    await consumer.close();
  }
  assert.ok(sought, 'the seek happened mid-way');
  assert.equal(complete, CODECS.length, `every record of every partition arrived (${seen.map((s) => s.size).join(', ')})`);
  assert.ok(framePoolStats.reused - reusedBefore > 0, `Fetch frames were reused (${framePoolStats.reused - reusedBefore})`);
  let checked = 0;
  for (const m of kept) {
    const c = m.partition;
    const i = Number(m.offset);
    const where = `${CODECS[c]} record at offset ${i}`;
    // Compared without assert's diff of long strings.
    assert.ok(m.keyString() === `${CODECS[c]}-${i}`, `${where}: key ${m.keyString()}`);
    assert.ok(m.valueString() === valueOf(c, i), `${where}: value differs from what was produced`);
    assert.deepEqual(m.headers.map((h) => [h.key, h.value?.toString() ?? null]), [['i', String(i)], ['codec', CODECS[c]], ['none', null]], `${where}: headers`);
    checked++;
  }
  assert.ok(checked > CODECS.length * PER_PARTITION, `re-delivered records after the seek were checked too (${checked})`);
});
