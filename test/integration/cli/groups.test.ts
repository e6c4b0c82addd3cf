// gregor groups list / groups describe against the project's real Kafka, compared with what Kafka's own
// consumer-groups tool reports for the same groups at the same moment: a classic group (gregor consumers) and a
// KIP-848 group (Kafka's Java console consumer with group.protocol=consumer; gregor's consumer speaks classic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { gregor } from './run-gregor.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer } from '../../../src/index.js';
import {
  KAFKA_TOOL, ROOT, USERS, committedOffsets, createTopic, ensureKafka, kafkaTool, partitionForKey, produce, uniqueName,
} from '../helpers/kafka.js';


function ini(bootstrap: string, caFile: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gregor-groups-cli-')), 'config.ini');
  writeFileSync(file, `[default]
bootstrap.servers=${bootstrap}
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${USERS.PLAIN.username}
sasl.password=${USERS.PLAIN.password}
ssl.ca.location=${caFile}
`);
  return file;
}

interface Details {
  groupId: string;
  type: string;
  state: string;
  protocolType: string;
  assignor: string;
  coordinator: { id: number; host: string; port: number };
  members: { memberId: string; clientId: string; clientHost: string; assignment: { topic: string; partitions: number[] }[] }[];
  offsets: { topic: string; partition: number; committed: string | null; logEndOffset: string | null; lag: string | null; memberId: string | null }[];
}

/** What Kafka's consumer-groups tool says about a group: --state, --members --verbose, --offsets. */
async function javaView(bootstrap: string, group: string) {
  const [state, members, offsets] = await Promise.all([
    kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--group', group, '--state']),
    kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--group', group, '--members', '--verbose']),
    committedOffsets(group, { bootstrap }),
  ]);
  // GROUP  COORDINATOR (ID)  ASSIGNMENT-STRATEGY  STATE  #MEMBERS, e.g. "g  127.0.0.1:9092  (1)  range  Stable  1"
  const s = new RegExp(`^${group}\\s+\\S+\\s+\\((\\d+)\\)\\s+(\\S+)\\s+(\\S+)\\s+(\\d+)\\s*$`, 'm').exec(state.stdout);
  assert.ok(s !== null, state.stdout);
  // GROUP  CONSUMER-ID  HOST  CLIENT-ID  #PARTITIONS  ...
  const memberRows = members.stdout.split('\n').filter((l) => l.startsWith(`${group} `)).map((l) => l.trim().split(/\s+/));
  return {
    coordinator: Number(s[1]), assignor: s[2], state: s[3], memberCount: Number(s[4]),
    members: new Map(memberRows.map((f) => [f[1], { host: f[2], clientId: f[3], partitions: Number(f[4]) }])),
    offsets,
  };
}

