// gregor groups list / describe / delete-offsets on a share group (KIP-932) whose member is Kafka's Java
// ConsoleShareConsumer, compared with what Kafka's own kafka-share-groups tool reports for the same group.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gregor } from './run-gregor.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer } from '../../../src/index.js';
import { ensureKafka, kafkaTool, uniqueName } from '../helpers/kafka.js';
import { javaShareGroupOffsets, setShareGroupConfigs, startJavaShareConsumer, type JavaShareConsumer } from '../helpers/share.js';


interface ShareDetails {
  groupId: string;
  type: string;
  state: string;
  assignor: string;
  groupEpoch: number;
  coordinator: { id: number; host: string; port: number };
  members: { memberId: string; memberEpoch: number; clientId: string; clientHost: string; subscribedTopics: string[]; assignment: { topic: string; partitions: number[] }[] }[];
  offsets: { topic: string; partition: number; startOffset: string | null; lag: string | null; members: number }[];
}

let bootstrap = '';
let config = '';
let admin: Admin;
let java: JavaShareConsumer | undefined;
const topic = uniqueName('share-cli');
const group = uniqueName('share-cli-g');
const PER_PARTITION = 5;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  config = join(mkdtempSync(join(tmpdir(), 'gregor-share-cli-')), 'config.ini');
  writeFileSync(config, `[default]\nbootstrap.servers=${bootstrap}\n`);
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 3 }]);
  await setShareGroupConfigs(admin, group, { 'share.auto.offset.reset': 'earliest' });
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await Promise.all(Array.from({ length: 3 * PER_PARTITION }, (_, i) => producer.send({ topic, partition: i % 3, value: `v${i}` })));
  } finally {
    await producer.close();
  }
});
after(async () => {
  await java?.stop();
  await admin.close();
});

test('groups list and describe show a share group as kafka-share-groups does; delete-offsets once it is empty', async () => {
  java = await startJavaShareConsumer(topic, group, { bootstrap });
  await java.waitForLines(3 * PER_PARTITION);

  const list = await gregor(['groups', 'list', config, '--format', 'json']);
  assert.equal(list.code, 0, list.stderr);
  const listed = (JSON.parse(list.stdout) as { groupId: string; groupType?: string; state?: string }[]).filter((g) => g.groupId === group);
  assert.deepEqual(listed.map((g) => [g.groupType, g.state]), [['share', 'Stable']]);

  // The broker persists share-partition state asynchronously: describe once every record's acknowledgement shows.
  const deadline = Date.now() + 30_000;
  let d: ShareDetails;
  for (;;) {
    const r = await gregor(['groups', 'describe', config, '--group', group, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    d = JSON.parse(r.stdout) as ShareDetails;
    if (d.offsets.length === 3 && d.offsets.every((o) => o.lag === '0')) break;
    assert.ok(Date.now() < deadline, `lag never 0 in every partition: ${r.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.equal(d.type, 'share');
  assert.equal(d.state, 'Stable');
  assert.equal(d.assignor, 'simple');
  assert.deepEqual(d.members.map((m) => [m.clientId, m.subscribedTopics, m.assignment]), [['console-share-consumer', [topic], [{ topic, partitions: [0, 1, 2] }]]]);
  assert.deepEqual(d.offsets.map((o) => o.members), [1, 1, 1]);

  // Kafka's view of the same group: the member and its assignment, and every partition's start offset and lag.
  const members = await kafkaTool('share-groups', ['--bootstrap-server', bootstrap, '--describe', '--members', '--group', group]);
  const row = members.stdout.split('\n').find((l) => l.startsWith(group))!.trim().split(/\s+/);
  assert.equal(row[1], d.members[0].memberId);
  assert.equal(row[row.length - 1], `${topic}:0,1,2`);
  const theirs = await javaShareGroupOffsets(group, { bootstrap });
  assert.deepEqual(d.offsets.map((o) => [o.partition, o.startOffset, o.lag]), theirs.map((o) => [o.partition, String(o.startOffset), String(o.lag)]));

  const text = await gregor(['groups', 'describe', config, '--group', group]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Protocol: share, assignor simple, group epoch \d+$/m);
  assert.match(text.stdout, /^ {2}TOPIC +PARTITION +START-OFFSET +LAG +MEMBERS$/m);

  // Refused while the Java member runs, as the coordinator says; done once it left.
  const busy = await gregor(['groups', 'delete-offsets', config, '--group', group, '--topic', topic]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /NON_EMPTY_GROUP/);
  await java.stop();
  for (;;) {
    const [g] = await admin.describeShareGroups([group]);
    if (g.state === 'Empty') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const deleted = await gregor(['groups', 'delete-offsets', config, '--group', group, '--topic', topic]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `Deleted the state of share group '${group}' for topic ${topic}.\n`);
  assert.deepEqual(await javaShareGroupOffsets(group, { bootstrap }), []);
});
