// The minimal admin client against the real broker, checked with Kafka's own TopicCommand (`kafka-tool topics`):
// topics created with partitions and configs, refused with typed errors, deleted; the cluster described; offsets
// listed by spec; configs described.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, isTopicAlreadyExists } from '../../../src/admin/index.js';
import { KafkaError } from '../../../src/errors.js';
import { Pool } from '../../../src/network/pool.js';
import { Producer } from '../../../src/producer/index.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { ensureKafka, kafkaTool, uniqueName } from '../producer/helpers.js';

let bootstrap = '';
let admin: Admin;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  admin = new Admin({ 'bootstrap.servers': bootstrap });
});
after(async () => {
  await admin.close();
});

const isKafka = (name: string) => (e: unknown) => e instanceof KafkaError && e.errorName === name;

test('createTopics and deleteTopics, as Kafka\'s TopicCommand sees them', async () => {
  const a = uniqueName('admin-a');
  const b = uniqueName('admin-b');
  const created = await admin.createTopics([
    { topic: a, numPartitions: 3, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } },
    { topic: b, numPartitions: 1, replicationFactor: 1 },
  ]);
  assert.deepEqual(created.map((c) => [c.topic, c.numPartitions, c.replicationFactor, c.created]), [[a, 3, 1, true], [b, 1, 1, true]]);
  assert.match(created[0].topicId, /^[A-Za-z0-9_-]{22}$/);
  // createTopics waited for leaders: a producer can write at once.
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await producer.send({ topic: a, partition: 2, key: 'k', value: 'v' });
  } finally {
    await producer.close();
  }

  const described = await kafkaTool('topics', ['--bootstrap-server', bootstrap, '--describe', '--topic', a]);
  assert.match(described.stdout, new RegExp(`Topic: ${a}\\s+TopicId: ${created[0].topicId}\\s+PartitionCount: 3\\s+ReplicationFactor: 1`));
  assert.match(described.stdout, /Configs: .*cleanup\.policy=compact/);
  assert.match(described.stdout, /retention\.ms=3600000/);
  assert.equal(described.stdout.match(/Partition: \d/g)?.length, 3);

  // Typed errors.
  await assert.rejects(admin.createTopics([{ topic: a, numPartitions: 1 }]), (e: unknown) => isKafka('TOPIC_ALREADY_EXISTS')(e) && isTopicAlreadyExists(e) && (e as Error).message.includes(a));
  const again = await admin.createTopics([{ topic: a }], { ifNotExists: true });
  assert.deepEqual([again[0].created, again[0].numPartitions, again[0].topicId], [false, 3, created[0].topicId]);
  await assert.rejects(admin.createTopics([{ topic: uniqueName('admin-rf'), replicationFactor: 3 }]), isKafka('INVALID_REPLICATION_FACTOR'));
  await assert.rejects(admin.createTopics([{ topic: 'bad/name' }]), isKafka('INVALID_TOPIC_EXCEPTION'));
  await assert.rejects(admin.createTopics([{ topic: uniqueName('admin-cfg'), configs: { 'cleanup.policy': 'sometimes' } }]), isKafka('INVALID_CONFIG'));
  const dry = uniqueName('admin-dry');
  await admin.createTopics([{ topic: dry, numPartitions: 2 }], { validateOnly: true });

  await admin.deleteTopics([a]);
  await assert.rejects(admin.deleteTopics([a]), isKafka('UNKNOWN_TOPIC_OR_PARTITION'));
  await admin.deleteTopics([a], { ifExists: true });
  await assert.rejects(admin.describeTopics([a]), isKafka('UNKNOWN_TOPIC_OR_PARTITION'));

  const listed = await kafkaTool('topics', ['--bootstrap-server', bootstrap, '--list']);
  const names = listed.stdout.split('\n').map((l) => l.trim());
  assert.ok(names.includes(b), 'the other topic is still there');
  assert.ok(!names.includes(a), 'the deleted topic is gone');
  assert.ok(!names.includes(dry), 'validateOnly created nothing');
  await admin.deleteTopics([b]);
});

test('listTopics, describeTopics and describeCluster agree with the broker\'s Metadata', async () => {
  const t = uniqueName('admin-list');
  await admin.createTopics([{ topic: t, numPartitions: 4 }]);
  try {
    const listed = (await admin.listTopics()).find((x) => x.name === t);
    assert.deepEqual(listed && [listed.partitions, listed.replicationFactor, listed.internal], [4, 1, false]);
    assert.ok(!(await admin.listTopics()).some((x) => x.name === '__consumer_offsets'), 'internal topics only on request');
    const [d] = await admin.describeTopics([t]);
    assert.deepEqual(d.partitions.map((p) => p.partition), [0, 1, 2, 3]);
    assert.ok(d.partitions.every((p) => p.leader === 1 && p.isr.length === 1));

    const cluster = await admin.describeCluster();
    const pool = new Pool({ bootstrapServers: bootstrap });
    try {
      const md = await (await pool.bootstrap()).request(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false });
      assert.equal(cluster.clusterId, md.clusterId);
      assert.deepEqual(cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`), md.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`));
    } finally {
      await pool.close();
    }
    assert.deepEqual(cluster.brokers.map((b) => `${b.host}:${b.port}`), [bootstrap]);
    assert.ok(cluster.controllerId >= 0);
  } finally {
    await admin.deleteTopics([t]);
  }
});

test('listOffsets by spec, and describeConfigs', async () => {
  const t = uniqueName('admin-offsets');
  await admin.createTopics([{ topic: t, numPartitions: 2, configs: { 'retention.ms': '7200000' } }]);
  try {
    const producer = new Producer({ 'bootstrap.servers': bootstrap });
    try {
      await producer.sendBatch([100, 200, 300, 400].map((timestamp, i) => ({ topic: t, partition: 0, value: `r${i}`, timestamp })));
    } finally {
      await producer.close();
    }
    const offsets = await admin.listOffsets([
      { topic: t, partition: 0, spec: 'earliest' },
      { topic: t, partition: 0, spec: 'latest' },
      { topic: t, partition: 0, spec: { timestamp: 250 } },
      { topic: t, partition: 0, spec: { timestamp: new Date(5000) } },
      { topic: t, partition: 0, spec: 'max-timestamp' },
      { topic: t, partition: 1, spec: 'latest' },
    ]);
    assert.deepEqual(offsets.map((o) => o.offset), [0n, 4n, 2n, -1n, 3n, 0n]);
    assert.equal(offsets[2].timestamp, 300);
    await assert.rejects(admin.listOffsets([{ topic: t, partition: 9, spec: 'latest' }]), isKafka('UNKNOWN_TOPIC_OR_PARTITION'));

    const [topicConfig, brokerConfig] = await admin.describeConfigs([{ type: 'topic', name: t }, { type: 'broker', name: '1' }]);
    const retention = topicConfig.configs.find((c) => c.name === 'retention.ms');
    assert.deepEqual(retention && [retention.value, retention.source], ['7200000', 'dynamic-topic']);
    assert.equal(topicConfig.configs.find((c) => c.name === 'cleanup.policy')?.source, 'default');
    assert.ok(brokerConfig.configs.some((c) => c.name === 'log.dirs'));
  } finally {
    await admin.deleteTopics([t]);
  }
});
