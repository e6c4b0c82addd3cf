// R1 steady consumption (../shared/notes/reliability.md): one group member reads four partitions while a writer
// keeps adding to them. Per partition, offsets strictly increase, no gaps, no duplicates; the final commit is the
// last delivered offset + 1, as the broker reports it too.
import { test } from 'node:test';
import { Consumer } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../ledger.js';
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
