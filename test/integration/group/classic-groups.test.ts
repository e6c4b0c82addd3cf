// Classic group protocol acceptance (issue 5) against the real broker: a mixed group of gregor members and Kafka's
// Java console consumer splits the partitions without overlap and consumes everything once, for an EAGER assignor
// (range) and a COOPERATIVE one (cooperative-sticky, KIP-429); and the rebalance time when a member joins, printed
// as a figure (no timed assertion: speed is measured, not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, Message, TopicPartition } from '../../../src/index.js';
import { KAFKA_TOOL, committedOffsets, createTopic, endOffsets, ensureKafka, kafkaTool, produce, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from '../consumer/env.js';

const PARTITIONS = 6;

function waitFor(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

/** Polls in the background (as an application would) and records what the member receives. */
function run(c: Consumer, sink: Message[]): { stop: () => Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const m = await c.poll(200);
      if (m !== null) sink.push(m);
    }
  })();
  return { stop: async () => { stopped = true; await loop; } };
}

const key = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;

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

/**
 * What the member processes report (member-child.ts), checked as records arrive: per member and partition, offsets
 * increase; a record delivered a second time must be at or after the last acknowledged commit of its partition
 * (the only records a new owner may re-read).
 */
class Ledger {
  readonly delivered = new Map<number, Map<bigint, number>>();
  readonly committed = new Map<number, bigint>();
  readonly lastByMember = new Map<string, bigint>();
  readonly problems: string[] = [];
  readonly events: string[] = [];
  duplicates = 0;
  total = 0;
  /** Delivery time of the latest record per partition (for rebalance figures). */
  readonly lastSeen = new Map<number, number>();

  line(l: string): void {
    const f = l.split(' ');
    if (f[0] === 'D') {
      const [, name, ps, os] = f;
      const p = Number(ps);
      const o = BigInt(os!);
      const prev = this.lastByMember.get(`${name}/${p}`);
      if (prev !== undefined && o <= prev) this.problems.push(`${name} delivered ${p}@${o} after ${p}@${prev}`);
      this.lastByMember.set(`${name}/${p}`, o);
      let m = this.delivered.get(p);
      if (m === undefined) this.delivered.set(p, (m = new Map()));
      const seen = m.get(o) ?? 0;
      if (seen > 0) {
        this.duplicates++;
        const c = this.committed.get(p) ?? 0n;
        if (o < c) this.problems.push(`${name} re-delivered ${p}@${o}, before the committed offset ${c}`);
      }
      m.set(o, seen + 1);
      this.total++;
      this.lastSeen.set(p, Date.now());
    } else if (f[0] === 'C') {
      for (const po of f[2]!.split(',')) {
        const [p, o] = po.split(':');
        this.committed.set(Number(p), BigInt(o!));
      }
    } else if (l.trim() !== '') {
      this.events.push(l);
    }
  }

  /** Every offset below the end of each partition delivered at least once. */
  missing(ends: Map<number, bigint>): string[] {
    const out: string[] = [];
    for (const [p, end] of ends) {
      const m = this.delivered.get(p) ?? new Map<bigint, number>();
      for (let o = 0n; o < end; o++) if (!m.has(o)) { out.push(`${p}@${o}`); if (out.length > 20) return out; }
    }
    return out;
  }

  deliveredCount(ends: Map<number, bigint>): number {
    let n = 0;
    for (const [p] of ends) n += this.delivered.get(p)?.size ?? 0;
    return n;
  }
}

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'member-child.js');

interface Member { name: string; proc: ChildProcess; assigned: () => number; firstAssignedAt: () => number | undefined; exited: Promise<number | null> }

function startMember(ledger: Ledger, args: { bootstrap: string; topic: string; group: string; name: string; strategy: string; sessionTimeoutMs: number }): Member {
  const proc = spawn(process.execPath, [CHILD, args.bootstrap, args.topic, args.group, args.name, args.strategy, String(args.sessionTimeoutMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  let owned = new Set<number>();
  let firstAssignedAt: number | undefined;
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const f = l.split(' ');
      const ps = f[2] === undefined || f[2] === '' ? [] : f[2].split(',').map(Number);
      if (f[0] === 'A') owned = new Set([...owned, ...ps]);
      if (f[0] === 'A' && ps.length > 0) firstAssignedAt ??= Date.now();
      if (f[0] === 'R' || f[0] === 'L') owned = new Set([...owned].filter((p) => !ps.includes(p)));
      ledger.line(l);
    }
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    if (code !== 0 && code !== null) ledger.problems.push(`${args.name} exited ${code}: ${err}`);
    resolve(code);
  }));
  return { name: args.name, proc, assigned: () => owned.size, firstAssignedAt: () => firstAssignedAt, exited };
}

/** Kafka's Java producer (console-producer, one JVM per batch) writing batches until stop(). */
function backgroundProducer(topic: string): { stop: () => Promise<number> } {
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      await produce(topic, Array.from({ length: 300 }, (_, i) => ({ key: `k${n + i}`, value: `v${n + i}` })));
      n += 300;
    }
  })();
  return { stop: async () => { stopped = true; await loop; return n; } };
}

