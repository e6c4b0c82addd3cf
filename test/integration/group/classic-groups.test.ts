// Classic group protocol acceptance (issue 5) against the real broker: a mixed group of gregor members and Kafka's
// Java console consumer splits the partitions without overlap and consumes everything once, for an EAGER assignor
// (range) and a COOPERATIVE one (cooperative-sticky, KIP-429); static membership (KIP-345). Scaling out and in,
// SIGKILL of a member and the rebalance times are in scale.test.ts (member processes and a ledger).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Message, TopicPartition } from '../../../src/index.js';
import { KAFKA_TOOL, committedOffsets, createTopic, ensureKafka, kafkaTool, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from '../consumer/env.js';
import { key, run, waitFor } from './support.js';

const PARTITIONS = 6;

/** Partitions of `topic` per client id, as `consumer-groups --describe --members --verbose` prints them. */
async function describedAssignment(bootstrap: string, group: string, topic: string): Promise<{ byClient: Map<string, string[]>; text: string }> {
  const d = await kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--members', '--verbose', '--group', group], { check: false });
  const byClient = new Map<string, string[]>();
  for (const line of d.stdout.split('\n')) {
    const client = /\b(gregor-[ab]|java-member)\b/.exec(line)?.[1];
    if (client === undefined) continue;
    const parts = [...new Set([...line.matchAll(new RegExp(`${topic}:([\\d,]+)`, 'g'))]
      .flatMap((m) => m[1]!.split(',').map((p) => `${topic}:${p}`)))];
    byClient.set(client, parts);
  }
  return { byClient, text: d.stdout + d.stderr };
}

const STRATEGIES = [
  { gregor: 'cooperative-sticky', java: 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor' },
  { gregor: 'range', java: 'org.apache.kafka.clients.consumer.RangeAssignor' },
] as const;

for (const strategy of STRATEGIES) {
  test(`classic mixed group (${strategy.gregor}): two gregor members and a Java console consumer split the partitions and consume everything once`, async () => {
    const env = await ensureKafka();
    const topic = uniqueName('mixed');
    const group = uniqueName('gmixed');
    await createTopic(topic, PARTITIONS);
    const props = {
      'group.id': group, 'group.protocol': 'classic', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 500, 'partition.assignment.strategy': strategy.gregor,
    };
    const a = await newConsumer({ ...props, 'client.id': 'gregor-a' });
    const b = await newConsumer({ ...props, 'client.id': 'gregor-b' });
    const gotA: Message[] = [];
    const gotB: Message[] = [];
    a.subscribe([topic]);
    b.subscribe([topic]);
    const runA = run(a, gotA);
    const runB = run(b, gotB);
    const java = spawn(KAFKA_TOOL, ['console-consumer', '--bootstrap-server', env.bootstrap, '--topic', topic, '--group', group,
      '--from-beginning', '--consumer-property', 'group.protocol=classic', '--consumer-property', 'client.id=java-member',
      '--consumer-property', `partition.assignment.strategy=${strategy.java}`,
      '--consumer-property', 'session.timeout.ms=10000', '--consumer-property', 'heartbeat.interval.ms=500',
      '--consumer-property', 'auto.commit.interval.ms=200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let javaOut = '';
    let javaErr = '';
    java.stdout.on('data', (d: Buffer) => { javaOut += d.toString(); });
    java.stderr.on('data', (d: Buffer) => { javaErr += d.toString(); });
    const javaValues = (): string[] => javaOut.split('\n').filter((l) => l.startsWith('v'));
    try {
      // Wait until Kafka's view and the gregor members' own view agree on a three-way split covering every partition.
      let view = { byClient: new Map<string, string[]>(), text: '' };
      const settled = (): boolean => {
        const mineA = a.assignment().map(key);
        const mineB = b.assignment().map(key);
        const javaParts = view.byClient.get('java-member') ?? [];
        const all = [...mineA, ...mineB, ...javaParts];
        return mineA.length > 0 && mineB.length > 0 && javaParts.length > 0 && all.length === PARTITIONS && new Set(all).size === PARTITIONS
          && [...(view.byClient.get('gregor-a') ?? [])].sort().join() === [...mineA].sort().join()
          && [...(view.byClient.get('gregor-b') ?? [])].sort().join() === [...mineB].sort().join();
      };
      const deadline = Date.now() + 120_000;
      while (!settled()) {
        if (Date.now() > deadline) assert.fail(`no settled three-way split: a=${a.assignment().map(key).join()} b=${b.assignment().map(key).join()}\n${view.text}\n${javaErr}`);
        await new Promise((r) => setTimeout(r, 500));
        view = await describedAssignment(env.bootstrap, group, topic);
      }
      const ownedA = new Set(a.assignment().map(key));
      const ownedB = new Set(b.assignment().map(key));
      const ownedJava = new Set(view.byClient.get('java-member'));
      console.log(`# ${strategy.gregor}: gregor-a ${[...ownedA].map((k) => k.split(':')[1]).join(',')} | gregor-b ${[...ownedB].map((k) => k.split(':')[1]).join(',')} | java ${[...ownedJava].map((k) => k.split(':')[1]).join(',')}`);

      const COUNT = 3000;
      await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
      await waitFor(() => gotA.length + gotB.length + javaValues().length >= COUNT, 'every record to be consumed');
      await new Promise((r) => setTimeout(r, 1500)); // anything delivered twice would show up now
      for (const m of gotA) assert.ok(ownedA.has(key(m)), `gregor-a received ${key(m)} it does not own`);
      for (const m of gotB) assert.ok(ownedB.has(key(m)), `gregor-b received ${key(m)} it does not own`);
      const all = [...gotA.map((m) => m.valueString()), ...gotB.map((m) => m.valueString()), ...javaValues()];
      assert.equal(new Set(all).size, COUNT, 'together they consumed everything');
      assert.equal(all.length, COUNT, 'no record twice');
      assert.ok(javaValues().length > 0 && gotA.length > 0 && gotB.length > 0, 'each member consumed its share');
      console.log(`# ${strategy.gregor}: records gregor-a ${gotA.length}, gregor-b ${gotB.length}, java ${javaValues().length} (total ${all.length} of ${COUNT})`);
    } finally {
      java.kill('SIGTERM');
      await runA.stop();
      await runB.stop();
      await Promise.all([a.close(), b.close()]);
    }
  });
}

test('classic static membership (KIP-345): restarting a static member within session.timeout.ms revokes nothing on the other member', async () => {
  const topic = uniqueName('static');
  const group = uniqueName('gstatic');
  await createTopic(topic, 4);
  // range is EAGER: any rebalance would revoke every partition of the other member, so "no revoke" means "no rebalance".
  const props = {
    'group.id': group, 'group.protocol': 'classic', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 30_000,
    'heartbeat.interval.ms': 500, 'partition.assignment.strategy': 'range',
  };
  const other = await newConsumer({ ...props, 'client.id': 'other' });
  const otherRevoked: TopicPartition[][] = [];
  const otherAssigned: TopicPartition[][] = [];
  other.subscribe([topic], { assigned: (p) => { otherAssigned.push(p); }, revoked: (p) => { otherRevoked.push(p); } });
  const gotOther: Message[] = [];
  const runOther = run(other, gotOther);
  let s = await newConsumer({ ...props, 'client.id': 'static-1', 'group.instance.id': 'static-instance-1' });
  const gotS: Message[] = [];
  s.subscribe([topic]);
  let runS = run(s, gotS);
  try {
    await waitFor(() => other.assignment().length > 0 && s.assignment().length > 0 && other.assignment().length + s.assignment().length === 4,
      'the partitions to be split between the two members');
    await new Promise((r) => setTimeout(r, 2000)); // let the join round settle before taking the baseline
    const otherBefore = other.assignment().map(key).sort();
    const staticBefore = s.assignment().map(key).sort();
    const revokesBefore = otherRevoked.length;
    const assignsBefore = otherAssigned.length;
    await produce(topic, Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `before${i}` })));
    await waitFor(() => gotS.length + gotOther.length >= 400, 'the first records to be consumed');

    // Restart: close() sends no LeaveGroup for a static member, and the new instance rejoins under the same id.
    await runS.stop();
    await s.close();
    s = await newConsumer({ ...props, 'client.id': 'static-1', 'group.instance.id': 'static-instance-1' });
    const gotS2: Message[] = [];
    s.subscribe([topic]);
    runS = run(s, gotS2);
    await waitFor(() => s.assignment().length > 0, 'the restarted static member to get its partitions back');
    assert.deepEqual(s.assignment().map(key).sort(), staticBefore, 'the restarted static member got the same partitions');
    await produce(topic, Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `after${i}` })));
    await waitFor(() => [...gotS, ...gotS2, ...gotOther].length >= 800, 'the later records to be consumed');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(otherRevoked.length, revokesBefore, `the other member's revoked listener was not called: ${JSON.stringify(otherRevoked.slice(revokesBefore))}`);
    assert.equal(otherAssigned.length, assignsBefore, 'the other member saw no new assignment');
    assert.deepEqual(other.assignment().map(key).sort(), otherBefore, "the other member's assignment is unchanged");
    const values = [...gotS, ...gotS2, ...gotOther].map((m) => m.valueString());
    assert.equal(new Set(values).size, 800, 'everything consumed');
    assert.equal(values.length, 800, 'the restarted member resumed from its committed offsets: nothing twice');
    for (const m of gotS2) assert.ok(staticBefore.includes(key(m)), `restarted member received ${key(m)} it did not own`);
  } finally {
    await runS.stop();
    await runOther.stop();
    await Promise.all([s.close(), other.close()]);
  }
});

