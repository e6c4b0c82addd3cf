// The KIP-848 consumer group protocol (group.protocol=consumer) against the real broker: the broker assigns, gregor
// members reconcile (revoke, acknowledge, assign), share a group with Kafka's Java consumer, follow a broker-side
// regex subscription, hand partitions over from committed offsets, and cannot commit once fenced (member epochs).
// The harness broker lowers the KIP-848 session and heartbeat timeouts; kip848GroupTimeouts lowers them further per
// group. Scaling with member processes, SIGKILL included, is in scale.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { KafkaError, StateError, type Consumer, type Message, type TopicPartition } from '../../../src/index.js';
import { ApiKey, kafkaError, supportedVersions } from '../../../src/protocol/index.js';
import { KAFKA_TOOL, committedOffsets, createTopic, endOffsets, ensureKafka, kafkaTool, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from '../consumer/env.js';
import { RawBroker } from '../protocol/raw-broker.js';
import { MemberReports, startMember, type MemberProcess } from './member-processes.js';
import { idle, key, kip848GroupTimeouts, partitionsOf, run, sleep, waitFor } from './support.js';

async function kip848Consumer(group: string, props: Record<string, unknown> = {}): Promise<Consumer> {
  return newConsumer({ 'group.id': group, 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', ...props });
}

const fastGroup = (group: string): Promise<void> => kip848GroupTimeouts(group, 6000, 250);

test('KIP-848: one member is assigned every partition and consumes each record exactly once', async () => {
  const topic = uniqueName('k848one');
  const group = uniqueName('g848');
  await createTopic(topic, 3);
  await fastGroup(group);
  const COUNT = 900;
  await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const c = await kip848Consumer(group);
  const got: Message[] = [];
  const assigned: TopicPartition[][] = [];
  c.subscribe([topic], { assigned: (p) => { assigned.push(p); } });
  const r = run(c, got);
  try {
    await waitFor(() => got.length >= COUNT, 'every record');
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(got.length, COUNT);
    assert.equal(new Set(got.map((m) => m.valueString())).size, COUNT, 'each record once');
    assert.deepEqual(c.assignment().map(key).sort(), [0, 1, 2].map((p) => `${topic}:${p}`));
    assert.equal(assigned.flat().length, 3);
  } finally {
    await r.stop();
    await c.close();
  }
  const committed = await committedOffsets(group);
  assert.equal(committed.length, 3);
  for (const row of committed) assert.equal(row.lag, 0n, `${topic}[${row.partition}] committed to the end on close`);
});

test('KIP-848: two members split 6 partitions without overlap; on close the other takes over from committed offsets', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('k848two');
  const group = uniqueName('g848');
  await createTopic(topic, 6);
  await fastGroup(group);
  const a = await kip848Consumer(group, { 'client.id': 'member-a' });
  const b = await kip848Consumer(group, { 'client.id': 'member-b' });
  const gotA: Message[] = [];
  const gotB: Message[] = [];
  a.subscribe([topic]);
  let runB = idle;
  const runA = run(a, gotA);
  try {
    await waitFor(() => a.assignment().length === 6, 'a to own every partition');
    const joinedAt = Date.now();
    b.subscribe([topic]);
    runB = run(b, gotB);
    await waitFor(() => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === 6,
      'the partitions to be split between a and b');
    console.log(`# KIP-848 rebalance: member b joined -> all 6 partitions owned again in ${Date.now() - joinedAt} ms`);
    const ownedA = new Set(a.assignment().map(key));
    const ownedB = new Set(b.assignment().map(key));
    assert.equal([...ownedA].filter((k) => ownedB.has(k)).length, 0, 'no partition owned by both');

    const described = await kafkaTool('consumer-groups', ['--bootstrap-server', env.bootstrap, '--describe', '--members', '--verbose', '--group', group]);
    const rows = described.stdout.split('\n').filter((l) => l.includes('member-'));
    assert.equal(rows.length, 2, described.stdout);

    const COUNT = 3000;
    await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await waitFor(() => gotA.length + gotB.length >= COUNT, 'every record to be consumed');
    for (const m of gotA) assert.ok(ownedA.has(key(m)), `a received ${key(m)} it does not own`);
    for (const m of gotB) assert.ok(ownedB.has(key(m)), `b received ${key(m)} it does not own`);
    const values = [...gotA, ...gotB].map((m) => m.valueString());
    assert.equal(new Set(values).size, COUNT, 'each record once');
    assert.equal(values.length, COUNT);

    await runB.stop();
    const leftAt = Date.now();
    await b.close();
    await waitFor(() => a.assignment().length === 6, 'a to own every partition again');
    console.log(`# KIP-848 takeover: member b closed -> a owns all 6 partitions in ${Date.now() - leftAt} ms`);
    await produce(topic, Array.from({ length: 600 }, (_, i) => ({ key: `later${i}`, value: `later${i}` })));
    await waitFor(() => gotA.filter((m) => m.valueString()!.startsWith('later')).length >= 600, 'a to consume the later records');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal([...gotA, ...gotB].length, COUNT + 600, 'nothing was delivered twice across the handover');
  } finally {
    await runA.stop();
    await runB.stop();
    await Promise.all([a.close(), b.close()]);
  }
  const committed = await committedOffsets(group);
  assert.equal(committed.length, 6);
  for (const r of committed) assert.equal(r.lag, 0n);
});

test('KIP-848: a gregor member and a Java console consumer share a group without overlap', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('k848java');
  const group = uniqueName('g848');
  await createTopic(topic, 6);
  await fastGroup(group);
  const g = await kip848Consumer(group, { 'client.id': 'gregor-member' });
  const got: Message[] = [];
  g.subscribe([topic]);
  const r = run(g, got);
  const java = spawn(KAFKA_TOOL, ['console-consumer', '--bootstrap-server', env.bootstrap, '--topic', topic, '--group', group,
    '--from-beginning', '--consumer-property', 'group.protocol=consumer', '--consumer-property', 'client.id=java-member',
    '--consumer-property', 'auto.commit.interval.ms=200'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let javaOut = '';
  java.stdout.on('data', (d: Buffer) => { javaOut += d.toString(); });
  try {
    await waitFor(() => g.assignment().length > 0 && g.assignment().length < 6, 'gregor to share the partitions with Java', 90_000);
    let javaParts: string[] = [];
    let described = '';
    for (let i = 0; i < 40; i++) {
      const d = await kafkaTool('consumer-groups', ['--bootstrap-server', env.bootstrap, '--describe', '--members', '--verbose', '--group', group]);
      const row = d.stdout.split('\n').find((l) => l.includes('java-member'));
      // --verbose prints the current and the target assignment: the same partitions twice once reconciled.
      javaParts = row === undefined ? [] : [...new Set([...row.matchAll(new RegExp(`${topic}:([\\d,]+)`, 'g'))]
        .flatMap((m) => m[1]!.split(',').map((p) => `${topic}:${p}`)))];
      described = d.stdout;
      const mine = g.assignment().map(key);
      if (javaParts.length + mine.length === 6 && javaParts.every((p) => !mine.includes(p))) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const mine = g.assignment().map(key);
    assert.ok(javaParts.length > 0, 'Java owns some partitions');
    assert.equal(javaParts.filter((p) => mine.includes(p)).length, 0, 'no partition owned by both');
    assert.equal(javaParts.length + mine.length, 6, `together they own every partition:\n${described}`);
    const COUNT = 1200;
    await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await waitFor(() => got.length + javaOut.split('\n').filter((l) => l.startsWith('v')).length >= COUNT, 'every record to be consumed');
    const javaValues = javaOut.split('\n').filter((l) => l.startsWith('v'));
    const all = [...got.map((m) => m.valueString()), ...javaValues];
    assert.equal(new Set(all).size, COUNT, 'together they consumed everything');
    assert.equal(all.length, COUNT, 'nothing twice');
    for (const m of got) assert.ok(mine.includes(key(m)), `gregor received ${key(m)} it does not own`);
  } finally {
    java.kill('SIGTERM');
    await r.stop();
    await g.close();
  }
});

test('KIP-848: a regex subscription (evaluated by the broker) picks up a new matching topic', async () => {
  const prefix = uniqueName('k848re');
  const group = uniqueName('g848');
  await createTopic(`${prefix}-a`, 2);
  await fastGroup(group);
  const c = await kip848Consumer(group);
  const got: Message[] = [];
  c.subscribe(new RegExp(`^${prefix.replace(/[^A-Za-z0-9]/g, '\\$&')}-`));
  const r = run(c, got);
  try {
    await waitFor(() => c.assignment().length === 2, 'the first topic to be assigned');
    await createTopic(`${prefix}-b`, 2);
    await produce(`${prefix}-b`, [{ key: 'x', value: 'in-new-topic' }]);
    await waitFor(() => got.some((m) => m.valueString() === 'in-new-topic'), 'the record of the new topic', 90_000);
    assert.equal(c.assignment().length, 4);
    assert.ok(c.assignment().every((tp) => tp.topic.startsWith(prefix)));
  } finally {
    await r.stop();
    await c.close();
  }
});

test('KIP-848: an assignor the broker does not have is a typed fatal error (UNSUPPORTED_ASSIGNOR)', async () => {
  const topic = uniqueName('k848bad');
  const group = uniqueName('g848');
  await createTopic(topic, 1);
  const c = await kip848Consumer(group, { 'group.remote.assignor': 'no-such-assignor' });
  try {
    c.subscribe([topic]);
    await assert.rejects(c.poll(15_000), (err: unknown) => (err as { errorName?: string }).errorName === 'UNSUPPORTED_ASSIGNOR');
  } finally {
    await c.close();
  }
});

test('KIP-848: a member that stops polling past max.poll.interval.ms leaves; its partitions are lost and move', async () => {
  const topic = uniqueName('k848poll');
  const group = uniqueName('g848');
  await createTopic(topic, 2);
  await fastGroup(group);
  const slow = await kip848Consumer(group, { 'client.id': 'slow', 'max.poll.interval.ms': 3000 });
  const other = await kip848Consumer(group, { 'client.id': 'other' });
  const lost: TopicPartition[][] = [];
  slow.subscribe([topic], { lost: (p) => { lost.push(p); } });
  const got: Message[] = [];
  let r = idle;
  try {
    await slow.poll(5000); // joins; then the application stops polling
    await waitFor(() => slow.assignment().length === 2, 'slow to own both partitions');
    await waitFor(() => lost.flat().length === 2, 'slow to report its partitions lost', 30_000);
    assert.equal(slow.assignment().length, 0);
    other.subscribe([topic]);
    r = run(other, got);
    await waitFor(() => other.assignment().length === 2, 'other to own both partitions', 30_000);
  } finally {
    await r.stop();
    await Promise.all([slow.close(), other.close()]);
  }
});

test('KIP-848 static membership: a restart with the same group.instance.id gets its partitions back; a duplicate is refused', async () => {
  const topic = uniqueName('k848static');
  const group = uniqueName('g848');
  await createTopic(topic, 4);
  await kip848GroupTimeouts(group, 20_000, 250);
  const a = await kip848Consumer(group, { 'group.instance.id': 'static-a', 'client.id': 'static-a' });
  const b = await kip848Consumer(group, { 'client.id': 'dynamic-b' });
  let a2: Consumer | null = null;
  let dup: Consumer | null = null;
  const gotA: Message[] = [];
  const gotB: Message[] = [];
  const revokedB: TopicPartition[][] = [];
  a.subscribe([topic]);
  const runA = run(a, gotA);
  let runA2 = idle;
  b.subscribe([topic], { revoked: (p) => { revokedB.push(p); } });
  const runB = run(b, gotB);
  try {
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 'a and b to own two partitions each');
    const ownedA = a.assignment().map(key).sort();
    const ownedB = b.assignment().map(key).sort();
    // Revocations while the group first settled into this split are not the point: count from here on.
    revokedB.length = 0;

    // A second member with the same instance id while a is alive: UNRELEASED_INSTANCE_ID, a typed fatal error.
    dup = await kip848Consumer(group, { 'group.instance.id': 'static-a' });
    dup.subscribe([topic]);
    await assert.rejects(dup.poll(15_000), (err: unknown) => (err as { errorName?: string }).errorName === 'UNRELEASED_INSTANCE_ID');

    // a closes (epoch -2: the broker keeps its assignment); a restart with the same id gets the same partitions.
    await runA.stop();
    await a.close();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(b.assignment().map(key).sort(), ownedB, 'b is not given the static member\'s partitions');
    a2 = await kip848Consumer(group, { 'group.instance.id': 'static-a', 'client.id': 'static-a' });
    a2.subscribe([topic]);
    runA2 = run(a2, []);
    await waitFor(() => a2!.assignment().length === 2, 'the restarted static member to own two partitions');
    assert.deepEqual(a2.assignment().map(key).sort(), ownedA, 'the same partitions as before the restart');
    assert.equal(revokedB.flat().length, 0, 'b had nothing revoked');
  } finally {
    await runA.stop();
    await runB.stop();
    await runA2.stop();
    await Promise.all([a.close(), b.close(), a2?.close(), dup?.close()]);
  }
});

test('KIP-848: subscribe() again changes the subscription in a heartbeat; the old topic is revoked, the new one assigned', async () => {
  const first = uniqueName('k848sub1');
  const second = uniqueName('k848sub2');
  const group = uniqueName('g848');
  await Promise.all([createTopic(first, 2), createTopic(second, 3)]);
  await fastGroup(group);
  await produce(second, [{ key: 'k', value: 'in-second' }]);
  const c = await kip848Consumer(group);
  const revoked: TopicPartition[][] = [];
  const got: Message[] = [];
  c.subscribe([first]);
  const r = run(c, got);
  try {
    await waitFor(() => c.assignment().length === 2, 'the first topic to be assigned');
    c.subscribe([second], { revoked: (p) => { revoked.push(p); } });
    await waitFor(() => c.assignment().length === 3 && c.assignment().every((tp) => tp.topic === second), 'the second topic to replace the first');
    await waitFor(() => got.some((m) => m.valueString() === 'in-second'), 'a record of the second topic');
    assert.deepEqual(revoked.flat().map(key).sort(), [`${first}:0`, `${first}:1`]);
  } finally {
    await r.stop();
    await c.close();
  }
});

interface DescribedMember { memberId: string; memberEpoch: number; partitions: number[] }

/** The group as its coordinator sees it (ConsumerGroupDescribe): member id, epoch and owned partitions per client id. */
async function describeMembers(broker: RawBroker, group: string): Promise<Map<string, DescribedMember>> {
  const res = await broker.send(ApiKey.ConsumerGroupDescribe, supportedVersions(ApiKey.ConsumerGroupDescribe).max, { groupIds: [group], includeAuthorizedOperations: false });
  const g = res.groups[0]!;
  const out = new Map<string, DescribedMember>();
  if (g.errorCode !== 0) return out;
  for (const m of g.members) {
    out.set(m.clientId, {
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      partitions: m.assignment.topicPartitions.flatMap((tp) => [...tp.partitions]).sort((x, y) => x - y),
    });
  }
  return out;
}

test('KIP-848 member-epoch fencing of commits: the broker refuses a live gregor member\'s commit with a stale or future epoch (STALE_MEMBER_EPOCH), the owner\'s offsets stay', async () => {
  const topic = uniqueName('k848epoch');
  const group = uniqueName('g848');
  await createTopic(topic, 4);
  await fastGroup(group);
  const props = { 'enable.auto.commit': false };
  const a = await kip848Consumer(group, { ...props, 'client.id': 'epoch-a' });
  const b = await kip848Consumer(group, { ...props, 'client.id': 'epoch-b' });
  const broker = await RawBroker.plaintext();
  const gotA: Message[] = [];
  const gotB: Message[] = [];
  a.subscribe([topic]);
  const runA = run(a, gotA);
  let runB = idle;
  try {
    await waitFor(() => a.assignment().length === 4, 'a to own every partition');
    let view = new Map<string, DescribedMember>();
    const agrees = async (): Promise<boolean> => {
      view = await describeMembers(broker, group);
      const same = (client: string, c: Consumer): boolean => JSON.stringify(view.get(client)?.partitions ?? null) === JSON.stringify(partitionsOf(c.assignment()));
      return same('epoch-a', a) && (!view.has('epoch-b') || same('epoch-b', b));
    };
    for (const deadline = Date.now() + 60_000; !(await agrees());) {
      assert.ok(Date.now() < deadline, `the coordinator's view to match a's: ${JSON.stringify([...view])}`);
      await sleep(200);
    }
    const before = view.get('epoch-a')!;
    b.subscribe([topic]);
    runB = run(b, gotB);
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 'a and b to own two partitions each');
    const deadline = Date.now() + 60_000;
    while (!(await agrees()) || view.size !== 2) {
      assert.ok(Date.now() < deadline, `the coordinator's view to match the members': ${JSON.stringify([...view])}`);
      await sleep(200);
    }
    const now = view.get('epoch-a')!;
    assert.equal(now.memberId, before.memberId);
    assert.ok(now.memberEpoch > before.memberEpoch, `a's epoch moved on with the rebalance: ${before.memberEpoch} -> ${now.memberEpoch}`);

    await produce(topic, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await waitFor(() => gotA.length + gotB.length >= 200, 'the records to be consumed');
    await Promise.all([a.commit(), b.commit()]);
    const committed = await committedOffsets(group);
    const pa = partitionsOf(a.assignment())[0]!;
    const pb = partitionsOf(b.assignment())[0]!;

    // OffsetCommit v9 (names; v9+ carries the member epoch for KIP-848 members) as member a, offset 0.
    const commitAs = async (memberId: string, epoch: number, partition: number): Promise<number> => {
      const res = await broker.send(ApiKey.OffsetCommit, 9, {
        groupId: group, generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      return res.topics[0]!.partitions[0]!.errorCode;
    };
    const refused: [string, string, number, number, string][] = [
      ['a\'s epoch from before the rebalance, for a partition b owns now', now.memberId, before.memberEpoch, pb, 'STALE_MEMBER_EPOCH'],
      ['an epoch ahead of a\'s, for a\'s own partition', now.memberId, now.memberEpoch + 1, pa, 'STALE_MEMBER_EPOCH'],
      ['a member id the group does not know', randomUUID(), now.memberEpoch, pa, 'UNKNOWN_MEMBER_ID'],
    ];
    for (const [what, memberId, epoch, partition, expected] of refused) {
      const err = kafkaError(await commitAs(memberId, epoch, partition), `OffsetCommit with ${what}`);
      assert.ok(err instanceof KafkaError, what);
      assert.equal(err.errorName, expected, `${what}: ${err.message}`);
      assert.equal(err.retriable, false, `${what}: not retriable (the member must rejoin or refresh its epoch)`);
    }
    // At a member's current epoch the coordinator checks no partition ownership (Kafka 4.3: only older epochs are
    // checked per partition), so a commit for a partition a does not own must be stopped by gregor itself, before
    // any request.
    await assert.rejects(a.commit([{ topic, partition: pb, offset: 0 }]), StateError);
    assert.deepEqual(await committedOffsets(group), committed, 'the refused commits changed no committed offset');
    console.log(`# KIP-848 epoch fencing: a's epoch ${before.memberEpoch} -> ${now.memberEpoch}; refused: ${refused.map(([, , e, p, x]) => `epoch ${e} p${p} ${x}`).join(', ')}`);
  } finally {
    broker.close();
    await runA.stop();
    await runB.stop();
    await Promise.all([a.close(), b.close()]);
  }
});

test('KIP-848: a member whose event loop was blocked beyond max.poll.interval.ms left the group; it cannot commit over the new owner; its partitions are reported lost', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('k848expired');
  const group = uniqueName('g848');
  await createTopic(topic, 2);
  const SESSION_TIMEOUT_MS = 2000;
  await kip848GroupTimeouts(group, SESSION_TIMEOUT_MS, 250);
  const MAX_POLL_INTERVAL_MS = 3000;
  const a = await kip848Consumer(group, { 'client.id': 'blocked', 'enable.auto.commit': false, 'max.poll.interval.ms': MAX_POLL_INTERVAL_MS });
  const lost: number[][] = [];
  a.subscribe([topic], { lost: (p) => { lost.push(partitionsOf(p)); } });
  const gotA: Message[] = [];
  const runA = run(a, gotA);
  const ledger = new MemberReports(topic, 2);
  let other: MemberProcess | null = null;
  try {
    await waitFor(() => a.assignment().length === 2, 'a to own both partitions');
    other = startMember(ledger, { bootstrap: env.bootstrap, topic, group, name: 'other', protocol: 'consumer' });
    await waitFor(() => a.assignment().length === 1 && ledger.owned('other').length === 1, 'a and the other process to own one partition each');
    const mine = partitionsOf(a.assignment())[0]!;
    await produce(topic, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await waitFor(() => gotA.length > 0, 'a to consume');

    // A synchronous handler hogs the thread for 4 session timeouts, longer than max.poll.interval.ms: the heartbeat
    // thread keeps the session meanwhile, then leaves the group (epoch -1) once max.poll.interval.ms has passed, and
    // the coordinator gives the partition to the other process. Right after, still believing it owns the partition,
    // the application commits an offset nobody else would (so the group's offsets show whether it landed): it is
    // refused before any request, as Java's consumer throws CommitFailedException.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(4 * SESSION_TIMEOUT_MS, MAX_POLL_INTERVAL_MS + 2000));
    const attempt = a.commit([{ topic, partition: mine, offset: 999_999 }]).then(() => null, (e: unknown) => e);
    const err = await attempt;
    assert.ok(err instanceof StateError, `the commit is refused: ${String(err)}`);
    assert.match(err.message, /not a member of its group/);
    await waitFor(() => lost.flat().includes(mine), 'a to report its partition lost');
    await waitFor(() => ledger.owned('other').includes(mine), 'the other process to own a\'s partition');
    const committed = await committedOffsets(group);
    assert.ok(committed.every((r) => r.offset !== 999_999n), `the fenced member's commit did not land: ${committed.map((r) => `${r.partition}:${r.offset}`).join(' ')}`);
    console.log(`# KIP-848 poll timeout: the blocked member's commit was refused (${err.name}); partition ${mine} reported lost and taken over`);
  } finally {
    await runA.stop().catch(() => {});
    if (other !== null) {
      other.proc.kill('SIGTERM');
      await other.exited;
    }
    await a.close();
  }
  // The other process's reports: deliveries only of partitions it owned, consecutive within each ownership, its
  // listener events consistent (a holds the rest of the group's history, so neither loss nor hand-over is judged).
  assert.deepEqual(ledger.check(await endOffsets(topic), { complete: false }), []);
});
