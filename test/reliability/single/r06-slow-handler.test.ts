// R6 rebalance while a slow handler runs (../shared/notes/reliability.md). Member A owns all four partitions and
// handles each record with some await; when it has handled 500, member B joins, and the record A is handling then
// takes 3 s. The rebalance must wait for that work: A's revoke commits what it finished (the slow record included),
// nothing is committed for a partition after its revoke, no record of a revoked partition reaches A's handler
// afterwards (prefetched data of revoked partitions is dropped), and B starts right after A's last commit: no
// duplicate, nothing lost. Run with the eager (range) and the cooperative (cooperative-sticky) protocol.
import { test } from 'node:test';
import { Consumer, type ConsumerConfig } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { LedgerMember } from '../member.js';
import { finish } from '../report.js';
import { createLedgerTopic, writeLedger } from '../writer.js';

const PARTITIONS = 4;
const PER_PARTITION = 1000;

for (const strategy of ['range', 'cooperative-sticky'] as const) {
  test(`R6 rebalance during a slow handler (${strategy})`, { timeout: 240_000 }, async () => {
    const started = Date.now();
    const env = await ensureKafka();
    const topic = uniqueName('r6');
    await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
    const ledger = new Ledger();
    await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: PER_PARTITION, valueBytes: 100 });
    const group = uniqueName('r6-group');
    const config: ConsumerConfig = {
      'bootstrap.servers': env.bootstrap,
      'group.id': group,
      'group.protocol': 'classic',
      'partition.assignment.strategy': strategy,
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
      'heartbeat.interval.ms': 500,
      'gregor.log.level': 'warn',
    };
    const a = new Consumer({ ...config, 'client.id': 'r6-a' });
    const b = new Consumer({ ...config, 'client.id': 'r6-b' });
    const ma = new LedgerMember(a, ledger.member('a'));
    const mb = new LedgerMember(b, ledger.member('b'));
    const total = PARTITIONS * PER_PARTITION;
    const done = (): boolean => ledger.distinctDelivered() >= total;
    let bRun: Promise<void> | undefined;
    let slowStarted = 0;
    let slowEnded = 0;
    let revokedAt = 0;
    let slowPartition = -1;
    let revokedWhileSlow = false;
    try {
      a.subscribe([topic], ma.listener({
        revoked: (parts) => {
          // Only the revoke of the partition being handled must wait for the handler (cooperative protocols may
          // revoke other partitions at once).
          if (parts.some((tp) => tp.partition === slowPartition)) {
            revokedAt = Date.now();
            if (slowStarted > 0 && slowEnded === 0) revokedWhileSlow = true;
          }
        },
      }));
      const aRun = ma.run({
        done,
        timeoutMs: 180_000,
        commitEvery: 100,
        onMessage: async (m) => {
          if (ma.delivered === 500) {
            slowPartition = m.partition;
            b.subscribe([topic], mb.listener());
            bRun = mb.run({ done, timeoutMs: 180_000, commitEvery: 100 });
            bRun.catch(() => {});
            slowStarted = Date.now();
            await new Promise((r) => setTimeout(r, 3000));
            slowEnded = Date.now();
          } else {
            await new Promise((r) => setImmediate(r));
          }
        },
        progress: () => `${ledger.distinctDelivered()} of ${total}; a ${ma.delivered}, b ${mb.delivered}`,
      });
      await aRun;
      await bRun;
      const check = ledger.check();
      const aRevokes = ledger.events.filter((e) => e.t === 'revoked' && e.member === 'a').length;
      finish(`R6 rebalance during a slow handler (${strategy})`, {
        check,
        startedAt: started,
        recoverMs: revokedAt > 0 && slowEnded > 0 ? Math.max(0, revokedAt - slowEnded) : null,
        notes: `slow record 3 s; a delivered ${ma.delivered}, b ${mb.delivered}; a revoked ${aRevokes} time(s); slow record's partition ${slowPartition} ${revokedAt > 0 ? 'revoked after the handler finished' : 'kept by a'}; recover = slow handler end -> its revoke`,
        failures: [
          mb.delivered === 0 && 'b never received anything: no rebalance happened',
          aRevokes === 0 && 'a never revoked anything',
          revokedWhileSlow && `the revoke of partition ${slowPartition} ran while its record was still being handled`,
          check.duplicated > 0 && `${check.duplicated} duplicate(s): the finished work was not committed before the revoke`,
        ],
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
}
