// Offsets against the real broker, each compared with what Kafka's Java tools report: commit and committed()
// (consumer-groups --describe), position/seek/seekToBeginning/seekToEnd (get-offsets), offsetsForTimes
// (get-offsets --time, which runs the Java consumer's offsetsForTimes), and auto.offset.reset earliest, latest and
// none (the Java console consumer with the same settings).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOffsetError, KafkaError, StateError, type Consumer, type Message } from '../../../src/index.js';
import { committedOffsets, createTopic, endOffsets, ensureKafka, kafkaTool, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer, pollFor } from './env.js';

const PARTITIONS = 3;
const PER_PARTITION = 20;

/** Keys that land on each partition (Kafka's murmur2), so every partition gets exactly PER_PARTITION records. */
function keysFor(partitions: number, perPartition: number): string[][] {
  const out: string[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; out.some((l) => l.length < perPartition); i++) {
    const key = `k${i}`;
    const p = partitionForKey(key, partitions);
    if (out[p].length < perPartition) out[p].push(key);
  }
  return out;
}

async function withConsumer<T>(props: Record<string, unknown>, fn: (c: Consumer) => Promise<T>): Promise<T> {
  const c = await newConsumer(props);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

function all(topic: string): { topic: string; partition: number }[] {
  return Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
}

describe('offsets compared with the Java tools', () => {
  const topic = uniqueName('offsets');
  let firstBatchTime = 0;

  before(async () => {
    await ensureKafka();
    await createTopic(topic, PARTITIONS);
    const keys = keysFor(PARTITIONS, PER_PARTITION);
    // Two rounds with a pause between them, so offsetsForTimes has a timestamp boundary to find.
    const round = (from: number, to: number) => keys.flatMap((list) => list.slice(from, to).map((key) => ({ key, value: `v-${key}` })));
    await produce(topic, round(0, PER_PARTITION / 2));
    await new Promise((r) => setTimeout(r, 1500));
    firstBatchTime = Date.now();
    await produce(topic, round(PER_PARTITION / 2, PER_PARTITION));
  });

  it('commit() and commit(offsets) store what consumer-groups --describe shows; committed() agrees', async () => {
    const group = uniqueName('g-commit');
    await withConsumer({ 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false }, async (c) => {
      c.assign(all(topic));
      const got = await drain(c, 25);
      assert.equal(got.length, 25);
      await c.commit();
      const positions = await Promise.all(all(topic).map((tp) => c.position(tp)));
      let java = await committedOffsets(group);
      assert.deepEqual(java.map((r) => r.offset), positions, 'Java sees the positions (delivered + 1) as committed');
      const mine = await c.committed(all(topic));
      assert.deepEqual(mine.map((r) => r.offset), positions);
      for (const r of mine) assert.ok(r.leaderEpoch >= 0, 'the leader epoch of the last delivered record is committed with it (KIP-320)');

      await c.commit([{ topic, partition: 1, offset: 7n, metadata: 'checkpoint' }]);
      java = await committedOffsets(group);
      assert.equal(java.find((r) => r.partition === 1)?.offset, 7n, 'a manual commit commits exactly what it is given');
      const p1 = (await c.committed([{ topic, partition: 1 }]))[0];
      assert.equal(p1.offset, 7n);
      assert.equal(p1.metadata, 'checkpoint');
      assert.equal(p1.leaderEpoch, -1, 'no epoch given, none committed (as Java\'s OffsetAndMetadata without one)');
    });
    // A new member of the group starts where the group committed.
    await withConsumer({ 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false }, async (c) => {
      c.assign([{ topic, partition: 1 }]);
      const m = await c.poll(15_000);
      assert.equal(m?.offset, 7n);
    });
  });

  it('position, seek, seekToBeginning and seekToEnd agree with get-offsets', async () => {
    const earliest = await endOffsets(topic, { time: 'earliest' });
    const latest = await endOffsets(topic);
    await withConsumer({ 'group.id': uniqueName('g-seek'), 'auto.offset.reset': 'latest', 'enable.auto.commit': false }, async (c) => {
      c.assign(all(topic));
      for (const tp of all(topic)) assert.equal(await c.position(tp), latest.get(tp.partition), 'latest = log end offset');
      await c.seekToBeginning();
      for (const tp of all(topic)) assert.equal(await c.position(tp), earliest.get(tp.partition));
      c.seek({ topic, partition: 2 }, 13);
      assert.equal(await c.position({ topic, partition: 2 }), 13n);
      c.pause([{ topic, partition: 0 }, { topic, partition: 1 }]);
      const m = await c.poll(15_000);
      assert.equal(m?.partition, 2);
      assert.equal(m?.offset, 13n, 'seek(n) delivers n next');
      assert.equal(await c.position({ topic, partition: 2 }), 14n);
      await c.seekToEnd([{ topic, partition: 2 }]);
      assert.equal(await c.position({ topic, partition: 2 }), latest.get(2));
      assert.throws(() => c.seek({ topic, partition: 9 }, 0), StateError);
    });
  });

  it('offsetsForTimes returns what the Java consumer returns (get-offsets --time)', async () => {
    const ts = firstBatchTime;
    const future = Date.now() + 3_600_000;
    const java = await kafkaTool('get-offsets', ['--bootstrap-server', (await ensureKafka()).bootstrap, '--topic', topic, '--time', String(ts)]);
    const javaOffsets = new Map<number, bigint>();
    for (const line of java.stdout.split('\n')) {
      const m = /^(.+):(\d+):(-?\d+)$/.exec(line.trim());
      if (m && m[1] === topic) javaOffsets.set(Number(m[2]), BigInt(m[3]));
    }
    const javaFuture = await kafkaTool('get-offsets', ['--bootstrap-server', (await ensureKafka()).bootstrap, '--topic', topic, '--time', String(future)]);
    await withConsumer({ 'group.id': uniqueName('g-times') }, async (c) => {
      const found = await c.offsetsForTimes(all(topic).map((tp) => ({ ...tp, timestamp: ts })));
      for (const f of found) {
        assert.equal(f.offset, javaOffsets.get(f.partition) ?? null, `partition ${f.partition}`);
        assert.equal(f.offset, BigInt(PER_PARTITION / 2), 'the second round starts there');
        assert.ok(f.timestamp !== null && f.timestamp >= ts);
      }
      const none = await c.offsetsForTimes(all(topic).map((tp) => ({ ...tp, timestamp: new Date(future) })));
      assert.deepEqual(none.map((f) => f.offset), [null, null, null]);
      assert.equal(javaFuture.stdout.includes(`${topic}:`), false, 'Java returns no offset either');
    });
  });

  it('auto.offset.reset=earliest and latest start where the Java console consumer starts', async () => {
    const java = await kafkaTool('console-consumer', ['--bootstrap-server', (await ensureKafka()).bootstrap, '--topic', topic,
      '--partition', '0', '--offset', 'earliest', '--max-messages', '1', '--property', 'print.offset=true', '--timeout-ms', '20000']);
    const javaFirst = /Offset:(\d+)/.exec(java.stdout)?.[1] ?? /^(\d+)/m.exec(java.stdout)?.[1];
    await withConsumer({ 'group.id': uniqueName('g-earliest'), 'auto.offset.reset': 'earliest' }, async (c) => {
      c.assign([{ topic, partition: 0 }]);
      const m = await c.poll(15_000);
      assert.equal(m?.offset, 0n);
      if (javaFirst !== undefined) assert.equal(m?.offset, BigInt(javaFirst));
    });
    const latest = await endOffsets(topic);
    await withConsumer({ 'group.id': uniqueName('g-latest'), 'auto.offset.reset': 'latest' }, async (c) => {
      c.subscribe([topic]);
      // Nothing old arrives; once positions are known, new records do.
      assert.deepEqual(await pollFor(c, 3000), []);
      for (const tp of c.assignment()) assert.equal(await c.position(tp), latest.get(tp.partition));
      await produce(topic, [{ key: 'k0', value: 'after-latest' }]);
      const m = await c.poll(15_000);
      assert.equal(m?.valueString(), 'after-latest');
      assert.equal(m?.offset, latest.get(m!.partition));
    });
  });

  it('auto.offset.reset=none: no committed offset is a typed error naming the partition, as NoOffsetForPartitionException in Java', async () => {
    const group = uniqueName('g-none');
    const java = await kafkaTool('console-consumer', ['--bootstrap-server', (await ensureKafka()).bootstrap, '--topic', topic,
      '--group', group, '--consumer-property', 'auto.offset.reset=none', '--max-messages', '1', '--timeout-ms', '15000'], { check: false });
    assert.match(java.stdout + java.stderr, /NoOffsetForPartitionException/);
    await withConsumer({ 'group.id': group, 'auto.offset.reset': 'none' }, async (c) => {
      c.assign([{ topic, partition: 1 }]);
      await assert.rejects(c.poll(15_000), (err: unknown) => {
        assert.ok(err instanceof InvalidOffsetError);
        assert.equal(err.reason, 'no-committed-offset');
        assert.equal(err.topic, topic);
        assert.equal(err.partition, 1);
        assert.match(err.message, new RegExp(`${topic}\\[1\\]`));
        return true;
      });
      // The application decides: seek, and the partition flows.
      c.seek({ topic, partition: 1 }, 3);
      const m = await c.poll(15_000);
      assert.equal(m?.offset, 3n);
    });
  });

  it('a committed offset beyond the log end: none fails with out-of-range, earliest resets to the start', async () => {
    const group = uniqueName('g-oor');
    await withConsumer({ 'group.id': group, 'enable.auto.commit': false }, async (c) => {
      c.assign([{ topic, partition: 2 }]);
      await c.commit([{ topic, partition: 2, offset: 100_000n }]);
    });
    await withConsumer({ 'group.id': group, 'auto.offset.reset': 'none', 'enable.auto.commit': false }, async (c) => {
      c.assign([{ topic, partition: 2 }]);
      await assert.rejects(c.poll(15_000), (err: unknown) => {
        assert.ok(err instanceof InvalidOffsetError);
        assert.ok(err instanceof KafkaError);
        assert.equal(err.reason, 'out-of-range');
        assert.equal(err.offset, 100_000n);
        return true;
      });
    });
    await withConsumer({ 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false }, async (c) => {
      const resets: unknown[] = [];
      c.on('offsetReset', (e) => resets.push(e));
      c.assign([{ topic, partition: 2 }]);
      const got: Message[] = await drain(c, 1);
      assert.equal(got[0]?.offset, 0n);
      assert.deepEqual(resets, [{ topic, partition: 2, from: 100_000n, to: 0n, reason: 'out-of-range' }]);
    });
  });
});

describe('a commit larger than one __consumer_offsets batch', () => {
  // The coordinator writes one commit's offset records as one batch; over __consumer_offsets' max.message.bytes
  // (1048588 by default) it logs "Failed to write a batch of N record(s) ... larger than the maximum batch size" and
  // answers UNKNOWN_SERVER_ERROR (Java's commitSync fails so at 10,000 partitions with 100-byte metadata). A long
  // group id (in every record's key) and metadata at offset.metadata.max.bytes cross the limit with 64 partitions:
  // 64 x (16,000 + 4,000 + ~100) bytes = 1.29 MB, where wide groups cross it with thousands of short records.
  const PARTS = 64;
  const topic = uniqueName('offsets-wide');

  before(async () => {
    await ensureKafka();
    await createTopic(topic, PARTS);
  });

  it('is split into several OffsetCommit requests and every partition is committed', async () => {
    const group = `${uniqueName('g-big')}-${'g'.repeat(16_000)}`;
    const metadata = 'm'.repeat(4000);
    const tps = Array.from({ length: PARTS }, (_, partition) => ({ topic, partition }));
    await withConsumer({ 'group.id': group, 'enable.auto.commit': false }, async (c) => {
      c.assign(tps);
      await c.commit(tps.map((tp) => ({ ...tp, offset: BigInt(tp.partition + 1), metadata })));
      const mine = await c.committed(tps);
      assert.deepEqual(mine.map((r) => r.offset), tps.map((tp) => BigInt(tp.partition + 1)));
      assert.ok(mine.every((r) => r.metadata === metadata));
    });
    const java = await committedOffsets(group);
    assert.deepEqual(java.map((r) => r.offset), tps.map((tp) => BigInt(tp.partition + 1)), 'Java sees every partition committed');
  });
});
