// R21 share broker kill, with Kafka's own Java client as the members: the same failure as the gregor row
// (r21-share-broker-kill.long.test.ts) with three ConsoleShareConsumer processes (Kafka's Java KafkaShareConsumer,
// implicit acknowledgement) in place of gregor's ShareConsumer. It exists to tell a client's defect from the
// broker's: records written while the leader of partition 0 is SIGKILLed must all be acknowledged in the end, which
// the broker shows as every partition's share-partition start offset (SPSO) reaching the log end (lag 0,
// KIP-1226). When this row strands records too, no client can deliver them and the gregor row's failure is the
// broker's.
import { after, before, test } from 'node:test';
import { Producer } from '../../../src/index.js';
import { stopKafka, uniqueName, type KafkaEnv } from '../../integration/helpers/kafka.js';
import { javaShareGroupOffsets, startJavaShareConsumer, type JavaShareConsumer } from '../../integration/helpers/share.js';
import { finish } from '../report.js';
import { shareCheck } from '../share-checks.js';
import { clusterEnv, coordinatorOf, describePartitions, killBroker, sleep, startBroker, waitIsr, waitUntil, withAdmin, type NodeId } from './control.js';

const PARTITIONS = 3;
const PER_PARTITION = 600;
const STEP = 25;
const LOCK_MS = 15_000;

let env: KafkaEnv;
before(async () => { env = await clusterEnv(); });
after(() => { if (env?.startedNow) stopKafka(3); });

test('R21 share broker kill, Java members: the leader of a share partition SIGKILLed while three ConsoleShareConsumers read; every record acknowledged', { timeout: 420_000 }, async () => {
  const started = Date.now();
  const topic = uniqueName('r21-bkj');
  const group = uniqueName('r21-bkj-g');
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
  const members: JavaShareConsumer[] = [];
  for (let i = 0; i < 3; i++) {
    members.push(await startJavaShareConsumer(topic, group, {
      bootstrap: env.bootstrap,
      properties: { 'max.poll.records': String(STEP), 'client.id': `r21-bkj-${i}` },
      formatter: { 'print.partition': 'true', 'print.offset': 'true', 'print.value': 'false' },
    }));
  }
  // The records are written in steps while the members read, so that acquisitions are in flight when the leader dies
  // (a ConsoleShareConsumer reads a finished topic in well under a second).
  const producer = new Producer({ 'bootstrap.servers': env.bootstrap, acks: 'all', 'gregor.log.level': 'error', 'request.timeout.ms': 10_000 });
  let written = 0;
  let victim: NodeId | undefined;
  let victimParts: number[] = [];
  let coordinatorKilled = false;
  let killedAt = 0;
  let waitError: string | null = null;
  let lagNote = '';
  try {
    const writer = (async () => {
      while (written < PER_PARTITION) {
        const n = Math.min(STEP, PER_PARTITION - written);
        const batch = Array.from({ length: n * PARTITIONS }, (_, j) => ({ topic, partition: j % PARTITIONS, value: `r${(written + Math.floor(j / PARTITIONS)) * PARTITIONS + (j % PARTITIONS)}` }));
        for (;;) {
          try { await producer.sendBatch(batch); break; } catch { await sleep(200); }
        }
        written += n;
        await sleep(100);
      }
    })();
    await waitUntil('a third of the records written', () => written >= PER_PARTITION / 3, 120_000, 20);
    const parts = await describePartitions(env, topic);
    victim = parts[0].leader as NodeId;
    victimParts = parts.filter((p) => p.leader === victim).map((p) => p.partition);
    coordinatorKilled = (await coordinatorOf(env, group)) === victim;
    await killBroker(victim);
    killedAt = Date.now();
    await writer;
    // Acknowledged everywhere: every partition's start offset at the log end (the Java tool's view: lag 0).
    await waitUntil('every record acknowledged (share-group lag 0 on every partition)', async () => {
      const rows = await javaShareGroupOffsets(group, { bootstrap: env.bootstrap }).catch(() => []);
      lagNote = rows.map((r) => `${r.partition}: start ${r.startOffset ?? '-'} lag ${r.lag ?? '-'}`).join(', ');
      return rows.length === PARTITIONS && rows.every((r) => r.lag === 0n);
    }, 180_000, 1_000).catch((err: unknown) => { waitError = (err as Error).message; });
  } finally {
    await producer.close();
    await Promise.all(members.map((m) => m.stop()));
    if (victim !== undefined) {
      await startBroker(victim);
      await waitIsr(env, [topic, '__consumer_offsets', '__share_group_state']);
    }
  }
  // Lines are "Partition:N\tOffset:M" (print.value=false).
  const deliveries = members.flatMap((m) => m.lines.map((l) => {
    const p = /Partition:(\d+)/.exec(l);
    const o = /Offset:(\d+)/.exec(l);
    // The tool prints no delivery count: every delivery is treated as after the failover, so this row checks loss
    // and the final acknowledgement, not two holders at once (the gregor row checks that).
    return p && o ? { partition: Number(p[1]), offset: BigInt(o[1]), deliveryCount: 1, at: Number.MAX_SAFE_INTEGER } : null;
  }).filter((d) => d !== null));
  const total = PARTITIONS * PER_PARTITION;
  const check = shareCheck(total, deliveries, { failoverAt: killedAt });
  finish('R21 share broker kill (Java members)', {
    check,
    recoverMs: null,
    startedAt: started,
    notes: `broker ${victim} (leader of partition(s) ${victimParts.join(',')}${coordinatorKilled ? ', the group coordinator' : ''}) SIGKILLed; printed ${members.map((m) => m.lines.length).join('/')} lines; offsets at the end: ${lagNote}`,
    failures: [
      waitError !== null && `${waitError}: ${lagNote}`,
      check.lost > 0 && `${check.lost} record(s) never printed by any member`,
    ],
  });
});
