// R21 share broker kill (three-node cluster): three share-group members (KIP-932) read a 3-partition topic
// replicated three times while its records are written; the leader of partition 0 is SIGKILLed mid-way, more records
// are written to the new leaders, and the broker is started again. Acquisition locks live on a partition's leader:
// a new leader starts from the share state the share coordinator persisted, so what the dead leader had handed out
// and not yet persisted comes again (at-least-once: duplicates are counted and reported, not failed). Passes when
// every record written is accepted by some member (the broker's answers: accepts sent less refusals), the members
// read the dead leader's partitions from their new leaders, and no commit() hangs. One exception, reported apart: an
// accept whose first request got no answer (the leader's share-state write waited on the killed broker past
// request.timeout.ms) and that the broker refused when it was sent again (maybeApplied): the first may have counted.
// It counts as accepted when the broker offers the record to nobody again within two lock durations: the record was
// handled, and a broker that had not counted the accept would have handed it out again once the lock was gone. Kafka's Java members in the same failure
// (r21-share-broker-kill-java.long.test.ts, request.timeout.ms 30 s) get their answers and see no such refusal.
import { after, before, test } from 'node:test';
import { Producer, ShareConsumer, type ShareMessage } from '../../../src/index.js';
import { stopKafka, uniqueName, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { javaShareGroupOffsets } from '../../integration/helpers/share.js';
import { finish } from '../report.js';
import { AcceptLedger, shareCheck } from '../share-checks.js';
import { clusterEnv, coordinatorOf, describePartitions, killBroker, sleep, startBroker, waitIsr, waitUntil, withAdmin, type NodeId } from './control.js';

const PARTITIONS = 3;
const BEFORE = 300;
const AFTER = 300;
const LOCK_MS = 15_000;

let env: KafkaEnv;
before(async () => { env = await clusterEnv(); });
after(() => { if (env?.startedNow) stopKafka(3); });

async function write(topic: string, from: number, count: number): Promise<void> {
  const producer = new Producer({ 'bootstrap.servers': env.bootstrap, acks: 'all', 'gregor.log.level': 'error' });
  try {
    for (let i = from; i < from + count; i += 50) {
      await producer.sendBatch(Array.from({ length: Math.min(50, from + count - i) * PARTITIONS }, (_, j) => ({ topic, partition: j % PARTITIONS, value: `r${i * PARTITIONS + j}` })));
    }
  } finally {
    await producer.close();
  }
}

test('R21 share broker kill: the leader of a share partition SIGKILLed while three members read; every record accepted, duplicates counted', { timeout: 420_000 }, async () => {
  const started = Date.now();
  const topic = uniqueName('r21-bk');
  const group = uniqueName('r21-bk-g');
  await withAdmin(env, async (admin) => {
    await admin.createTopics([{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }]);
    await admin.incrementalAlterConfigs([{
      type: 'group', name: group, configs: [
        { name: 'share.auto.offset.reset', op: 'set', value: 'earliest' },
        { name: 'share.record.lock.duration.ms', op: 'set', value: String(LOCK_MS) },
      ],
    }]);
  });
  await waitIsr(env, [topic]);
  await write(topic, 0, BEFORE);
  const total = PARTITIONS * (BEFORE + AFTER);

  const members = ['a', 'b', 'c'].map((name) => {
    const c = new ShareConsumer({
      'bootstrap.servers': env.bootstrap, 'group.id': group, 'client.id': `r21-bk-${name}`, 'gregor.log.level': 'warn',
      'share.acknowledgement.mode': 'explicit', 'max.poll.records': 25, 'request.timeout.ms': 10_000,
    });
    return { name, c, ledger: new AcceptLedger(c), hung: 0 };
  });
  const deliveries: { partition: number; offset: bigint; deliveryCount: number; at: number; member: string }[] = [];
  const applied = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of members) x.ledger.applied(m);
    return m;
  };
  const acceptedCount = (): number => [...applied().values()].filter((n) => n > 0).length;
  let stop = false;
  const loops = members.map(async (x) => {
    x.c.subscribe([topic]);
    while (!stop) {
      const got: ShareMessage[] = await x.c.poll(200).catch(() => []);
      if (got.length === 0) continue;
      const now = Date.now();
      for (const m of got) deliveries.push({ partition: m.partition, offset: m.offset, deliveryCount: m.deliveryCount, at: now, member: x.name });
      x.ledger.accept(x.c, got);
      // A member handles a batch in ~50 ms, so the reading spans the kill.
      await sleep(50);
      const settled = await Promise.race([x.c.commit().then(() => true, () => true), sleep(60_000).then(() => false)]);
      if (!settled) x.hung++;
    }
  });

  let victim: NodeId | undefined;
  let killedAt = 0;
  let victimParts: number[] = [];
  let coordinatorKilled = false;
  let waitError: string | null = null;
  let state = '';
  try {
    await waitUntil('a third of the records accepted', () => acceptedCount() >= (PARTITIONS * BEFORE) / 3, 120_000, 50);
    const parts = await describePartitions(env, topic);
    victim = parts[0].leader as NodeId;
    victimParts = parts.filter((p) => p.leader === victim).map((p) => p.partition);
    coordinatorKilled = (await coordinatorOf(env, group)) === victim;
    await killBroker(victim);
    killedAt = Date.now();
    await waitUntil(`new leaders for broker ${victim}'s partitions`, async () =>
      (await describePartitions(env, topic)).every((p) => p.leader >= 0 && p.leader !== victim), 120_000, 500);
    await write(topic, BEFORE, AFTER);
    // Settled: accepted, or refused after an unanswered attempt (maybeApplied). Those get two lock durations more to
    // come again: a record the broker did not count is handed out again once its lock is gone.
    const settledCount = (): number => {
      const maybe = new Set(members.flatMap((x) => [...x.ledger.maybeApplied]));
      return [...applied()].filter(([k, n]) => n > 0 || maybe.has(k)).length;
    };
    await waitUntil('every record accepted', () => settledCount() >= total, 180_000, 100).catch((err: unknown) => { waitError = (err as Error).message; });
    if (waitError === null && acceptedCount() < total) await sleep(2 * LOCK_MS);
    state = members.map((x) => { const m = x.c.metrics(); return `${x.name}: ${m.assignedPartitions} assigned, ${m.requests.shareFetch} fetches, ${m.acknowledgementFailures} refused`; }).join('; ');
  } finally {
    stop = true;
    await Promise.all(loops);
    await Promise.all(members.map((x) => x.c.close()));
    if (victim !== undefined) {
      await startBroker(victim);
      await waitIsr(env, [topic, '__consumer_offsets', '__share_group_state']);
    }
  }
  const perRecord = applied();
  const maybe = new Set(members.flatMap((x) => [...x.ledger.maybeApplied]));
  // Never accepted by the answers, but refused only after an unanswered attempt, and not handed out again afterwards.
  const answerLost = [...perRecord].filter(([k, n]) => n <= 0 && maybe.has(k)).map(([k]) => k);
  for (const k of answerLost) perRecord.set(k, 1);
  // The broker's persisted view, reported (not judged): its share-group lag (KIP-1226, as kafka-share-groups prints
  // it). After this failover it can stay above 0 for a partition whose every record was accepted by the answers (the
  // start offset stuck where the share-state writes to the killed broker failed); a new leader would start there and
  // hand the rest out again (at least once), nothing lost.
  let lagNote = '';
  let lagZero = false;
  await waitUntil('share-group lag 0 on every partition', async () => {
    const rows = await javaShareGroupOffsets(group, { bootstrap: env.bootstrap }).catch(() => []);
    lagNote = rows.map((r) => `${r.partition}: start ${r.startOffset ?? '-'} lag ${r.lag ?? '-'}`).join(', ');
    return (lagZero = rows.length === PARTITIONS && rows.every((r) => r.lag === 0n));
  }, 30_000, 1_000).catch(() => {});
  const neverAccepted = [...perRecord].filter(([, n]) => n <= 0).map(([k]) => k);
  const story = (k: string): string => `${k}: ` + deliveries.filter((d) => `${d.partition}/${d.offset}` === k).map((d) => `${d.member} dc${d.deliveryCount} @${d.at - killedAt}ms`).join(' ') +
    ' | ' + members.map((x) => `${x.name} sent ${x.ledger.sent.get(k) ?? 0} refused ${x.ledger.refused.get(k) ?? 0}`).join(', ');
  const perPartition = Array.from({ length: PARTITIONS }, (_, p) => [...perRecord].filter(([k, n]) => n > 0 && k.startsWith(`${p}/`)).length);
  const twice = [...perRecord.values()].filter((n) => n > 1).length;
  const back = deliveries.filter((d) => d.at > killedAt && victimParts.includes(d.partition));
  const check = shareCheck(total, deliveries, { failoverAt: killedAt });
  const againAsFirst = deliveries.filter((d) => d.at > killedAt && d.deliveryCount === 1 && deliveries.some((e) => e.at <= killedAt && e.partition === d.partition && e.offset === d.offset)).length;
  const byMember = members.map((x) => `${x.name} ${deliveries.filter((d) => d.member === x.name).length}`).join(', ');
  finish('R21 share broker kill', {
    check,
    recoverMs: back.length === 0 ? null : back[0].at - killedAt,
    startedAt: started,
    notes: `broker ${victim} (leader of partition(s) ${victimParts.join(',')}${coordinatorKilled ? ', the group coordinator' : ''}) SIGKILLed; deliveries ${byMember}; ${check.duplicated} redelivered (at-least-once; ${againAsFirst} of them by a new leader with deliveryCount 1 again), ${twice} accepted twice; refusals ${members.map((x) => x.c.metrics().acknowledgementFailures).join('/')}; ${answerLost.length} accepted with the answer lost (maybeApplied, not handed out again)${answerLost.length > 0 ? ` e.g. ${story(answerLost[0])}` : ''}; share-group offsets at the end${lagZero ? '' : ' (the broker\'s persisted state lags)'}: ${lagNote}`,
    failures: [
      (neverAccepted.length > 0 || perRecord.size !== total) && `${total - perRecord.size + neverAccepted.length} record(s) never accepted${neverAccepted.length > 0 ? `: ${neverAccepted.slice(0, 3).map(story).join('; ')}` : ''}`,
      waitError !== null && `${waitError}: accepted per partition ${perPartition.join('/')} of ${BEFORE + AFTER}; ${state}`,
      back.length === 0 && `nothing read from broker ${victim}'s partitions after the kill`,
      members.some((x) => x.hung > 0) && `commit() did not settle within 60 s (${members.map((x) => x.hung).join('/')})`,
    ],
  });
});
