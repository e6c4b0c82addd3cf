// gregor groups reset-offsets against the real broker, judged by Kafka's own tool: for each combination of scope and
// scenario, gregor's plan equals what `kafka-consumer-groups --reset-offsets --dry-run` computes for the same
// arguments on the same group state, for a classic group and a KIP-848 group at once (Kafka's tool takes both
// groups in one JVM run). The state exercises every rule: a log start above 0 (clamping below), a partition without
// a committed offset (--to-current), record timestamps spread over hours (--to-datetime, --by-duration, an empty
// answer falling back to the log end). Then --execute, read back with Kafka's --describe; and the refusal while
// the group has members, naming them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gregor } from './run-gregor.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer } from '../../../src/index.js';
import { committedOffsets, ensureKafka, kafkaTool, uniqueName } from '../helpers/kafka.js';


/** GROUP TOPIC PARTITION NEW-OFFSET rows (both tools print this table) as sorted 'group topic partition offset' lines. */
function plan(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const header = lines.findIndex((l) => /^GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET$/.test(l));
  assert.ok(header >= 0, `no GROUP TOPIC PARTITION NEW-OFFSET table in:\n${text}`);
  return lines.slice(header + 1).filter((l) => /^\S+\s+\S+\s+\d+\s+\d+$/.test(l)).map((l) => l.split(/\s+/).join(' ')).sort();
}

const MINUTE = 60_000;
/** Records per partition; partition 0's log start is moved to 4 (delete-records). */
const COUNTS = [20, 12, 6];
let bootstrap = '';
let config = '';
let topic = '';
let classicGroup = '';
let consumerGroup = '';
/** Record i of every partition has timestamp base + 10 i minutes; the newest is minutes old, the oldest hours. */
let base = 0;
let admin: Admin;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  config = join(mkdtempSync(join(tmpdir(), 'gregor-reset-')), 'config.ini');
  writeFileSync(config, `[default]\nbootstrap.servers=${bootstrap}\n`);
  topic = uniqueName('reset-offsets');
  classicGroup = uniqueName('reset-classic');
  consumerGroup = uniqueName('reset-kip848');
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 3 }]);
  // 5 minutes off the 10-minute grid, so --by-duration's "now" may move by minutes between the two tools' runs
  // without changing the answer.
  base = Date.now() - 205 * MINUTE;
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    for (const [partition, count] of COUNTS.entries()) {
      for (let i = 0; i < count; i++) await producer.send({ topic, partition, value: `p${partition}-${i}`, timestamp: base + i * 10 * MINUTE });
    }
    await producer.flush();
  } finally {
    await producer.close();
  }
  const spec = join(mkdtempSync(join(tmpdir(), 'gregor-reset-')), 'delete.json');
  writeFileSync(spec, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, offset: 4 }] }));
  await kafkaTool('delete-records', ['--bootstrap-server', bootstrap, '--offset-json-file', spec]);

  // The classic group: offsets written as an admin (gregor's alterGroupOffsets), none for partition 2.
  await admin.alterGroupOffsets(classicGroup, [{ topic, partition: 0, offset: 10n }, { topic, partition: 1, offset: 3n }]);
  // The KIP-848 group: a member joins, commits partitions 0 and 1 and leaves, so the group is Empty.
  const member = new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': consumerGroup, 'group.protocol': 'consumer', 'enable.auto.commit': false });
  try {
    member.subscribe([topic]);
    const deadline = Date.now() + 30_000;
    while (member.assignment().length < 3) {
      assert.ok(Date.now() < deadline, 'the KIP-848 member got no assignment in 30 s');
      await member.poll(200);
    }
    await member.commit([{ topic, partition: 0, offset: 12n }, { topic, partition: 1, offset: 5n }]);
  } finally {
    await member.close();
  }
  const [c, k] = await admin.describeGroups([classicGroup, consumerGroup]);
  assert.deepEqual([c.type, c.state, k.type, k.state], ['classic', 'Empty', 'consumer', 'Empty']);
});

after(async () => {
  await admin?.close();
});

