// R17 follower fetching with racks (../shared/notes/reliability.md), on the three-node cluster of scripts/kafka.mjs
// (node N in rack "rackN", RackAwareReplicaSelector). One member (a separate process) of a group reads three
// partitions replicated three times with client.rack set to the rack of a node that is not the group coordinator
// (so that the kill below is not R5's coordinator failover). Then, while a writer keeps adding (acks=all):
//   1. the brokers' own metrics (kafka.network RequestMetrics FetchConsumer, over JMX) show that the node of the
//      member's rack served its fetches, the leaders only the few answers naming it (KIP-392 preferredReadReplica);
//   2. that node is SIGKILLed: every partition is read again (from the leaders, or new leaders for those it led),
//      and the surviving brokers' consumer Fetch rate stays bounded meanwhile (no busy loop between a leader that
//      still names the dead replica and the replica that cannot be reached);
//   3. it is started again and catches up: the member reads from it again.
// Passes when nothing is lost, nothing is delivered twice (no rebalance, so no at-least-once window), nothing is out
// of order or skipped, no offset is reset, no error reaches poll(), and the assignment never changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueName, stopKafka, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { Ledger } from '../../support/ledger.js';
import { finish } from '../report.js';
import { backgroundWriter, createLedgerTopic, writeLedger } from '../writer.js';
import { groupLogSince, markAt, marksSince, rebalanceEventsSince, recoveryMs, resumeViolations } from './checks.js';
import { clusterEnv, coordinatorOf, describePartitions, killBroker, SESSION_OVER_FAILOVER_MS, startBroker, waitIsr, waitUntil, type NodeId } from './control.js';
import { consumerFetches, delta } from './jmx.js';
import { Group } from './members.js';
import { stopAll, waitLedger } from './scenario.js';

const PARTITIONS = 3;
const PER_PARTITION = 300;
/**
 * Consumer Fetch requests per second a surviving broker may serve while the replica is dead. The member long-polls
 * (fetch.max.wait.ms 500) and the writer adds a round every 100 ms, so about 10 a second is the expected rate; the
 * busy loop this guards against ran at hundreds a second.
 */
const MAX_FETCH_RATE = 40;

const fmt = (m: ReadonlyMap<number, number>): string => [...m].map(([id, n]) => `node ${id}: ${n}`).join(', ');

