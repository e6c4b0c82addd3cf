// R11 read_committed (../shared/notes/reliability.md): transactions of 40 records per partition, every third one
// aborted, the last one aborted too (so each partition ends with aborted records and a marker). A read_committed
// member never receives an aborted record, skips nothing committed, and does not stall on control records: its
// position reaches the partition's end (last stable offset) and the position-based commit lands there, past the
// markers, without passing a committed record it never delivered.
import { test } from 'node:test';
import { Consumer } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember, waitFor } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const PARTITIONS = 3;

test('R11 read_committed: aborted records never delivered, markers cause no stall', { timeout: 240_000 }, async () => {
  const started = Date.now();
  const env = await ensureKafka();
  const topic = uniqueName('r11');
  await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
  const ledger = new Ledger();
  const TXNS = 15;
  const written = await writeLedger(ledger, {
    bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 40 * TXNS, valueBytes: 200,
    transactions: { size: 40, abort: (i) => i % 3 === 1 || i === TXNS - 1 },
  });
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap,
    'group.id': uniqueName('r11-group'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'isolation.level': 'read_committed',
    'gregor.log.level': 'warn',
  });
  const member = new LedgerMember(consumer, ledger.member('m1'));
  try {
    consumer.subscribe([topic], member.listener());
    await member.run({
      done: () => ledger.distinctDelivered() >= written.written,
      timeoutMs: 120_000,
      commitEvery: 100,
      progress: () => `${ledger.distinctDelivered()} of ${written.written} committed records delivered`,
    });
    // No stall on the trailing aborted records and markers: polling on (nothing more to deliver), every position
    // reaches the last stable offset.
    let lags = '';
    const late: bigint[] = [];
    await waitFor(async () => {
      const m = await consumer.poll(200);
      if (m !== null) {
        member.record(m);
        late.push(m.offset);
      }
      const lag = consumer.lag();
      lags = lag.map((l) => `${l.partition}:${l.position}/${l.lastStableOffset}`).join(' ');
      return lag.length === PARTITIONS && lag.every((l) => l.lag === 0n && l.position !== null && l.position === l.lastStableOffset);
    }, 60_000, 'positions at the last stable offset').catch((e: Error) => { throw new Error(`${e.message}: ${lags}`); });
    await consumer.commit();
    const committed = await consumer.committed();
    member.rec.committed(committed.filter((c) => c.offset !== null).map((c) => ({ topic, partition: c.partition, offset: c.offset as bigint })));
    const check = ledger.check({ allowDuplicatesInWindow: false });
    finish('R11 read_committed, aborted transactions', {
      check,
      startedAt: started,
      notes: `${written.written} committed + ${written.aborted} aborted records in ${TXNS} transactions per partition; final positions ${lags}`,
      failures: [written.aborted === 0 && 'no aborted records were written', late.length > 0 && `records arrived after all committed ones: @${late.join(',')}`],
    });
  } finally {
    await consumer.close();
  }
});