test('classic static membership (KIP-345): a second member with the same group.instance.id fences the first, which never commits', async () => {
  const topic = uniqueName('fence');
  const group = uniqueName('gfence');
  await createTopic(topic, 2);
  await produce(topic, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const props = {
    'group.id': group, 'group.protocol': 'classic', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 30_000,
    'heartbeat.interval.ms': 300, 'enable.auto.commit': false, 'group.instance.id': 'same-instance',
  };
  const first = await newConsumer({ ...props, 'client.id': 'first' });
  const second = await newConsumer({ ...props, 'client.id': 'second' });
  let stopSecond = async (): Promise<void> => {};
  try {
    first.subscribe([topic]);
    const got: Message[] = [];
    while (got.length < 200) {
      const m = await first.poll(30_000);
      assert.ok(m !== null, 'the first member consumes the records');
      got.push(m);
    }
    second.subscribe([topic]);
    // The second instance takes the id over: the broker fences the first on its next heartbeat.
    const runSecond = run(second, []);
    stopSecond = runSecond.stop;
    let fenced: unknown = null;
    const deadline = Date.now() + 60_000;
    while (fenced === null && Date.now() < deadline) {
      try {
        await first.poll(500);
      } catch (e) {
        fenced = e;
      }
    }
    assert.ok(fenced !== null, 'the first member was told it is fenced');
    assert.equal((fenced as { errorName?: string }).errorName, 'FENCED_INSTANCE_ID', String(fenced));
    assert.equal(first.assignment().length, 0, 'the fenced member owns nothing');
    // Its commit attempts fail or have nothing to commit; either way the group holds no offset from it.
    await first.commit().catch(() => {});
    await first.commit([{ topic, partition: 0, offset: 100 }]).then(
      () => assert.fail('a fenced member committed an explicit offset'),
      (e: unknown) => { assert.ok(e instanceof Error); },
    );
    const committed = await committedOffsets(group);
    assert.ok(committed.every((r) => r.offset === null), `no committed offset: ${JSON.stringify(committed, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  } finally {
    await stopSecond();
    await Promise.all([first.close().catch(() => {}), second.close()]);
  }
});

test('classic static membership, COOPERATIVE: fenced at JoinGroup (not at a heartbeat), the member loses its partitions and the application hears FENCED_INSTANCE_ID', async () => {
  const topic = uniqueName('fence-join');
  const other = uniqueName('fence-join-b');
  const group = uniqueName('gfencejoin');
  await createTopic(topic, 2);
  await createTopic(other, 1);
  await produce(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  // Heartbeats far apart, so the first member's next request after the takeover is its JoinGroup.
  const props = {
    'group.id': group, 'group.protocol': 'classic', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 45_000,
    'heartbeat.interval.ms': 20_000, 'enable.auto.commit': false, 'group.instance.id': 'same-instance-join',
    'partition.assignment.strategy': 'cooperative-sticky',
  };
  const first = await newConsumer({ ...props, 'client.id': 'first' });
  const second = await newConsumer({ ...props, 'client.id': 'second' });
  const lost: TopicPartition[] = [];
  first.on('lost', (partitions: TopicPartition[]) => { lost.push(...partitions); });
  let stopSecond = async (): Promise<void> => {};
  try {
    first.subscribe([topic]);
    const got: Message[] = [];
    while (got.length < 20) {
      const m = await first.poll(30_000);
      assert.ok(m !== null, 'the first member consumes the records');
      got.push(m);
    }
    assert.equal(first.assignment().length, 2);
    // The second instance takes the id over (the broker replaces the static member without a rebalance)...
    second.subscribe([topic]);
    const runSecond = run(second, []);
    stopSecond = runSecond.stop;
    await waitFor(() => second.assignment().length === 2, 'the second instance holds both partitions');
    // ... and the first, still holding its partitions (COOPERATIVE keeps them through a rejoin), rejoins with its
    // old member id: JoinGroup answers FENCED_INSTANCE_ID.
    first.subscribe([topic, other]);
    let fenced: unknown = null;
    const deadline = Date.now() + 15_000;
    while (fenced === null && Date.now() < deadline) {
      try {
        await first.poll(500);
      } catch (e) {
        fenced = e;
      }
    }
    assert.equal((fenced as { errorName?: string } | null)?.errorName, 'FENCED_INSTANCE_ID', String(fenced));
    assert.match(String((fenced as Error).message), /JoinGroup/, 'fenced at JoinGroup, not by a heartbeat');
    assert.equal(first.assignment().length, 0, 'the fenced member owns nothing');
    assert.deepEqual(lost.map(key).sort(), [`${topic}:0`, `${topic}:1`], 'its partitions were reported lost');
  } finally {
    await stopSecond();
    await Promise.all([first.close().catch(() => {}), second.close()]);
  }
});