describe('R17 follower fetching (three-node cluster with racks)', () => {
  let env: KafkaEnv;
  before(async () => { env = await clusterEnv(); });
  after(() => { if (env?.startedNow) stopKafka(3); });

  it('R17: reads from the same-rack follower; its death moves reading to the leaders and back, without gap, duplicate or busy loop', { timeout: 300_000 }, async () => {
    assert.ok(env.racks, 'the three-node cluster runs without racks (started with --no-racks): stop it and start it with racks');
    const started = Date.now();
    const topic = uniqueName('r17');
    const groupId = uniqueName('r17-group');
    await createLedgerTopic(env.bootstrap, topic, PARTITIONS, { replicationFactor: 3 });
    await waitIsr(env, [topic]);
    const ledger = new Ledger();
    const scenario = ledger.member('scenario');
    await writeLedger(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perPartition: PER_PARTITION, valueBytes: 100 });
    const coordinator = await coordinatorOf(env, groupId);
    const layout = await describePartitions(env, topic);
    // The rack's node: not the coordinator, and preferably a follower of most partitions.
    const rackNode = ([1, 2, 3] as NodeId[]).filter((id) => id !== coordinator)
      .sort((x, y) => layout.filter((p) => p.leader === x).length - layout.filter((p) => p.leader === y).length)[0];
    const rack = env.nodes.find((n) => n.id === rackNode)?.rack ?? `rack${rackNode}`;
    const group = new Group(ledger, {
      bootstrap: env.bootstrap, topic, group: groupId, commitEvery: 100,
      // The session outlasts the coordinator's stall while the killed node is fenced (control.ts).
      properties: { 'group.protocol': 'classic', 'session.timeout.ms': SESSION_OVER_FAILOVER_MS, 'heartbeat.interval.ms': 500, 'client.rack': rack },
    });
    let writer: { stop(): Promise<unknown> } | undefined;
    let killed = false;
    try {
      // 1. Reading from the rack's node.
      const s0 = await consumerFetches(env);
      group.start('a');
      await waitLedger(group, 'the backlog', (l) => l.distinctDelivered() >= PARTITIONS * PER_PARTITION, 120_000);
      scenario.mark('settled');
      writer = backgroundWriter(ledger, { bootstrap: env.bootstrap, topic, partitions: PARTITIONS, perRound: 10, pauseMs: 100, valueBytes: 100, properties: { 'gregor.log.level': 'error' } });
      await waitLedger(group, 'live records', (l) => recoveryMs(l, markAt(l, 'settled'), topic, [0, 1, 2]) !== null, 60_000);
      const s1 = await consumerFetches(env);
      const reading = delta(s1, s0);
      const total = [...reading.values()].reduce((a, b) => a + b, 0);
      const served = reading.get(rackNode) ?? 0;

      // 2. The rack's node dies.
      await killBroker(rackNode);
      killed = true;
      scenario.mark('kill');
      const killAt = Date.now();
      const s2 = await consumerFetches(env);
      const dead = await waitLedger(group, `deliveries of every partition after node ${rackNode} died`,
        (l) => recoveryMs(l, markAt(l, 'kill'), topic, [0, 1, 2]) !== null, 120_000);
      const killRecover = recoveryMs(dead, markAt(dead, 'kill'), topic, [0, 1, 2]);
      const s3 = await consumerFetches(env);
      const seconds = Math.max(1, (Date.now() - killAt) / 1000);
      const whileDead = delta(s3, s2);
      whileDead.delete(rackNode);
      const rates = new Map([...whileDead].map(([id, n]) => [id, Math.round(n / seconds)]));

      // 3. It comes back; the leaders name it again.
      await startBroker(rackNode);
      killed = false;
      scenario.mark('back');
      const s4 = await consumerFetches(env);
      // It rejoins the ISR once caught up; then the leaders name it again and the member reads from it.
      await waitUntil(`consumer fetches served by node ${rackNode} again`, async () =>
        ((await consumerFetches(env)).get(rackNode) ?? 0) - (s4.get(rackNode) ?? 0) >= 5, 120_000, 1000);
      const backAfter = Math.round(Date.now() - markAt(group.load(), 'back'));

      await writer.stop();
      writer = undefined;
      await waitLedger(group, 'every acknowledged write to be delivered', (l) => l.distinctDelivered() >= l.producedCount(), 120_000);
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
      const fast = [...rates].filter(([, r]) => r > MAX_FETCH_RATE);
      finish('R17 follower fetching', {
        check,
        startedAt: started,
        recoverMs: killRecover,
        notes: `client.rack=${rack}: node ${rackNode} served ${served} of ${total} consumer fetches (${fmt(reading)}); ` +
          `node ${rackNode} SIGKILLed: every partition read again after ${killRecover} ms, consumer fetches/s meanwhile ${fmt(rates)}; ` +
          `after its restart read from it again within ${backAfter} ms`,
        failures: [
          served < total * 0.75 && `node ${rackNode} (rack ${rack}) served only ${served} of ${total} consumer fetches: ${fmt(reading)}`,
          fast.length > 0 && `busy loop: consumer fetches per second while node ${rackNode} was dead: ${fmt(rates)} (limit ${MAX_FETCH_RATE})`,
          rebalances.length > 0 && `the assignment changed ${rebalances.length} times; ${groupLogSince(final, settledAt, stoppingAt)}`,
          ...resumeViolations(final),
          resets.length > 0 && `offset resets: ${resets.map((m) => `${m.member} ${m.label}`).join(', ')}`,
          errors.length > 0 && `errors surfaced by poll(): ${errors.slice(0, 5).map((m) => `${m.member} ${m.label}`).join('; ')}`,
        ],
      });
    } finally {
      await writer?.stop().catch(() => {});
      await group.dispose();
      if (killed) await startBroker(rackNode).catch(() => {});
    }
  });
});
