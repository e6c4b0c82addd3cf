// R10 pause / resume / seek with prefetched data (../shared/notes/reliability.md). The first fetch of each
// partition brings far more than the application has read (1 MiB per partition, ~3000 small records), so every
// step below acts on a partition with data already buffered:
//   pause(p0)         nothing of p0 is handed out while paused; p1 keeps flowing
//   seek(p1, ahead)   the next p1 record is exactly the target; the skipped offsets are never committed
//   resume(p0)        p0 continues with the record after the last one delivered: no gap, no duplicate
//   seek(p1, back)    the next p1 record is exactly the target (the skipped range is read after all)
// The ledger then finds nothing lost, nothing out of order or duplicated outside the seeks' replays.
import { test } from 'node:test';
import { Consumer, type Message, type TopicPartition } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const PER_PARTITION = 3000;

test('R10 pause, resume and seek with prefetched data: exact next offsets, no gap, skipped offsets not committed', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r10');
  await createLedgerTopic(env.bootstrap, topic, 2);
  const ledger = new Ledger();
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: 2, perPartition: PER_PARTITION, valueBytes: 100 });
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': uniqueName('r10-group'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'gregor.log.level': 'warn',
  });
  const member = new LedgerMember(consumer, ledger.member('m1'));
  const p0: TopicPartition = { topic, partition: 0 };
  const p1: TopicPartition = { topic, partition: 1 };
  const last = new Map<number, bigint>();
  const failures: string[] = [];
  let pausedDeliveries = 0;
  let paused = false;
  const take = async (): Promise<Message | null> => {
    const m = await consumer.poll(200);
    if (m === null) return null;
    member.record(m);
    last.set(m.partition, m.offset);
    if (paused && m.partition === 0) pausedDeliveries++;
    return m;
  };
  /** Polls (without pausing between polls) until `cond`; returns the first message of `partition` seen, if asked. */
  const until = async (what: string, cond: () => boolean, firstOf?: number): Promise<Message | null> => {
    let first: Message | null = null;
    const deadline = Date.now() + 60_000;
    while (!cond()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what} (last delivered: p0 @${last.get(0)}, p1 @${last.get(1)}; ${member.delivered} in all)`);
      }
      const m = await take();
      if (m !== null && firstOf !== undefined && first === null && m.partition === firstOf) first = m;
    }
    return first;
  };
  try {
    consumer.subscribe([topic], member.listener());
    // Pause p0 early: most of it is still in the fetch buffer.
    await until('200 records of p0', () => (last.get(0) ?? -1n) >= 199n);

    consumer.pause([p0]);
    paused = true;
    const p0Last = last.get(0) as bigint;
    await until('1000 records of p1 while p0 is paused', () => (last.get(1) ?? -1n) >= 999n);
    await member.commit();

    // Seek p1 ahead over buffered records; commit at once (nothing handed out since): the committed offset may be
    // where the application was or where it seeked to, never inside the skipped range.
    const skippedFrom = (last.get(1) as bigint) + 1n;
    const ahead = 2000n;
    consumer.seek(p1, ahead);
    member.rec.seek(p1, ahead);
    await consumer.commit();
    const afterSeekCommit = (await consumer.committed([p1]))[0].offset;
    if (afterSeekCommit !== null && afterSeekCommit > skippedFrom && afterSeekCommit < ahead) {
      failures.push(`commit after seek(${ahead}) stored ${afterSeekCommit}, inside the skipped range ${skippedFrom}..${ahead - 1n}`);
    }
    if (afterSeekCommit !== null) member.rec.committed([{ ...p1, offset: afterSeekCommit }]);
    // LedgerMember commits delivered offsets: forget p1's pre-seek one.
    member.next.delete(`${topic}\u0000${1}`);
    const firstAhead = await until('the first p1 record after seek ahead', () => last.get(1) !== undefined && (last.get(1) as bigint) >= ahead, 1);
    if (firstAhead?.offset !== ahead) failures.push(`after seek(p1, ${ahead}) the next p1 record was @${firstAhead?.offset}`);
    await until('p1 to its end', () => (last.get(1) as bigint) >= BigInt(PER_PARTITION - 1));
    await member.commit();

    // Resume p0: the next p0 record follows the last one delivered before the pause.
    paused = false;
    consumer.resume([p0]);
    const firstResumed = await until('the first p0 record after resume', () => (last.get(0) as bigint) > p0Last, 0);
    if (firstResumed?.offset !== p0Last + 1n) failures.push(`after resume the next p0 record was @${firstResumed?.offset}, expected @${p0Last + 1n}`);

    // Seek p1 back to the skipped range: read it after all.
    consumer.seek(p1, skippedFrom);
    member.rec.seek(p1, skippedFrom);
    const firstBack = await until('the first p1 record after seek back', () => (last.get(1) as bigint) < ahead, 1);
    if (firstBack?.offset !== skippedFrom) failures.push(`after seek(p1, ${skippedFrom}) the next p1 record was @${firstBack?.offset}`);
    await member.run({ done: () => ledger.distinctDelivered() >= 2 * PER_PARTITION && (last.get(0) as bigint) >= BigInt(PER_PARTITION - 1), timeoutMs: 120_000, commitEvery: 500 });
    // Let p1's replay finish so its final commit is at the end too.
    await until('p1 to its end again', () => (last.get(1) as bigint) >= BigInt(PER_PARTITION - 1));
    await member.commit();

    const check = ledger.check({ allowDuplicatesInWindow: false });
    finish('R10 pause/resume/seek with prefetched data', {
      check,
      startedAt: started,
      notes: `paused p0 at @${p0Last}; seek p1 ${skippedFrom - 1n} -> ${ahead} -> ${skippedFrom}; ${check.replayed} replayed after the seek back; commit right after the seek: ${afterSeekCommit}`,
      failures: [...failures, pausedDeliveries > 0 && `${pausedDeliveries} p0 records handed out while paused`],
    });
  } finally {
    await consumer.close();
  }
});