test('classic group: a SIGKILLed member\'s partitions move to the survivor; nothing lost, re-reads only after its last commit', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('kill');
  const group = uniqueName('gkill');
  await createTopic(topic, PARTITIONS);
  const ledger = new Ledger();
  const common = { bootstrap: env.bootstrap, topic, group, strategy: 'cooperative-sticky', sessionTimeoutMs: 6000 };
  const a = startMember(ledger, { ...common, name: 'a' });
  const b = startMember(ledger, { ...common, name: 'b' });
  const producer = backgroundProducer(topic);
  try {
    await waitFor(() => a.assigned() > 0 && b.assigned() > 0 && a.assigned() + b.assigned() === PARTITIONS, 'a and b to split the partitions');
    await waitFor(() => ledger.total > 1500, 'both members to consume for a while');
    const killedAt = Date.now();
    b.proc.kill('SIGKILL');
    await b.exited;
    await waitFor(() => a.assigned() === PARTITIONS, 'the survivor to own every partition', 60_000);
    console.log(`# SIGKILL: survivor owns every partition ${Date.now() - killedAt} ms after the kill (session.timeout.ms 6000)`);
    const sentAfter = ledger.total;
    await waitFor(() => ledger.total > sentAfter + 600, 'the survivor to keep consuming');
  } finally {
    const produced = await producer.stop();
    const ends = await endOffsets(topic);
    const end = [...ends.values()].reduce((x, y) => x + y, 0n);
    assert.equal(end, BigInt(produced), 'the producer wrote what it said');
    await waitFor(() => ledger.deliveredCount(ends) >= produced, 'the survivor to consume everything', 60_000).catch(() => {});
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGKILL');
    await a.exited;
  }
  const ends = await endOffsets(topic);
  assert.deepEqual(ledger.missing(ends), [], 'nothing lost');
  assert.deepEqual(ledger.problems, [], 'ordering per member and re-reads only after the last commit');
  console.log(`# SIGKILL: ${ledger.total} deliveries, ${ledger.deliveredCount(ends)} distinct records, ${ledger.duplicates} re-read after the killed member's last commit`);
});

for (const strategy of ['range', 'cooperative-sticky'] as const) {
  test(`classic group (${strategy}): scale out and in (1 -> 3 -> 1 processes) under Kafka's Java producer; ledger: nothing lost, order kept per member`, async () => {
    const env = await ensureKafka();
    const topic = uniqueName('scale');
    const group = uniqueName('gscale');
    await createTopic(topic, PARTITIONS);
    const ledger = new Ledger();
    const common = { bootstrap: env.bootstrap, topic, group, strategy, sessionTimeoutMs: 10_000 };
    const RECORDS = 50_000;
    // producer-perf-test at 2000 records/s: a steady stream for about 25 s while the group changes.
    const producing = kafkaTool('producer-perf-test', ['--topic', topic, '--num-records', String(RECORDS), '--record-size', '100',
      '--throughput', '2000', '--producer-props', `bootstrap.servers=${env.bootstrap}`, 'acks=all', 'linger.ms=5'], { timeoutMs: 180_000 });
    const members: Member[] = [startMember(ledger, { ...common, name: 'm1' })];
    const allConsumingSince = (t: number): boolean => [...Array(PARTITIONS).keys()].every((p) => (ledger.lastSeen.get(p) ?? 0) >= t);
    try {
      await waitFor(() => members[0]!.assigned() === PARTITIONS && allConsumingSince(Date.now() - 1000), 'm1 to consume every partition');
      for (const name of ['m2', 'm3']) {
        const t0 = Date.now();
        const m = startMember(ledger, { ...common, name });
        members.push(m);
        await waitFor(() => m.firstAssignedAt() !== undefined, `${name} to be assigned partitions`);
        const assignedAt = m.firstAssignedAt()!;
        await waitFor(() => allConsumingSince(assignedAt), `every partition to be consumed again after ${name} joined`);
        console.log(`# rebalance ${strategy}: ${name} joins (${members.length} members): assigned ${assignedAt - t0} ms after its process started; every partition consumed again ${Date.now() - t0} ms after`);
      }
      await waitFor(() => members.every((m) => m.assigned() > 0) && members.reduce((n, m) => n + m.assigned(), 0) === PARTITIONS, 'three members to share the partitions');
      for (const m of [members[2]!, members[1]!]) {
        const t0 = Date.now();
        m.proc.kill('SIGTERM');
        assert.equal(await m.exited, 0, `${m.name} left cleanly`);
        const left = members.filter((x) => x !== m && x.proc.exitCode === null);
        await waitFor(() => left.reduce((n, x) => n + x.assigned(), 0) === PARTITIONS, `the others to own every partition after ${m.name} left`);
        console.log(`# rebalance ${strategy}: ${m.name} leaves: the others own every partition ${Date.now() - t0} ms after SIGTERM`);
      }
      await producing;
      const ends = await endOffsets(topic);
      await waitFor(() => ledger.deliveredCount(ends) >= RECORDS, 'm1 to consume everything', 90_000);
      assert.equal(members[0]!.assigned(), PARTITIONS, 'm1 owns every partition again');
      assert.deepEqual(ledger.missing(ends), [], 'nothing lost');
      assert.deepEqual(ledger.problems, [], 'order per member, re-reads only after the last commit');
      console.log(`# scale ${strategy}: ${ledger.total} deliveries of ${RECORDS} records, ${ledger.duplicates} re-read; events: ${ledger.events.filter((e) => /^[ARL] /.test(e)).join(' | ')}`);
    } finally {
      for (const m of members) m.proc.kill('SIGTERM');
      await Promise.all(members.map((m) => m.exited));
      await producing.catch(() => {});
    }
  });
}
