// A partition with a backlog must not wait behind a long poll for caught-up partitions (fetcher.ts,
// backlogHeldBack()). One Fetch may be in flight per broker; when the partition with records left is over its share of
// the fetch buffer, the next Fetch would carry only partitions at their end, and the broker would hold it for
// fetch.max.wait.ms while the application drains the buffered records and then waits. Here: partition 0 holds 600
// records of 1 KiB, partition 1 none; a 256 KiB buffer (128 KiB share each), 64 KiB per partition per Fetch, and a
// 5 s long poll. A Fetch answered with no records while partition 0 still had records to deliver is such a wait (the
// quick poll without a long poll that the fetcher sends after fetch.max.wait.ms of holding back does not come: the
// application reads after 1 s). The second test checks that quick poll: with the application reading nothing, new
// records of partition 1 are fetched and its lag known.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import type { RequestDiagnostics } from '../../../src/index.js';
import { createTopic, ensureKafka, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer } from './env.js';

const RECORDS = 600;

interface FetchBody { responses?: { partitions?: { partitionIndex: number; records?: Uint8Array | null }[] }[] }

/** `count` keys that the default partitioner puts in `partition` of a 2-partition topic. */
function keysFor(partition: number, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (partitionForKey(`k${i}`, 2) === partition) keys.push(`k${i}`);
  return keys;
}

/** A 2-partition topic: RECORDS records of 1 KiB in partition 0, none in partition 1. */
async function backlogTopic(): Promise<string> {
  await ensureKafka();
  const topic = uniqueName('backlog');
  await createTopic(topic, 2);
  const value = 'v'.repeat(1024);
  await produce(topic, keysFor(0, RECORDS).map((key) => ({ key, value })));
  return topic;
}

/** The consumer's buffer holds 128 KiB per partition (its share): partition 0's backlog is held back at once. */
const SMALL_BUFFER = { 'enable.auto.commit': false, 'gregor.fetch.buffer.bytes': 256 * 1024, 'max.partition.fetch.bytes': 64 * 1024 };

describe('fetching a backlog beside caught-up partitions', () => {
  it('never long-polls the caught-up partitions while a partition held back by its buffer share has records left', async () => {
    const topic = await backlogTopic();
    let delivered0 = 0;
    const fetches: { records: number; p0Left: number }[] = [];
    const channel = tracingChannel<unknown, RequestDiagnostics>('gregor:request');
    const handlers = {
      start() {}, end() {}, asyncStart() {}, error() {},
      asyncEnd(ctx: RequestDiagnostics) {
        if (ctx.apiKey !== 1 || ctx.result === undefined) return;
        let bytes = 0;
        for (const t of (ctx.result as FetchBody).responses ?? []) for (const p of t.partitions ?? []) bytes += p.records?.length ?? 0;
        fetches.push({ records: bytes, p0Left: RECORDS - delivered0 });
      },
    };
    channel.subscribe(handlers);
    const c = await newConsumer({ 'group.id': uniqueName('g-backlog'), ...SMALL_BUFFER, 'fetch.max.wait.ms': 5000 });
    try {
      c.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
      await c.seekToBeginning([{ topic, partition: 0 }, { topic, partition: 1 }]);
      // Fetching starts now; the application reads only once partition 0 has filled its share of the buffer, so
      // the next Fetch planned has nothing but partition 1 (at its end) to ask for.
      await new Promise((r) => setTimeout(r, 1000));
      const got = await drain(c, RECORDS, 15_000, (m) => {
        if (m.partition === 0) delivered0++;
      });
      assert.deepEqual(got.map((m) => Number(m.offset)), Array.from({ length: RECORDS }, (_, i) => i), 'every record of partition 0 once, in order');
      assert.ok(fetches.length > RECORDS * 1024 / (128 * 1024), `the backlog took several Fetches (${fetches.length})`);
      const waited = fetches.filter((f) => f.records === 0 && f.p0Left > 0);
      assert.deepEqual(waited, [], 'no Fetch came back empty (a long poll) while partition 0 had records left');
    } finally {
      channel.unsubscribe(handlers);
      await c.close();
    }
  });

  it('while the backlog is held back and the application reads nothing, the caught-up partition is still fetched', async () => {
    // Without the quick poll (MaxWaitMs 0 every fetch.max.wait.ms), partition 1's new records would be fetched only
    // once the application drained partition 0 below its share, and its lag would stay unknown until then.
    const topic = await backlogTopic();
    const fetched1: number[] = [];
    const channel = tracingChannel<unknown, RequestDiagnostics>('gregor:request');
    const handlers = {
      start() {}, end() {}, asyncStart() {}, error() {},
      asyncEnd(ctx: RequestDiagnostics) {
        if (ctx.apiKey !== 1 || ctx.result === undefined) return;
        for (const t of (ctx.result as FetchBody).responses ?? []) {
          for (const p of t.partitions ?? []) if (p.partitionIndex === 1 && (p.records?.length ?? 0) > 0) fetched1.push(p.records!.length);
        }
      },
    };
    channel.subscribe(handlers);
    const c = await newConsumer({ 'group.id': uniqueName('g-quick'), ...SMALL_BUFFER, 'fetch.max.wait.ms': 500 });
    try {
      c.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
      await c.seekToBeginning([{ topic, partition: 0 }, { topic, partition: 1 }]);
      await new Promise((r) => setTimeout(r, 1000)); // partition 0's share is buffered: held back
      await produce(topic, keysFor(1, 5).map((key) => ({ key, value: 'new' })));
      for (let waited = 0; fetched1.length === 0; waited += 50) {
        assert.ok(waited < 15_000, 'partition 1\'s new records were fetched while the application read nothing');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(c.lag().find((l) => l.partition === 1)?.highWatermark, 5n, 'partition 1\'s lag is known before any read');
      const got = await drain(c, RECORDS + 5);
      assert.deepEqual(got.filter((m) => m.partition === 0).map((m) => Number(m.offset)), Array.from({ length: RECORDS }, (_, i) => i));
      assert.deepEqual(got.filter((m) => m.partition === 1).map((m) => Number(m.offset)), [0, 1, 2, 3, 4]);
    } finally {
      channel.unsubscribe(handlers);
      await c.close();
    }
  });
});
