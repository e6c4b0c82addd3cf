// R21 share groups (KIP-932): the faults a share-group member meets, judged like the other scenarios. A share group
// has no order and no commits, so the ledger's partition-order checks do not apply; what is checked is its own
// contract: every record written is delivered (nothing lost); a record comes back only with its delivery count
// raised (deliveryCount 1 twice would be two holders at once); the records of a failed member come back to the
// others. Member kill: a member process SIGKILLed while it holds records it never acknowledged. Lock expiry: a
// member's handler stalls past the acquisition lock. The broker-kill row runs on the three-node cluster:
// ../cluster/r21-share-broker-kill.long.test.ts (about 4 minutes: not in the CI subset).
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AcknowledgementError, Admin, KafkaError, Producer, ShareConsumer, type ShareMessage } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import { setShareGroupConfigs } from '../../integration/helpers/share.js';
import type { ShareChildArgs } from '../../integration/share/share-child.js';
import { finish } from '../report.js';
import { AcceptLedger, key, shareCheck } from '../share-checks.js';

const CHILD = fileURLToPath(new URL('../../integration/share/share-child.js', import.meta.url));
const PARTITIONS = 4;
const PER_PARTITION = 500;
/** The broker's minimum (group.share.min.record.lock.duration.ms). */
const LOCK_MS = 15_000;

/** A topic of `partitions` x `perPartition` records, written `batch` records per partition at a time. */
async function setup(prefix: string, { partitions = PARTITIONS, perPartition = PER_PARTITION, batch = PER_PARTITION } = {}): Promise<{ bootstrap: string; topic: string; group: string }> {
  const { bootstrap } = await ensureKafka();
  const topic = uniqueName(prefix);
  const group = uniqueName(`${prefix}-g`);
  const admin = new Admin({ 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions }]);
    await setShareGroupConfigs(admin, group, { 'share.auto.offset.reset': 'earliest', 'share.record.lock.duration.ms': String(LOCK_MS) });
  } finally {
    await admin.close();
  }
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    for (let from = 0; from < perPartition; from += batch) {
      const n = Math.min(batch, perPartition - from) * partitions;
      await producer.sendBatch(Array.from({ length: n }, (_, i) => ({ topic, partition: i % partitions, value: `r${from * partitions + i}` })));
    }
  } finally {
    await producer.close();
  }
  return { bootstrap, topic, group };
}

async function drain(c: ShareConsumer, into: ShareMessage[], done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return;
    into.push(...await c.poll(500));
  }
}

test('R21 share member kill: a SIGKILLed member\'s unacknowledged records come back to the others, raised count, nothing lost', { timeout: 180_000 }, async () => {
  const started = Date.now();
  const { bootstrap, topic, group } = await setup('r21-kill');
  const args: ShareChildArgs = { bootstrap, topic, group, mode: 'hold', maxPollRecords: 100 };
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const held: { partition: number; offset: bigint; deliveryCount: number }[] = [];
  let rest = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      const f = l.split(' ');
      if (f[0] === 'A') held.push({ partition: Number(f[1]), offset: BigInt(f[2]), deliveryCount: Number(f[3]) });
    }
  });
  const survivor = new ShareConsumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'gregor.log.level': 'warn' });
  const got: ShareMessage[] = [];
  let killedAt = 0;
  try {
    const heldDeadline = Date.now() + 60_000;
    while (held.length === 0 && Date.now() < heldDeadline) await new Promise((r) => setTimeout(r, 20));
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
    killedAt = Date.now();
    survivor.subscribe([topic]);
    const total = PARTITIONS * PER_PARTITION;
    const heldKeys = new Set(held.map((h) => key(h.partition, h.offset)));
    let firstBack: number | null = null;
    await drain(survivor, got, () => {
      if (firstBack === null && got.some((m) => heldKeys.has(key(m.partition, m.offset)))) firstBack = Date.now();
      return new Set(got.map((m) => key(m.partition, m.offset))).size >= total;
    }, 120_000);
    await survivor.commit();
    const back = got.filter((m) => heldKeys.has(key(m.partition, m.offset)));
    const check = shareCheck(total, [...held, ...got]);
    finish('R21 share member kill', {
      check,
      recoverMs: firstBack === null ? null : Math.max(0, firstBack - killedAt),
      startedAt: started,
      notes: `${PARTITIONS} partitions; the killed member held ${held.length} record(s), all back with deliveryCount >= 2: ${back.every((m) => m.deliveryCount >= 2)}`,
      failures: [
        held.length === 0 && 'the member never held a record before the kill',
        back.length !== heldKeys.size && `${heldKeys.size - back.length} of the killed member's records never came back`,
        back.some((m) => m.deliveryCount < 2) && 'a killed member\'s record came back with deliveryCount 1',
      ],
    });
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await survivor.close();
  }
});

