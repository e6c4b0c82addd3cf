// R2 clean bounce of members, rolling and all at once (../shared/notes/reliability.md): three members (separate
// processes, manual commits every 200 records and on revoke) read six partitions while a writer keeps adding.
// Rolling: each member in turn is stopped cleanly (SIGTERM: it commits what it delivered and leaves the group) and
// started again; the group must settle on three members before the next one goes. Then all three stop at once
// and start again. Passes when nothing is lost, nothing is delivered twice (a clean stop commits everything it
// delivered, so there is no at-least-once window), committed offsets never go backwards, and every member that takes
// a partition over starts exactly at the committed offset. Run for classic (cooperative-sticky) and KIP-848 groups,
// on the single node (no broker fault involved).
import { describe, it } from 'node:test';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { markAt, recoveryMs, resumeViolations, settledOn } from './checks.js';
import { Group, type MemberProcess } from './members.js';
import { stopAll, waitLedger } from './scenario.js';

const PARTITIONS = 6;
const NAMES = ['a', 'b', 'c'] as const;
const PROTOCOLS = [
  { protocol: 'classic', properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 500 } },
  { protocol: 'consumer', properties: { 'group.protocol': 'consumer' } },
] as const;

describe('R2 clean bounce of members', () => {
  for (const { protocol, properties } of PROTOCOLS) {
    it(`R2 (${protocol}): rolling and all-at-once bounces lose nothing and duplicate nothing`, { timeout: 600_000 }, async () => {
      const started = Date.now();
      const env = await ensureKafka();
      const topic = uniqueName(`r2-${protocol}`);
      await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
      const ledger = new Ledger();
      const scenario = ledger.member('scenario');
      await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 500, valueBytes: 100 });
      const group = new Group(ledger, { bootstrap: env.bootstrap, topic, group: uniqueName('r2-group'), commitEvery: 200, properties });
      let writer: { stop(): Promise<unknown> } | undefined;
      const current = new Map<string, MemberProcess>();
      const names = (): string[] => [...current.values()].map((m) => m.name);
      try {
        for (const n of NAMES) current.set(n, group.start(n));
        await waitLedger(group, 'a three-way split', (l) => settledOn(l, topic, PARTITIONS, names()), 180_000);
        writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 30, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });

        const recoveries: number[] = [];
        for (const n of NAMES) {
          scenario.mark(`bounce ${n}`);
          await (current.get(n) as MemberProcess).stop();
          current.set(n, group.start(n));
          const l = await waitLedger(group, `the group to settle after bouncing ${n}`, (x) => settledOn(x, topic, PARTITIONS, names()), 180_000);
          recoveries.push(recoveryMs(l, markAt(l, `bounce ${n}`), topic, [...Array(PARTITIONS).keys()]) ?? -1);
        }
        scenario.mark('bounce all');
        await Promise.all([...current.values()].map((m) => m.stop()));
        for (const n of NAMES) current.set(n, group.start(n));
        await waitLedger(group, 'the group to settle after bouncing all', (x) => settledOn(x, topic, PARTITIONS, names()), 180_000);
        const afterAll = await waitLedger(group, 'deliveries after bouncing all',
          (l) => recoveryMs(l, markAt(l, 'bounce all'), topic, [...Array(PARTITIONS).keys()]) !== null, 120_000);
        const allMs = recoveryMs(afterAll, markAt(afterAll, 'bounce all'), topic, [...Array(PARTITIONS).keys()]);

        await writer.stop();
        writer = undefined;
        await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 180_000);
        await stopAll(group.live());
        const final = group.load();
        const check = final.check({ allowDuplicatesInWindow: false });
        finish(`R2 member bounces (${protocol})`, {
          check,
          startedAt: started,
          recoverMs: allMs,
          notes: `3 rolling bounces (every partition flowing again after ${recoveries.join(', ')} ms) then all at once (recover = that)`,
          failures: resumeViolations(final),
        });
      } finally {
        await writer?.stop().catch(() => {});
        await group.dispose();
      }
    });
  }
});
