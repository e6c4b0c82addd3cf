// Rebalance listeners run as Java runs them, inside poll(): while a revoked listener runs, no poll() returns a record
// (the application's loop cannot commit beside it a snapshot that still holds the revoked partitions: that raced in
// group/scale.test as a commit by a member that no longer owned the partition), and a revoked listener may commit
// while close() leaves the group (Java's commitSync in onPartitionsRevoked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopicPartition } from '../../../src/index.js';
import { committedOffsets, createTopic, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';
import { kip848GroupTimeouts, sleep, waitFor } from '../group/support.js';
import { newConsumer } from './env.js';

const PARTITIONS = 4;
const PER_PARTITION = 400;

for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol}: no record reaches the application while its revoked listener runs; a listener commits during close()`, async () => {
    await ensureKafka();
    const topic = uniqueName(`listener-${protocol}`);
    const group = uniqueName('g');
    await createTopic(topic, PARTITIONS);
    await produce(topic, Array.from({ length: PARTITIONS * PER_PARTITION }, (_, i) => ({ value: `v${i}` })), { partitioner: 'roundrobin' });
    if (protocol === 'consumer') await kip848GroupTimeouts(group);
    const props = {
      'group.id': group,
      'group.protocol': protocol,
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
      ...(protocol === 'classic' ? { 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 500 } : {}),
    };
    const a = await newConsumer({ ...props, 'client.id': 'listener-a' });
    const b = await newConsumer({ ...props, 'client.id': 'listener-b' });
    // The next offset per partition a has handed to its loop: what a's commits store.
    const next = new Map<number, bigint>();
    let inRevoke = false;
    let revokes = 0;
    const duringRevoke: string[] = [];
    const closeCommits: string[] = [];
    let closing = false;
    a.subscribe([topic], {
      revoked: async (parts: TopicPartition[]) => {
        inRevoke = true;
        try {
          // Long enough for a loop running beside the listener to poll many records.
          await sleep(300);
          const mine = parts.filter((tp) => next.has(tp.partition)).map((tp) => ({ topic, partition: tp.partition, offset: next.get(tp.partition)! }));
          if (mine.length > 0) {
            await a.commit(mine);
            if (closing) closeCommits.push(...mine.map((o) => `${o.partition}:${o.offset}`));
          }
          for (const tp of parts) next.delete(tp.partition);
          revokes++;
        } finally {
          inRevoke = false;
        }
      },
    });
    let stopA = false;
    let bStarted = false;
    const loopA = (async (): Promise<void> => {
      let n = 0;
      while (!stopA) {
        const m = await a.poll(100);
        if (m === null) continue;
        if (inRevoke) duringRevoke.push(`${m.partition}@${m.offset}`);
        next.set(m.partition, m.offset + 1n);
        n++;
        // A slow application: the member is between polls most of the time, as when the race was seen.
        await sleep(2);
        if (n === 100) bStarted = true;
      }
    })();
    let stopB = false;
    let loopB: Promise<void> = Promise.resolve();
    try {
      await waitFor(() => bStarted, 'member a to read 100 records');
      b.subscribe([topic]);
      loopB = (async (): Promise<void> => {
        while (!stopB) await b.poll(100);
      })();
      await waitFor(() => revokes >= 1 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === PARTITIONS,
        () => `a revoking partitions to b (revokes ${revokes}, a owns ${a.assignment().length}, b ${b.assignment().length})`);
      // An eager (classic range) rebalance revoked everything: a reads some of what it kept before closing.
      await waitFor(() => a.assignment().some((tp) => next.has(tp.partition)), 'member a to read a partition it kept');
      assert.deepEqual(duringRevoke, [], 'records handed to the application while its revoked listener ran');
    } catch (err) {
      stopA = true;
      stopB = true;
      await Promise.all([loopA, loopB]);
      await Promise.all([a.close(), b.close()]);
      throw err;
    }
    stopA = true;
    await loopA;
    // close(): the listener's commit of a's remaining partitions must go through.
    const owned = a.assignment().map((tp) => tp.partition);
    const expected = owned.filter((p) => next.has(p));
    closing = true;
    const before = revokes;
    await a.close();
    stopB = true;
    await loopB;
    await b.close();
    assert.equal(revokes, before + 1, 'close() ran the revoked listener once');
    assert.ok(expected.length > 0, `a read something of the partitions it kept (${owned.join(',')})`);
    assert.equal(closeCommits.length, expected.length, `the listener committed during close(): ${closeCommits.join(' ')}`);
    const stored = new Map((await committedOffsets(group)).filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]));
    for (const c of closeCommits) {
      const [p, o] = c.split(':');
      // b commits nothing (enable.auto.commit=false), so the stored offset is a's.
      assert.equal(stored.get(Number(p)), BigInt(o!), `partition ${p}: the group's committed offset is a's close commit`);
    }
  });
}