test('R21 share lock expiry: a handler stalled past the lock loses its records to another member (deliveryCount 2), its late accept is refused and counted, nothing lost, nothing accepted twice', { timeout: 180_000 }, async () => {
  const started = Date.now();
  // One partition: both members read it, so the stalled member's records can only come back through lock expiry.
  const partitions = 1;
  const perPartition = 200;
  const { bootstrap, topic, group } = await setup('r21-lock', { partitions, perPartition, batch: 20 });
  const props = { 'bootstrap.servers': bootstrap, 'group.id': group, 'gregor.log.level': 'error', 'share.acknowledgement.mode': 'explicit', 'max.poll.records': 20 } as const;
  const stalled = new ShareConsumer(props);
  const other = new ShareConsumer(props);
  const stalledLedger = new AcceptLedger(stalled);
  const otherLedger = new AcceptLedger(other);
  const total = partitions * perPartition;
  const deliveries: { partition: number; offset: bigint; deliveryCount: number }[] = [];
  const applied = (): Map<string, number> => otherLedger.applied(stalledLedger.applied());
  const done = (): boolean => [...applied().values()].filter((n) => n > 0).length >= total;
  let lateError: unknown = null;
  let stalledBatch: ShareMessage[] = [];
  let firstBack: number | null = null;
  let expiredAt = 0;
  try {
    stalled.subscribe([topic]);
    const firstDeadline = Date.now() + 60_000;
    while (stalledBatch.length === 0 && Date.now() < firstDeadline) stalledBatch = await stalled.poll(500);
    deliveries.push(...stalledBatch);
    const stalledKeys = new Set(stalledBatch.map((m) => key(m.partition, m.offset)));
    expiredAt = Date.now() + LOCK_MS;
    other.subscribe([topic]);
    // The other member reads and accepts while the stalled one's handler runs for 1.3 lock durations.
    const otherLoop = (async () => {
      const deadline = Date.now() + 120_000;
      while (!done() && Date.now() < deadline) {
        const got = await other.poll(500);
        if (got.length === 0) continue;
        deliveries.push(...got);
        if (firstBack === null && got.some((m) => stalledKeys.has(key(m.partition, m.offset)))) firstBack = Date.now();
        otherLedger.accept(other, got);
        await other.commit().catch(() => {});
      }
    })();
    await new Promise((r) => setTimeout(r, LOCK_MS * 1.3));
    // The stalled handler finishes: its accepts come too late.
    stalledLedger.accept(stalled, stalledBatch);
    await stalled.commit().catch((err: unknown) => { lateError = err; });
    const lateRefusals = stalled.metrics().acknowledgementFailures;
    // Back to work: what it buffered before the stall ran out too and is never handed out.
    const deadline = Date.now() + 120_000;
    while (!done() && Date.now() < deadline) {
      const got = await stalled.poll(200);
      deliveries.push(...got);
      stalledLedger.accept(stalled, got);
      await stalled.commit().catch(() => {});
    }
    await otherLoop;
    const perRecord = applied();
    const twice = [...perRecord].filter(([, n]) => n > 1).map(([k]) => k);
    const back = deliveries.filter((d) => stalledKeys.has(key(d.partition, d.offset)) && d.deliveryCount >= 2);
    const check = shareCheck(total, deliveries);
    const typed = lateError instanceof AcknowledgementError && lateError.failures.every((f) => f.error instanceof KafkaError && f.error.errorName === 'INVALID_RECORD_STATE');
    const m = stalled.metrics();
    finish('R21 share lock expiry', {
      check,
      recoverMs: firstBack === null ? null : Math.max(0, firstBack - expiredAt),
      startedAt: started,
      notes: `${partitions} partition, lock ${LOCK_MS} ms, handler stalled ${LOCK_MS * 1.3} ms on ${stalledBatch.length} record(s): ${new Set(back.map((d) => key(d.partition, d.offset))).size} back with deliveryCount >= 2; late accepts refused ${lateRefusals} (INVALID_RECORD_STATE); stalled member's lock expiries ${m.lockExpiries}, refusals in all ${m.acknowledgementFailures}`,
      failures: [
        stalledBatch.length === 0 && 'the stalled member never got a record',
        !typed && `the late accept did not fail with an AcknowledgementError of INVALID_RECORD_STATE: ${String(lateError)}`,
        lateRefusals !== stalledBatch.length && `${lateRefusals} refusal(s) counted for ${stalledBatch.length} late accept(s)`,
        m.acknowledgementFailures !== lateRefusals && `${m.acknowledgementFailures - lateRefusals} accept(s) refused after the stall: an expired record was handed out`,
        new Set(back.map((d) => key(d.partition, d.offset))).size !== stalledKeys.size && 'a stalled record did not come back with deliveryCount >= 2',
        twice.length > 0 && `${twice.length} record(s) accepted twice, e.g. ${twice.slice(0, 3).join(', ')}`,
        [...perRecord.values()].filter((n) => n > 0).length !== total && 'not every record was accepted once',
      ],
    });
  } finally {
    await Promise.all([stalled.close(), other.close()]);
  }
});
