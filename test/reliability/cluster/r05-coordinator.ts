// R5 group coordinator moves, on the three-node cluster (../shared/notes/reliability.md): two members (separate
// processes, commits every 200 records) of a group read six partitions while a writer keeps adding. Then:
//   1. the coordinator moves without a crash: the leader of the group's __consumer_offsets partition is moved to
//      another broker (reassignment + preferred election), so the old one answers NOT_COORDINATOR;
//   2. the (new) coordinator broker is SIGKILLed: requests to it fail with a lost connection, and the group is
//      loaded by the next leader of its __consumer_offsets partition; the broker is started again.
// Passes when no error reaches poll() or a manual commit (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// COORDINATOR_LOAD_IN_PROGRESS and lost connections are retried with backoff inside gregor), commits are
// acknowledged again after each move, committed offsets never go backwards, nothing is lost or out of order, and
// duplicates (only if a rebalance happened) stay after the last commit. Run for classic and KIP-848 groups.
import { after, before, describe, it } from 'node:test';
import { uniqueName, stopKafka, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { markAt, marksSince, rebalanceEventsSince, resumeViolations, settledOn } from './checks.js';
import { clusterEnv, coordinatorOf, killBroker, moveCoordinator, SESSION_OVER_FAILOVER_MS, startBroker, waitIsr, waitUntil, type NodeId } from './control.js';
import { Group } from './members.js';
import { stopAll, waitLedger } from './scenario.js';

const PARTITIONS = 6;
const PROTOCOLS = [
  // A SIGKILLed coordinator is replaced once the controller fences it (~9 s broker session) and the group is loaded:
  // heartbeats fail meanwhile. A member with no successful heartbeat for session.timeout.ms takes its session as
  // lost (rightly, in general), so the session is kept well above that failover time (control.ts).
  { protocol: 'classic', properties: { 'group.protocol': 'classic', 'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': SESSION_OVER_FAILOVER_MS, 'heartbeat.interval.ms': 500 } },
  { protocol: 'consumer', properties: { 'group.protocol': 'consumer' } },
] as const;

/** Milliseconds from the mark `label` to the first commit acknowledged after it (any member), or undefined. */
function commitAfter(l: Ledger, label: string): number | undefined {
  const t = l.markTime(label);
  if (t === undefined) return undefined;
  const c = l.events.find((e) => e.t === 'committed' && e.at >= t);
  return c === undefined ? undefined : Math.round(c.at - t);
}

/** Registers the scenario for these group protocols ('classic', 'consumer'). */
export function registerR5(protocols: readonly string[]): void {
  describe('R5 group coordinator moves (three-node cluster)', () => {
    let env: KafkaEnv;
    before(async () => { env = await clusterEnv(); });
    after(() => { if (env?.startedNow) stopKafka(3); });

    for (const { protocol, properties } of PROTOCOLS.filter((p) => protocols.includes(p.protocol))) {
      it(`R5 (${protocol}): coordinator moved and killed; retriable errors not surfaced, offsets never regress`, { timeout: 600_000 }, async () => {
        const started = Date.now();
        const topic = uniqueName(`r5-${protocol}`);
        const groupId = uniqueName('r5-group');
        await createLedgerTopic(env.bootstrap, topic, PARTITIONS, { replicationFactor: 3 });
        await waitIsr(env, [topic]);
        const ledger = new Ledger();
        const scenario = ledger.member('scenario');
        await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: 300, valueBytes: 100 });
        const group = new Group(ledger, { bootstrap: env.bootstrap, topic, group: groupId, commitEvery: 200, properties });
        let writer: { stop(): Promise<unknown> } | undefined;
        try {
          group.start('a');
          group.start('b');
          await waitLedger(group, 'a two-way split', (l) => settledOn(l, topic, PARTITIONS, ['a#1', 'b#1']) && l.distinctDelivered() >= PARTITIONS * 300, 180_000);
          scenario.mark('settled');
          writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 20, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });

          // 1. Move the coordinator (the leader of the group's __consumer_offsets partition) to another broker.
          const first = await coordinatorOf(env, groupId);
          const target = ([1, 2, 3] as NodeId[]).find((id) => id !== first) as NodeId;
          scenario.mark('move coordinator');
          await moveCoordinator(env, groupId, target);
          await waitUntil(`node ${target} to coordinate the group`, async () => (await coordinatorOf(env, groupId)) === target, 120_000, 500);
          await waitLedger(group, 'a commit acknowledged by the new coordinator', (l) => commitAfter(l, 'move coordinator') !== undefined, 120_000);

          // 2. SIGKILL the coordinator broker; the group moves to the next leader of its partition; restart.
          await killBroker(target);
          // Marked once the process is gone: a commit acknowledged before says nothing.
          scenario.mark('kill coordinator');
          const next = await waitUntil('another coordinator', async () => {
            const c = await coordinatorOf(env, groupId);
            return c !== target ? c : undefined;
          }, 120_000, 500);
          await waitLedger(group, 'a commit acknowledged after the kill', (l) => commitAfter(l, 'kill coordinator') !== undefined, 180_000);
          await startBroker(target);
          await waitIsr(env, [topic, '__consumer_offsets']);
          scenario.mark('broker back');
          await waitLedger(group, 'a commit acknowledged after the restart', (l) => commitAfter(l, 'broker back') !== undefined, 120_000);

          await writer.stop();
          writer = undefined;
          await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 180_000);
          scenario.mark('stopping');
          await stopAll(group.live());
          const final = group.load();
          const settledAt = markAt(final, 'settled');
          const stoppingAt = markAt(final, 'stopping');
          const check = final.check();
          const errors = marksSince(final, settledAt, 'error:').filter((m) => m.at < stoppingAt);
          const commitFailures = final.events.filter((e) => e.t === 'commitFailed' && e.at >= settledAt && e.at < stoppingAt)
            .map((e) => (e.t === 'commitFailed' ? `${e.member} ${e.error}` : ''));
          const rebalances = rebalanceEventsSince(final, settledAt).filter((e) => e.at < stoppingAt);
          const moveMs = commitAfter(final, 'move coordinator');
          const killMs = commitAfter(final, 'kill coordinator');
          finish(`R5 coordinator moves (${protocol})`, {
            check,
            startedAt: started,
            recoverMs: killMs ?? null,
            notes: `coordinator ${first} -> ${target} by leader move (first commit after ${moveMs} ms), SIGKILL of ${target} -> ${next} ` +
              `(first commit after ${killMs} ms; recover = that); ${rebalances.length} assignment events during the faults`,
            failures: [
              ...resumeViolations(final),
              errors.length > 0 && `errors surfaced by poll(): ${errors.slice(0, 5).map((m) => `${m.member} ${m.label}`).join('; ')}`,
              commitFailures.length > 0 && `${commitFailures.length} commits failed: ${commitFailures.slice(0, 3).join('; ')}`,
            ],
          });
        } finally {
          await writer?.stop().catch(() => {});
          await group.dispose();
          for (const id of [1, 2, 3] as NodeId[]) await startBroker(id).catch(() => {});
        }
      });
    }
  });
}
