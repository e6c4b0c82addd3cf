// R7 static membership (KIP-345; KIP-848 for the consumer protocol) (../shared/notes/reliability.md): three static
// members (group.instance.id, separate processes) read six partitions while a writer keeps adding.
//   1. Member b is stopped cleanly and started again within the session timeout: the other members see no
//      revocation, no assignment change at all, and b gets its partitions back.
//   2. A second process claims b's group.instance.id while b runs: one of the two is fenced (classic: the older
//      gets FENCED_INSTANCE_ID; KIP-848: the newcomer gets UNRELEASED_INSTANCE_ID), and the fenced one never commits
//      afterwards, even when told to.
// Passes when nothing is lost or out of order, duplicates stay after the last commit (a fenced member's delivered,
// uncommitted records may be re-read), and the conditions above hold. On the single node.
import { describe, it } from 'node:test';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { markAt, marksSince, owners, rebalanceEventsSince, recoveryMs, resumeViolations, settledOn } from './checks.js';
import { Group } from './members.js';
import { stopAll, waitLedger } from './scenario.js';

const PARTITIONS = 6;
const PROTOCOLS = [
  // range is eager: any rebalance would revoke every partition of the other members.
  { protocol: 'classic', properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'range', 'session.timeout.ms': 30_000, 'heartbeat.interval.ms': 500 } },
  // The broker's session timeout for consumer groups is 10 s here (scripts/kafka.mjs); a restart takes ~1 s.
  { protocol: 'consumer', properties: { 'group.protocol': 'consumer' } },
] as const;

const FENCED = /FENCED_INSTANCE_ID|UNRELEASED_INSTANCE_ID/;

describe('R7 static membership', () => {
  for (const { protocol, properties } of PROTOCOLS) {
    it(`R7 (${protocol}): a static bounce revokes nothing elsewhere; a duplicate instance id is fenced and never commits`, { timeout: 600_000 }, async () => {
      const started = Date.now();
      const env = await ensureKafka();
      const topic = uniqueName(`r7-${protocol}`);
      const groupId = uniqueName('r7-group');
      await createLedgerTopic(env.bootstrap, topic, PARTITIONS);
      const ledger = new Ledger();
      const scenario = ledger.member('scenario');
      await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 500, valueBytes: 100 });
      const group = new Group(ledger, { bootstrap: env.bootstrap, topic, group: groupId, commitEvery: 200, properties });
      const instance = (n: string): { 'group.instance.id': string } => ({ 'group.instance.id': `${groupId}-${n}` });
      let writer: { stop(): Promise<unknown> } | undefined;
      try {
        group.start('a', instance('a'));
        const b1 = group.start('b', instance('b'));
        group.start('c', instance('c'));
        await waitLedger(group, 'a three-way split', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#1', 'c#1']), 180_000);
        writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 30, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });
        const l0 = group.load();
        const bParts = [...(owners(l0).get('b#1') ?? [])].map((k) => Number(k.split('\u0000')[1])).sort();

        // 1. Static bounce of b.
        scenario.mark('bounce b');
        await b1.stop();
        const b2 = group.start('b', instance('b'));
        const l1 = await waitLedger(group, 'the restarted b to get its partitions back and read new records',
          (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#2', 'c#1']) && recoveryMs(l, markAt(l, 'bounce b'), topic, bParts) !== null, 120_000);
        const bounceMs = recoveryMs(l1, markAt(l1, 'bounce b'), topic, bParts);
        const b2Parts = [...(owners(l1).get('b#2') ?? [])].map((k) => Number(k.split('\u0000')[1])).sort();

        // 2. A duplicate of b's instance id.
        scenario.mark('duplicate b');
        const b3 = group.start('b', instance('b'));
        const l2 = await waitLedger(group, 'one of the two b processes to be fenced', (l) => marksSince(l, markAt(l, 'duplicate b'), 'error:').some((m) => FENCED.test(m.label)), 120_000);
        const fencedMarks = marksSince(l2, markAt(l2, 'duplicate b'), 'error:').filter((m) => FENCED.test(m.label));
        const fenced = fencedMarks[0].member;
        // Tell both to commit what they last delivered, owned or not: the fenced one must not get a commit through.
        b2.send('force-commit');
        b3.send('force-commit');
        await new Promise((r) => setTimeout(r, 3000));
        const fencedAt = fencedMarks[0].at;
        // The survivor owns b's partitions again (classic: the newcomer b#3 takes b#2's place; KIP-848: b#2 keeps them).
        const survivor = fenced === 'b#2' ? 'b#3' : 'b#2';
        await waitLedger(group, `${survivor} to own b's partitions`, (l) => settledOn(l, topic, PARTITIONS, ['a#1', survivor, 'c#1']), 120_000);

        await writer.stop();
        writer = undefined;
        await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 180_000);
        scenario.mark('stopping');
        await stopAll(group.live());
        const final = group.load();
        const stoppingAt = markAt(final, 'stopping');
        const check = final.check();
        const others = rebalanceEventsSince(final, markAt(final, 'bounce b'), (m) => m === 'a#1' || m === 'c#1').filter((e) => e.at < stoppingAt);
        const fencedCommits = final.events.filter((e) => e.t === 'committed' && e.member === fenced && e.at >= fencedAt);
        const refused = final.events.filter((e) => e.t === 'commitFailed' && e.member === fenced && e.at >= fencedAt).length;
        finish(`R7 static membership (${protocol})`, {
          check,
          startedAt: started,
          recoverMs: bounceMs,
          notes: `bounce of b: partitions ${bParts.join(',')} -> ${b2Parts.join(',')}, flowing after ${bounceMs} ms (recover); duplicate id: ${fenced} fenced ` +
            `(${fencedMarks[0].label.slice(0, 60)}), ${refused} commit attempts refused`,
          failures: [
            ...resumeViolations(final),
            others.length > 0 && `the other members saw ${others.length} assignment changes: ${others.slice(0, 5).map((e) => `${e.t} ${e.member}`).join(', ')}`,
            b2Parts.join() !== bParts.join() && `the restarted static member got ${b2Parts.join(',')} instead of ${bParts.join(',')}`,
            fencedCommits.length > 0 && `the fenced member ${fenced} committed ${fencedCommits.length} times after it was fenced`,
          ],
        });
      } finally {
        await writer?.stop().catch(() => {});
        await group.dispose();
      }
    });
  }
});
