// The admin client's share-group calls (KIP-932) against the real broker, on a share group whose member is Kafka's
// Java ConsoleShareConsumer, checked against Kafka's ShareGroupCommand (`kafka-share-groups`) and ConfigCommand:
// the group config share.auto.offset.reset set by incrementalAlterConfigs; listGroups' types filter; the group
// described (member, assignment); start offsets and lag (KIP-1226) as Kafka's tool prints them; alter and delete
// refused while the member runs, done once it left.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { KafkaError } from '../../../src/errors.js';
import { Producer } from '../../../src/producer/index.js';
import { ensureKafka, kafkaTool, uniqueName } from '../helpers/kafka.js';
import { javaShareGroupOffsets, startJavaShareConsumer, type JavaShareConsumer } from '../helpers/share.js';

let bootstrap = '';
let admin: Admin;
const topic = uniqueName('share-admin');
const group = uniqueName('share-admin-g');
const PER_PARTITION = 10;
let java: JavaShareConsumer | undefined;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 3 }]);
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

const isKafka = (name: string) => (e: unknown) => e instanceof KafkaError && e.errorName === name;

/** Polls `read` until `done` holds (the broker persists share-partition state asynchronously). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a share group: config, listing, description, start offsets and lag, alter and delete', async () => {
  // share.auto.offset.reset=earliest through IncrementalAlterConfigs on resource type GROUP, as Kafka's ConfigCommand sees it.
  await admin.incrementalAlterConfigs([{ type: 'group', name: group, configs: [{ name: 'share.auto.offset.reset', op: 'set', value: 'earliest' }] }]);
  // The controller applies the change; a broker answers DescribeConfigs from its metadata image, which may lag it.
  const reset = (r: Awaited<ReturnType<Admin['describeConfigs']>>): string[][] =>
    r[0].configs.filter((c) => c.name === 'share.auto.offset.reset').map((c) => [c.value ?? '', c.source]);
  const described = await until(() => admin.describeConfigs([{ type: 'group', name: group }]), (r) => reset(r).length === 1 && reset(r)[0][0] === 'earliest', 'share.auto.offset.reset in DescribeConfigs', 10_000);
  assert.deepEqual(reset(described), [['earliest', 'group']]);
  const tool = await kafkaTool('configs', ['--bootstrap-server', bootstrap, '--describe', '--entity-type', 'groups', '--entity-name', group]);
  assert.match(tool.stdout, /share\.auto\.offset\.reset=earliest/);
  await assert.rejects(
    admin.incrementalAlterConfigs([{ type: 'group', name: group, configs: [{ name: 'share.auto.offset.reset', op: 'set', value: 'sideways' }] }]),
    isKafka('INVALID_CONFIG'),
  );

  java = await startJavaShareConsumer(topic, group, { bootstrap });
  await java.waitForLines(3 * PER_PARTITION);

  const shares = await admin.listGroups({ types: ['share'] });
  assert.deepEqual(shares.filter((g) => g.groupId === group).map((g) => [g.type, g.protocolType]), [['share', 'share']]);
  assert.equal((await admin.listGroups({ types: ['consumer', 'classic'] })).some((g) => g.groupId === group), false);

  const [d] = await admin.describeShareGroups([group]);
  assert.equal(d.state, 'Stable');
  assert.equal(d.assignor, 'simple');
  assert.equal(d.members.length, 1);
  assert.equal(d.members[0].clientId, 'console-share-consumer');
  assert.deepEqual(d.members[0].subscribedTopics, [topic]);
  assert.deepEqual(d.members[0].assignment, [{ topic, partitions: [0, 1, 2] }]);
  assert.ok(d.members[0].memberEpoch > 0 && d.groupEpoch >= d.members[0].memberEpoch);

  // Every record was acknowledged (the console consumer accepts what it printed): lag 0 everywhere, once persisted.
  const offsets = await until(() => admin.listShareGroupOffsets(group), (o) => o.length === 3 && o.every((p) => p.lag === 0n), 'lag 0 in 3 partitions');
  const theirs = await javaShareGroupOffsets(group, { bootstrap });
  assert.deepEqual(
    offsets.map((o) => ({ topic: o.topic, partition: o.partition, leaderEpoch: o.leaderEpoch, startOffset: o.startOffset, lag: o.lag })),
    theirs,
  );

  // The coordinator refuses to move the offsets of a group with members.
  await assert.rejects(admin.alterShareGroupOffsets(group, [{ topic, partition: 0, offset: 2 }]), isKafka('NON_EMPTY_GROUP'));
  await assert.rejects(admin.deleteShareGroupOffsets(group, [topic]), isKafka('NON_EMPTY_GROUP'));

  await java.stop();
  await until(async () => (await admin.describeShareGroups([group]))[0], (g) => g.state === 'Empty' && g.members.length === 0, 'the Java member left');

  await admin.alterShareGroupOffsets(group, [{ topic, partition: 0, offset: 2 }, { topic, partition: 2, offset: 7n }]);
  const altered = await until(() => admin.listShareGroupOffsets(group),
    (o) => o.find((p) => p.partition === 0)?.startOffset === 2n && o.find((p) => p.partition === 2)?.startOffset === 7n, 'altered start offsets');
  // Partition 1 was not altered: its start offset is whatever the share coordinator persisted last (it may trail
  // the acknowledgements; the lag does not), so only its lag is fixed.
  const rows = (list: readonly { partition: number; startOffset: bigint | null; lag: bigint | null }[]) =>
    list.map((o) => [o.partition, o.partition === 1 ? '-' : o.startOffset, o.lag]);
  assert.deepEqual(rows(altered), [[0, 2n, 8n], [1, '-', 0n], [2, 7n, 3n]]);
  assert.deepEqual(rows(await javaShareGroupOffsets(group, { bootstrap })), rows(altered));

  await admin.deleteShareGroupOffsets(group, [topic]);
  assert.deepEqual(await admin.listShareGroupOffsets(group), []);
  assert.deepEqual((await javaShareGroupOffsets(group, { bootstrap })).map((o) => [o.partition, o.startOffset]), []);
});

test('describeShareGroups: a group that does not exist is Dead; a consumer group is not a share group', async () => {
  const missing = uniqueName('share-admin-none');
  const [d] = await admin.describeShareGroups([missing]);
  assert.deepEqual([d.groupId, d.state, d.members], [missing, 'Dead', []]);
  assert.deepEqual(await admin.listShareGroupOffsets(missing), []);

  const classic = uniqueName('share-admin-classic');
  // A classic group exists once it has a committed offset (OffsetCommit by an admin, via Kafka's tool).
  await kafkaTool('consumer-groups', ['--bootstrap-server', bootstrap, '--reset-offsets', '--to-earliest', '--execute', '--group', classic, '--topic', topic]);
  await assert.rejects(admin.describeShareGroups([classic]), (e: unknown) => isKafka('GROUP_ID_NOT_FOUND')(e) && /not a share group/.test((e as Error).message));
});