async function describe(file: string, group: string): Promise<Details> {
  const run = await gregor(['groups', 'describe', file, '--group', group, '--format', 'json']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  return JSON.parse(run.stdout) as Details;
}

function sameOffsets(d: Details, java: Awaited<ReturnType<typeof javaView>>): void {
  assert.deepEqual(
    d.offsets.filter((o) => o.committed !== null).map((o) => [o.topic, o.partition, o.committed, o.logEndOffset, o.lag]),
    java.offsets.map((o) => [o.topic, o.partition, String(o.offset), String(o.logEndOffset), String(o.lag)]),
  );
}

test('groups describe / list: a classic group of a gregor consumer, as consumer-groups reports it', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('groups-classic');
  await createTopic(topic, 4);
  const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  await produce(topic, Array.from({ length: 20 }, (_, i) => ({ key: keys[i % keys.length], value: `v${i}` })));
  const group = uniqueName('groups-classic-group');
  const consumer = new Consumer({
    'bootstrap.servers': env.bootstrap, 'group.id': group, 'enable.auto.commit': false, 'auto.offset.reset': 'earliest',
    'partition.assignment.strategy': 'range', 'gregor.log.level': 'error',
  });
  try {
    consumer.subscribe([topic]);
    let read = 0;
    while (read < 20) if ((await consumer.poll(1000)) !== null) read++;
    await consumer.commit();
    // Five more, not read: the lag the views must show.
    await produce(topic, ['a', 'b', 'c', 'd', 'e'].map((key) => ({ key, value: 'later' })));

    const file = ini(env.saslSslBootstrap, env.caFile);
    const [d, java] = await Promise.all([describe(file, group), javaView(env.bootstrap, group)]);
    assert.equal(d.groupId, group);
    assert.equal(d.type, 'classic');
    assert.equal(d.protocolType, 'consumer');
    assert.equal(d.state, 'Stable');
    assert.equal(d.state, java.state);
    assert.equal(d.assignor, java.assignor);
    assert.equal(d.assignor, 'range');
    assert.equal(d.coordinator.id, java.coordinator);
    assert.equal(d.members.length, java.memberCount);
    assert.equal(d.members.length, 1);
    const [member] = d.members;
    assert.deepEqual(java.members.get(member.memberId), { host: member.clientHost, clientId: member.clientId, partitions: 4 });
    assert.deepEqual(member.assignment, [{ topic, partitions: [0, 1, 2, 3] }]);
    sameOffsets(d, java);
    assert.deepEqual(d.offsets.map((o) => o.memberId), [member.memberId, member.memberId, member.memberId, member.memberId]);
    const expectedLag = [0, 1, 2, 3].map((p) => BigInt(['a', 'b', 'c', 'd', 'e'].filter((k) => partitionForKey(k, 4) === p).length));
    assert.deepEqual(d.offsets.map((o) => BigInt(o.lag ?? -1)), expectedLag);

    const list = await gregor(['groups', 'list', file, '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const listed = (JSON.parse(list.stdout) as { groupId: string }[]).find((g) => g.groupId === group);
    assert.deepEqual(listed, { groupId: group, state: 'Stable', protocolType: 'consumer', groupType: 'classic' });
    const text = await gregor(['groups', 'list', file]);
    assert.match(text.stdout, new RegExp(`^${group}\\s+Stable\\s+classic\\s+consumer$`, 'm'));
  } finally {
    await consumer.close();
  }
});

test('groups describe: a KIP-848 group (Java console consumer, group.protocol=consumer), as consumer-groups reports it', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('groups-848');
  await createTopic(topic, 3);
  await produce(topic, Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const group = uniqueName('groups-848-group');
  const child = spawn(KAFKA_TOOL, ['console-consumer', '--bootstrap-server', env.bootstrap, '--topic', topic, '--group', group,
    '--from-beginning', '--consumer-property', 'group.protocol=consumer', '--consumer-property', 'auto.commit.interval.ms=200'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => { printed += d.split('\n').length - 1; });
  try {
    // Wait (no time asserted) until the Java consumer read everything and committed it.
    for (let attempt = 0; ; attempt++) {
      const committed = await committedOffsets(group);
      if (printed >= 12 && committed.reduce((s, c) => s + (c.offset ?? 0n), 0n) === 12n) break;
      assert.ok(attempt < 60 && child.exitCode === null, `the console consumer did not read and commit everything (printed ${printed})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const file = ini(env.saslSslBootstrap, env.caFile);
    const [d, java] = await Promise.all([describe(file, group), javaView(env.bootstrap, group)]);
    assert.equal(d.type, 'consumer');
    assert.equal(d.state, 'Stable');
    assert.equal(d.state, java.state);
    assert.equal(d.assignor, java.assignor);
    assert.equal(d.coordinator.id, java.coordinator);
    assert.equal(d.members.length, 1);
    const [member] = d.members;
    assert.equal(member.clientId, 'console-consumer');
    assert.deepEqual(java.members.get(member.memberId), { host: member.clientHost, clientId: 'console-consumer', partitions: 3 });
    assert.deepEqual(member.assignment, [{ topic, partitions: [0, 1, 2] }]);
    sameOffsets(d, java);
    assert.ok(d.offsets.every((o) => o.lag === '0' && o.memberId === member.memberId));

    const list = await gregor(['groups', 'list', file, '--format', 'json']);
    const listed = (JSON.parse(list.stdout) as { groupId: string }[]).find((g) => g.groupId === group);
    assert.deepEqual(listed, { groupId: group, state: 'Stable', protocolType: 'consumer', groupType: 'consumer' });
  } finally {
    child.kill('SIGTERM');
  }
});

test('groups describe of a group that does not exist: one line, exit 1', async () => {
  const env = await ensureKafka();
  const group = uniqueName('no-such-group');
  const run = await gregor(['groups', 'describe', ini(env.saslSslBootstrap, env.caFile), '--group', group]);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr, `gregor: group '${group}' does not exist (no members, no committed offsets)\n`);
  assert.equal(run.stdout, '');
});
