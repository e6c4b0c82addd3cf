// R21 share groups (KIP-932): the faults a share-group member meets, judged like the other scenarios. A share group
// has no order and no commits, so the ledger's partition-order checks do not apply; what is checked is its own
// contract: every record written is delivered (nothing lost); a record comes back only with its delivery count
// raised (deliveryCount 1 twice would be two holders at once); the records of a failed member come back to the
// others. The broker-kill row (a share coordinator moving) needs a broker that may be stopped: left to a run against
// a broker of its own (the shared single node is never stopped). Member kill: a member process SIGKILLed while it
// holds records it never acknowledged.
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Admin, Producer, ShareConsumer, type ShareMessage } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../../integration/helpers/kafka.js';
import type { ShareChildArgs } from '../../integration/share/share-child.js';
import type { LedgerCheck } from '../../support/ledger.js';
import { finish } from '../report.js';

const CHILD = fileURLToPath(new URL('../../integration/share/share-child.js', import.meta.url));
const PARTITIONS = 4;
const PER_PARTITION = 500;
/** The broker's minimum (group.share.min.record.lock.duration.ms). */
const LOCK_MS = 15_000;

async function setup(prefix: string): Promise<{ bootstrap: string; topic: string; group: string }> {
  const { bootstrap } = await ensureKafka();
  const topic = uniqueName(prefix);
  const group = uniqueName(`${prefix}-g`);
  const admin = new Admin({ 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
    await admin.incrementalAlterConfigs([{
      type: 'group', name: group, configs: [
        { name: 'share.auto.offset.reset', op: 'set', value: 'earliest' },
        { name: 'share.record.lock.duration.ms', op: 'set', value: String(LOCK_MS) },
      ],
    }]);
  } finally {
    await admin.close();
  }
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await producer.sendBatch(Array.from({ length: PARTITIONS * PER_PARTITION }, (_, i) => ({ topic, partition: i % PARTITIONS, value: `r${i}` })));
  } finally {
    await producer.close();
  }
  return { bootstrap, topic, group };
}

const key = (partition: number, offset: bigint) => `${partition}/${offset}`;

/** The share-group contract as a ledger check: lost, redeliveries, and first deliveries to two holders. */
function shareCheck(produced: number, deliveries: readonly { partition: number; offset: bigint; deliveryCount: number }[]): LedgerCheck {
  const seen = new Map<string, number>();
  const firsts = new Map<string, number>();
  for (const d of deliveries) {
    const k = key(d.partition, d.offset);
    seen.set(k, (seen.get(k) ?? 0) + 1);
    if (d.deliveryCount === 1) firsts.set(k, (firsts.get(k) ?? 0) + 1);
  }
  const twoHolders = [...firsts].filter(([, n]) => n > 1).map(([k]) => k);
  const lost = produced - seen.size;
  const violations = [
    ...(lost > 0 ? [`${lost} record(s) delivered to no member`] : []),
    ...twoHolders.slice(0, 50).map((k) => `${k} delivered with deliveryCount 1 twice (two holders at once)`),
  ];
  return {
    produced, delivered: deliveries.length, distinct: seen.size, lost, pastEnd: 0, duplicated: deliveries.length - seen.size,
    duplicatesOutsideWindow: twoHolders.length, replayed: 0, outOfOrder: 0, gaps: 0, commitRegressions: 0, commitsNotOwned: 0,
    deliveredNotOwned: 0, abortedDelivered: 0, foreign: 0, finalCommitMismatches: 0, handOverErrors: 0, assignmentErrors: 0,
    finalCommits: new Map(), violations, duplicates: [],
  };
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
