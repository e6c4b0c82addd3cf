// R4 broker killed / partition leader moved, on the three-node cluster (../shared/notes/reliability.md): two
// members (separate processes) of a group read six partitions replicated three times while a writer keeps adding
// (acks=all). Then, in order:
//   1. two partition leaders move by reassignment (same replicas, another order) and a preferred-leader election;
//   2. the broker leading most partitions (not the group coordinator: that is R5) is SIGKILLed, its partitions are
//      consumed from the new leaders, it is started again and catches up (full ISR);
//   3. a preferred-leader election gives every partition back to its first replica.
// Passes when nothing is lost, nothing is delivered twice (no rebalance happens, so there is no at-least-once
// window at all), nothing is out of order or skipped, no offset is reset, no error reaches poll() or a commit, and
// the group's assignment never changes. Run once per group protocol: classic and KIP-848.
import { after, before, describe, it } from 'node:test';
import { uniqueName, stopKafka, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { groupLogSince, markAt, marksSince, rebalanceEventsSince, recoveryMs, resumeViolations, settledOn } from './checks.js';
import { clusterEnv, coordinatorOf, describePartitions, electPreferred, killBroker, moveLeader, startBroker, SESSION_OVER_FAILOVER_MS, waitIsr, waitUntil, withAdmin, type NodeId } from './control.js';
import { Group } from './members.js';
import { stopAll, waitLedger } from './scenario.js';

const PARTITIONS = 6;
const PROTOCOLS = [
  // The session outlasts the coordinator's stall while the killed broker is fenced (control.ts).
  { protocol: 'classic', properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': SESSION_OVER_FAILOVER_MS, 'heartbeat.interval.ms': 500 } },
  { protocol: 'consumer', properties: { 'group.protocol': 'consumer' } },
] as const;

/** Registers the scenario for these group protocols ('classic', 'consumer'). */
export function registerR4(protocols: readonly string[]): void {
  describe('R4 broker faults (three-node cluster)', () => {
    let env: KafkaEnv;
    before(async () => { env = await clusterEnv(); });
    after(() => { if (env?.startedNow) stopKafka(3); });

    for (const { protocol, properties } of PROTOCOLS.filter((p) => protocols.includes(p.protocol))) {
      it(`R4 (${protocol}): leader moves and a broker SIGKILL cause no rebalance, no duplicate, no skip, no reset`, { timeout: 600_000 }, async () => {
        const started = Date.now();
        const topic = uniqueName(`r4-${protocol}`);
        const groupId = uniqueName('r4-group');
        await createLedgerTopic(env.bootstrap, topic, PARTITIONS, { replicationFactor: 3 });
        // KIP-848: the broker sets the session (10 s in scripts/kafka.mjs); the same margin as classic's, per group.
        if (protocol === 'consumer') {
          await withAdmin(env, (admin) => admin.incrementalAlterConfigs([{ type: 'group', name: groupId, configs: [{ name: 'consumer.session.timeout.ms', op: 'set', value: String(SESSION_OVER_FAILOVER_MS) }] }]));
        }
        await waitIsr(env, [topic]);
        const ledger = new Ledger();
        const scenario = ledger.member('scenario');
        await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 500, valueBytes: 100 });
        const group = new Group(ledger, { bootstrap: env.bootstrap, topic, group: groupId, commitEvery: 200, properties });
        let writer: { stop(): Promise<unknown> } | undefined;
        try {
          group.start('a');
          group.start('b');
          await waitLedger(group, 'a two-way split', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#1']) && l.distinctDelivered() >= PARTITIONS * 500, 180_000);
          scenario.mark('settled');
          writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 20, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });

          // 1. Two leaders move (reassignment + preferred election).
          const before0 = await describePartitions(env, topic);
          scenario.mark('move leaders');
          for (const p of before0.slice(0, 2)) {
            const to = p.replicas.find((r) => r !== p.leader) as number;
            await moveLeader(env, topic, p.partition, to);
          }
          const moved = await waitLedger(group, 'deliveries from the moved leaders', (l) => recoveryMs(l, markAt(l, 'move leaders'), topic, [0, 1]) !== null, 120_000);
          const moveRecover = recoveryMs(moved, markAt(moved, 'move leaders'), topic, [0, 1]);

          // 2. SIGKILL the broker leading most partitions, other than the coordinator; consume; restart it.
          const coordinator = await coordinatorOf(env, groupId);
          const now = await describePartitions(env, topic);
          const count = (id: number): number => now.filter((p) => p.leader === id).length;
          const victim = ([1, 2, 3] as NodeId[]).filter((id) => id !== coordinator).sort((x, y) => count(y) - count(x))[0];
          const victimParts = now.filter((p) => p.leader === victim).map((p) => p.partition);
          await killBroker(victim);
          // Marked once the process is gone: records written before are no evidence of recovery.
          scenario.mark('kill broker');
          await waitUntil(`new leaders for the partitions of broker ${victim}`, async () =>
            (await describePartitions(env, topic)).every((p) => p.leader >= 0 && p.leader !== victim), 120_000, 500);
          const killed = await waitLedger(group, `deliveries of broker ${victim}'s partitions from their new leaders`,
            (l) => recoveryMs(l, markAt(l, 'kill broker'), topic, victimParts) !== null, 180_000);
          const killRecover = recoveryMs(killed, markAt(killed, 'kill broker'), topic, victimParts);
          await startBroker(victim);
          await waitIsr(env, [topic]);
          scenario.mark('broker back');

          // 3. Preferred-leader election: every partition back to its first replica.
          for (const p of await describePartitions(env, topic)) {
            if (p.leader !== p.replicas[0]) await electPreferred(env, topic, p.partition, p.replicas[0]);
          }
          scenario.mark('elected');
          await waitLedger(group, 'deliveries after the election', (l) => recoveryMs(l, markAt(l, 'elected'), topic, [...Array(PARTITIONS).keys()]) !== null, 120_000);

          await writer.stop();
          writer = undefined;
          await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 180_000);
          scenario.mark('stopping');
          const beforeStop = group.load();
          await stopAll(group.live());
          const final = group.load();
          const settledAt = markAt(final, 'settled');
          const stoppingAt = markAt(final, 'stopping');
          const check = final.check({ allowDuplicatesInWindow: false });
          const rebalances = rebalanceEventsSince(beforeStop, settledAt);
          const resets = marksSince(final, 0, 'offsetReset:').filter((m) => m.label !== 'offsetReset:no-committed-offset');
          const errors = marksSince(final, settledAt, 'error:').filter((m) => m.at < stoppingAt);
          const commitFailures = final.events.filter((e) => e.t === 'commitFailed' && e.at >= settledAt && e.at < stoppingAt)
            .map((e) => (e.t === 'commitFailed' ? `${e.member} ${e.error}` : ''));
          finish(`R4 broker faults (${protocol})`, {
            check,
            startedAt: started,
            recoverMs: killRecover,
            notes: `leader moves of 2 partitions (recovered in ${moveRecover} ms), SIGKILL of broker ${victim} (leader of ${victimParts.length}; coordinator ${coordinator}), restart, preferred election`,
            // The rebalance first: it explains the resume violations that follow from it (the table keeps 3 notes).
            failures: [
              rebalances.length > 0 && `the assignment changed ${rebalances.length} times: ${rebalances.slice(0, 5).map((e) => `${e.t} ${e.member} ${e.partitions.map((p) => p.partition).join(',')} at +${Math.round(e.at - settledAt)} ms`).join(', ')}; ${groupLogSince(final, settledAt, stoppingAt)}`,
              ...resumeViolations(final),
              resets.length > 0 && `offset resets: ${resets.map((m) => `${m.member} ${m.label}`).join(', ')}`,
              errors.length > 0 && `errors surfaced by poll(): ${errors.slice(0, 5).map((m) => `${m.member} ${m.label}`).join('; ')}`,
              commitFailures.length > 0 && `${commitFailures.length} commits failed: ${commitFailures.slice(0, 3).join('; ')}`,
            ],
          });
        } finally {
          await writer?.stop().catch(() => {});
          await group.dispose();
          // Whatever happened, leave the cluster whole for the next scenario.
          for (const id of [1, 2, 3] as NodeId[]) await startBroker(id).catch(() => {});
        }
      });
    }
  });
}
