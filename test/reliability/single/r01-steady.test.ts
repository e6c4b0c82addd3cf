// R1 steady consumption (../shared/notes/reliability.md): one group member reads four partitions while a writer
// keeps adding to them. Per partition, offsets strictly increase, no gaps, no duplicates; the final commit is the
// last delivered offset + 1, as the broker reports it too.
import { test } from 'node:test';
import { Consumer } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const PARTITIONS = 4;

test('R1 steady consumption: ordered, no gap, no duplicate, final commit = last + 1', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r1');
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
  const ledger = new Ledger();
  // Half before the consumer starts, half while it reads.
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 2500, valueBytes: 100 });
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': uniqueName('r1-group'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'gregor.log.level': 'warn',
  });
  const member = new LedgerMember(consumer, ledger.member('m1'));
  try {
    consumer.subscribe([topic], member.listener());
    const writing = writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 2500, valueBytes: 100 });
    let writerDone = false;
    void writing.then(() => { writerDone = true; }, () => { writerDone = true; });
    const expected = (): number => ledger.producedCount();
    await member.run({
      done: () => writerDone && ledger.distinctDelivered() >= expected(),
      timeoutMs: 180_000,
      commitEvery: 1000,
      progress: () => `${ledger.distinctDelivered()} of ${expected()} delivered`,
    });
    await writing;
    // The broker's view of the final commits, as another recorder: they must equal the ledger's.
    const brokerView = ledger.member('broker');
    const committed = await consumer.committed([...Array(PARTITIONS).keys()].map((partition) => ({ topic, partition })));
    const mismatched = committed.filter((c) => c.offset !== (member.next.get(`${topic}\u0000${c.partition}`)?.offset ?? null));
    brokerView.committed(committed.filter((c) => c.offset !== null).map((c) => ({ topic, partition: c.partition, offset: c.offset as bigint })));
    const check = ledger.check({ allowDuplicatesInWindow: false });
    finish('R1 steady consumption', {
      check,
      startedAt: started,
      notes: `${PARTITIONS} partitions, commits every 1000`,
      failures: [
        check.produced !== 4 * 2 * 2500 && `wrote ${check.produced} records, expected ${4 * 2 * 2500}`,
        mismatched.length > 0 && `broker's committed offsets differ from the last commits: ${mismatched.map((c) => `${c.partition}:${c.offset}`).join(',')}`,
      ],
    });
  } finally {
    await consumer.close();
  }
});

test('R1 steady consumption with auto-commit: the commit on close is last delivered + 1', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r1-auto');
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
  const ledger = new Ledger();
  await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 2500, valueBytes: 100 });
  const group = uniqueName('r1-auto-group');
  const config = {
    'bootstrap.servers': env.bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest' as const,
    'enable.auto.commit': true,
    'auto.commit.interval.ms': 200,
    'gregor.log.level': 'warn' as const,
  };
  const consumer = new Consumer(config);
  // Auto-commits are not visible to the application: the member records deliveries only, and the broker's
  // committed offsets are read after close() by a second consumer of the group.
  const member = new LedgerMember(consumer, ledger.member('m1'));
  let closed = false;
  try {
    consumer.subscribe([topic], member.listener());
    const writing = writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 2500, valueBytes: 100 });
    let writerDone = false;
    void writing.then(() => { writerDone = true; }, () => { writerDone = true; });
    const deadline = Date.now() + 180_000;
    while (!(writerDone && ledger.distinctDelivered() >= ledger.producedCount())) {
      if (Date.now() > deadline) throw new Error(`not done: ${ledger.distinctDelivered()} of ${ledger.producedCount()} delivered`);
      const m = await consumer.poll(200);
      if (m !== null) member.rec.delivered(m);
    }
    await writing;
    await consumer.close();
    closed = true;
    const reader = new Consumer(config);
    try {
      const committed = await reader.committed([...Array(PARTITIONS).keys()].map((partition) => ({ topic, partition })));
      ledger.member('broker').committed(committed.filter((c) => c.offset !== null).map((c) => ({ topic, partition: c.partition, offset: c.offset as bigint })));
    } finally {
      await reader.close();
    }
    const check = ledger.check({ allowDuplicatesInWindow: false });
    finish('R1 steady consumption, auto-commit + close', {
      check,
      startedAt: started,
      notes: `${PARTITIONS} partitions, auto.commit.interval.ms 200; final commits read back after close: ${[...check.finalCommits.values()].join(',')}`,
    });
  } finally {
    if (!closed) await consumer.close();
  }
});