/** Kafka's dry run for both groups, and gregor's for each, with the same scope and scenario arguments. */
async function compare(args: string[]): Promise<string[]> {
  const [kafka, ...ours] = await Promise.all([
    kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--reset-offsets', '--group', classicGroup, '--group', consumerGroup, ...args, '--dry-run']),
    ...[classicGroup, consumerGroup].map((g) => gregor(['groups', 'reset-offsets', config, '--group', g, ...args, '--dry-run'])),
  ]);
  for (const r of ours) assert.equal(r.code, 0, `gregor ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  const expected = plan(kafka.stdout);
  assert.deepEqual(ours.flatMap((r) => plan(r.stdout)).sort(), expected, `gregor and Kafka differ for ${args.join(' ')}`);
  return expected;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '');

test('reset-offsets dry runs equal kafka-consumer-groups --reset-offsets for the same arguments (classic and KIP-848 groups)', async () => {
  // Two tools at a time: the JVM's start dominates, and the machine is shared.
  const earliest = await compare(['--topic', topic, '--to-earliest']);
  assert.ok(earliest.includes(`${classicGroup} ${topic} 0 4`), 'partition 0 starts at 4 after delete-records');
  const shifted = await compare(['--topic', `${topic}:0,1`, '--shift-by', '-7']);
  assert.ok(shifted.includes(`${classicGroup} ${topic} 0 4`) && shifted.includes(`${classicGroup} ${topic} 1 0`), 'clamped to the log start');
  const toOffset = await compare(['--all-topics', '--to-offset', '9']);
  assert.ok(toOffset.includes(`${consumerGroup} ${topic} 0 9`), 'in range: as asked');
  assert.ok(!toOffset.some((l) => l.endsWith(` ${topic} 2 9`)), '--all-topics: only partitions with a committed offset');
  await compare(['--topic', topic, '--to-offset', '15']); // partitions 1 and 2 clamped to their log end
  const current = await compare(['--topic', topic, '--to-current']);
  assert.ok(current.includes(`${classicGroup} ${topic} 2 6`), 'no committed offset: the log end');
  const datetime = await compare(['--topic', topic, '--to-datetime', iso(base + 72.5 * MINUTE)]);
  assert.ok(datetime.includes(`${classicGroup} ${topic} 0 8`) && datetime.includes(`${classicGroup} ${topic} 2 6`), 'first offset at or after; the log end when none');
  const duration = await compare(['--topic', topic, '--by-duration', 'PT1H']);
  assert.ok(duration.includes(`${consumerGroup} ${topic} 0 15`), 'now minus an hour');
});

test('reset-offsets --execute commits the plan: Kafka reads back the offsets its own dry run computed', async () => {
  const args = ['--topic', `${topic}:0,1`, '--to-datetime', iso(base + 25 * MINUTE)];
  const expected = await compare(args);
  const runs = await Promise.all([classicGroup, consumerGroup].map((g) => gregor(['groups', 'reset-offsets', config, '--group', g, ...args, '--execute'])));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /dry run/);
  }
  const readBack = (await Promise.all([classicGroup, consumerGroup].map(async (g) => (await committedOffsets(g)).map((o) => `${g} ${o.topic} ${o.partition} ${o.offset}`))))
    .flat().filter((l) => !l.endsWith(' null') && !/ 2 \d+$/.test(l)).sort();
  assert.deepEqual(readBack, expected);
  const [c, k] = await admin.describeGroups([classicGroup, consumerGroup]);
  assert.deepEqual([c.type, k.type], ['classic', 'consumer'], 'an admin commit does not change the group type');
});

test('reset-offsets is refused while the group has members, naming them; nothing is committed', async () => {
  const members = [
    new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': classicGroup, 'enable.auto.commit': false }),
    new Consumer({ 'bootstrap.servers': bootstrap, 'group.id': consumerGroup, 'group.protocol': 'consumer', 'enable.auto.commit': false }),
  ];
  try {
    for (const m of members) m.subscribe([topic]);
    const deadline = Date.now() + 30_000;
    while (members.some((m) => m.assignment().length < 3)) {
      assert.ok(Date.now() < deadline, 'members got no assignment in 30 s');
      await Promise.all(members.map((m) => m.poll(100)));
    }
    const before = await Promise.all([classicGroup, consumerGroup].map((g) => admin.listGroupOffsets(g)));
    const described = await admin.describeGroups([classicGroup, consumerGroup]);
    for (const g of described) {
      const r = await gregor(['groups', 'reset-offsets', config, '--group', g.groupId, '--topic', topic, '--to-earliest', '--execute']);
      assert.equal(r.code, 1, `exit 1 for ${g.groupId}:\n${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`group '${g.groupId}' is (Stable|Reconciling|Assigning|PreparingRebalance|CompletingRebalance) with 1 member`));
      assert.ok(r.stderr.includes(g.members[0].memberId), `names the member ${g.members[0].memberId}:\n${r.stderr}`);
    }
    const afterwards = await Promise.all([classicGroup, consumerGroup].map((g) => admin.listGroupOffsets(g)));
    assert.deepEqual(afterwards, before);
  } finally {
    await Promise.all(members.map((m) => m.close()));
  }
});
