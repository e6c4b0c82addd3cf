// The codec against the real Kafka 4.3.1 broker: cluster discovery and admin APIs, each at EVERY version gregor
// supports, over a raw socket (raw-broker.ts). Every response must decode exactly (no trailing bytes) and make sense.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiKey, ErrorCode, decodeResponse, encodeRequest, errorName, implementedApis, supportedVersions, ZERO_UUID_STRING,
} from '../../../src/protocol/index.js';
import { RawBroker, uniqueName, until, versions } from './raw-broker.js';
import { hostPort, kafkaEnvSync } from '../helpers/kafka.js';

let broker: RawBroker;
let port: number;

before(async () => {
  port = hostPort(kafkaEnvSync().bootstrap).port;
  broker = await RawBroker.plaintext();
});
after(() => broker?.close());

const ok = (code: number, what: string): void => assert.equal(code, 0, `${what}: ${errorName(code)}`);

test('ApiVersions at every version lists every API gregor implements, accepting every version gregor claims', async () => {
  for (const v of versions(supportedVersions(ApiKey.ApiVersions))) {
    const body = await broker.send(ApiKey.ApiVersions, v, { clientSoftwareName: 'gregor', clientSoftwareVersion: '0.1.0' });
    ok(body.errorCode, `ApiVersions v${v}`);
    const byKey = new Map(body.apiKeys.map((k) => [k.apiKey, k]));
    for (const [apiKey, range] of implementedApis()) {
      const theirs = byKey.get(apiKey);
      // KIP-714: a broker lists GetTelemetrySubscriptions and PushTelemetry only with a telemetry receiver configured
      // (the project's single node has one, scripts/kafka.mjs; a node started before it had none).
      if (theirs === undefined && (apiKey === ApiKey.GetTelemetrySubscriptions || apiKey === ApiKey.PushTelemetry)) continue;
      assert.ok(theirs, `ApiVersions v${v}: the broker does not list API key ${apiKey}`);
      // The broker accepts every version gregor claims. (It may advertise more: Kafka 4 still lists Produce v0-2,
      // which it then refuses, so old clients get a clear error rather than a closed socket, KAFKA-18659.)
      assert.ok(theirs.minVersion <= range.min && theirs.maxVersion >= range.max,
        `ApiVersions v${v}: API key ${apiKey}: broker ${theirs.minVersion}-${theirs.maxVersion}, gregor ${range.min}-${range.max}`);
      if (apiKey !== ApiKey.Produce) assert.deepEqual({ min: theirs.minVersion, max: theirs.maxVersion }, range, `API key ${apiKey}`);
    }
    if (v >= 3) assert.ok(body.finalizedFeaturesEpoch >= 0n, 'a KRaft broker reports finalized features');
  }
});

test('ApiVersions: a version beyond the broker\'s is answered in v0 with UNSUPPORTED_VERSION, and gregor decodes it', async () => {
  // Encode a valid request, then patch the version in its header to 99: the broker must answer in v0 (KIP-511).
  const frame = encodeRequest(ApiKey.ApiVersions, 3, 4242, 'gregor', {});
  frame.writeInt16BE(99, 6);
  const raw = await broker.sendFrame(frame);
  const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 4, raw);
  assert.equal(correlationId, 4242);
  assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.ok(body.apiKeys.some((k) => k.apiKey === ApiKey.ApiVersions && k.maxVersion >= 4));
});

test('Metadata at every version returns this broker and the cluster id', async () => {
  for (const v of versions(supportedVersions(ApiKey.Metadata))) {
    const body = await broker.send(ApiKey.Metadata, v, v >= 4 ? { topics: null, allowAutoTopicCreation: false } : { topics: v === 0 ? [] : null });
    assert.equal(body.brokers.length, 1, `Metadata v${v}`);
    assert.equal(body.brokers[0].host, '127.0.0.1');
    assert.equal(body.brokers[0].port, port);
    if (v >= 2) assert.ok(body.clusterId && body.clusterId.length > 0, `Metadata v${v}: cluster id`);
    if (v >= 1) assert.equal(body.controllerId >= -1, true);
    if (v >= 13) ok(body.errorCode, `Metadata v${v}`);
  }
});

test('DescribeCluster at every version returns this broker', async () => {
  for (const v of versions(supportedVersions(ApiKey.DescribeCluster))) {
    const body = await broker.send(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false });
    ok(body.errorCode, `DescribeCluster v${v}`);
    assert.deepEqual(body.brokers.map((b) => [b.host, b.port]), [['127.0.0.1', port]]);
    if (v >= 2) assert.equal(body.brokers[0].isFenced, false);
  }
});

test('FindCoordinator at every version finds this broker for a group', async () => {
  const group = uniqueName('proto-fc');
  for (const v of versions(supportedVersions(ApiKey.FindCoordinator))) {
    const body = await until(
      () => broker.send(ApiKey.FindCoordinator, v, v >= 4 ? { keyType: 0, coordinatorKeys: [group] } : { key: group, keyType: 0 }),
      (b) => (v >= 4 ? b.coordinators[0]?.errorCode : b.errorCode) !== ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `FindCoordinator v${v}`,
    );
    if (v >= 4) {
      assert.equal(body.coordinators.length, 1);
      ok(body.coordinators[0].errorCode, `FindCoordinator v${v}`);
      assert.deepEqual([body.coordinators[0].key, body.coordinators[0].port], [group, port]);
    } else {
      ok(body.errorCode, `FindCoordinator v${v}`);
      assert.equal(body.port, port);
    }
  }
});

test('CreateTopics, DescribeConfigs, Metadata by topic id and DeleteTopics at every version', async () => {
  const created: { name: string; topicId: string }[] = [];
  for (const v of versions(supportedVersions(ApiKey.CreateTopics))) {
    const name = uniqueName(`proto-ct-v${v}`);
    const body = await broker.send(ApiKey.CreateTopics, v, {
      topics: [{ name, numPartitions: 2, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '3600000' }] }],
      timeoutMs: 30_000,
    });
    assert.equal(body.topics.length, 1);
    ok(body.topics[0].errorCode, `CreateTopics v${v} ${body.topics[0].errorMessage}`);
    assert.equal(body.topics[0].name, name);
    if (v >= 5) {
      assert.equal(body.topics[0].numPartitions, 2);
      assert.equal(body.topics[0].configs?.find((c) => c.name === 'retention.ms')?.value, '3600000');
    }
    if (v >= 7) assert.notEqual(body.topics[0].topicId, ZERO_UUID_STRING);
    // Again: TOPIC_ALREADY_EXISTS proves the broker really created it.
    const again = await broker.send(ApiKey.CreateTopics, v, { topics: [{ name, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 30_000 });
    assert.equal(again.topics[0].errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, `CreateTopics v${v} twice`);
    const meta = await until(() => broker.send(ApiKey.Metadata, 12, { topics: [{ name }], allowAutoTopicCreation: false }),
      (m) => m.topics[0]?.errorCode === 0 && m.topics[0].partitions.every((p) => p.leaderId >= 0), `leaders of ${name}`);
    created.push({ name, topicId: meta.topics[0].topicId });
  }
  // validateOnly (v1+) creates nothing.
  const dry = uniqueName('proto-ct-dry');
  const dryRun = await broker.send(ApiKey.CreateTopics, 7, { topics: [{ name: dry, numPartitions: 1, replicationFactor: 1 }], validateOnly: true });
  ok(dryRun.topics[0].errorCode, 'CreateTopics validateOnly');
  const dryMeta = await broker.send(ApiKey.Metadata, 12, { topics: [{ name: dry }], allowAutoTopicCreation: false });
  assert.equal(dryMeta.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  // Metadata by topic id (v10+ carries ids; v12+ accepts a request by id with a null name).
  const byId = await broker.send(ApiKey.Metadata, 12, { topics: [{ topicId: created[0].topicId, name: null }] });
  assert.equal(byId.topics[0].name, created[0].name);
  assert.equal(byId.topics[0].partitions.length, 2);

  for (const v of versions(supportedVersions(ApiKey.DescribeConfigs))) {
    const body = await broker.send(ApiKey.DescribeConfigs, v, {
      resources: [{ resourceType: 2, resourceName: created[0].name, configurationKeys: ['retention.ms', 'cleanup.policy'] }],
      includeSynonyms: v >= 1, includeDocumentation: v >= 3,
    });
    ok(body.results[0].errorCode, `DescribeConfigs v${v}`);
    const retention = body.results[0].configs.find((c) => c.name === 'retention.ms');
    assert.equal(retention?.value, '3600000', `DescribeConfigs v${v}`);
    assert.equal(retention?.configSource, v >= 1 ? 1 : -1); // DYNAMIC_TOPIC_CONFIG
    if (v >= 3) assert.ok(retention?.documentation && retention.documentation.length > 10);
  }

  const deleteVersions = versions(supportedVersions(ApiKey.DeleteTopics));
  for (let i = 0; i < created.length; i++) {
    const v = deleteVersions[i % deleteVersions.length];
    const t = created[i];
    const body = await broker.send(ApiKey.DeleteTopics, v, v >= 6
      ? { topics: [{ name: null, topicId: t.topicId }], timeoutMs: 30_000 }
      : { topicNames: [t.name], timeoutMs: 30_000 });
    ok(body.responses[0].errorCode, `DeleteTopics v${v}`);
    if (v >= 6) assert.equal(body.responses[0].topicId, t.topicId);
    else assert.equal(body.responses[0].name, t.name);
  }
  // Every DeleteTopics version was used (there are more created topics than DeleteTopics versions).
  assert.ok(created.length >= deleteVersions.length);
});

test('ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments at every version', async () => {
  const name = uniqueName('proto-reassign');
  const c = await broker.send(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 30_000 });
  ok(c.topics[0].errorCode, 'CreateTopics');
  await until(() => broker.send(ApiKey.Metadata, 12, { topics: [{ name }], allowAutoTopicCreation: false }),
    (m) => m.topics[0]?.errorCode === 0 && m.topics[0].partitions[0]?.leaderId >= 0, `leader of ${name}`);

  for (const v of versions(supportedVersions(ApiKey.ElectLeaders))) {
    const body = await broker.send(ApiKey.ElectLeaders, v, { electionType: 0, topicPartitions: [{ topic: name, partitions: [0] }], timeoutMs: 30_000 });
    if (v >= 1) ok(body.errorCode, `ElectLeaders v${v}`);
    const r = body.replicaElectionResults[0];
    assert.equal(r.topic, name);
    // One replica, already the preferred leader: nothing to elect.
    assert.equal(r.partitionResult[0].errorCode, ErrorCode.ELECTION_NOT_NEEDED, `ElectLeaders v${v}`);
  }

  for (const v of versions(supportedVersions(ApiKey.AlterPartitionReassignments))) {
    // Cancelling a reassignment that does not exist: a real answer without moving data.
    const body = await broker.send(ApiKey.AlterPartitionReassignments, v, {
      timeoutMs: 30_000, topics: [{ name, partitions: [{ partitionIndex: 0, replicas: null }] }],
    });
    ok(body.errorCode, `AlterPartitionReassignments v${v}`);
    assert.equal(body.responses[0].partitions[0].errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `AlterPartitionReassignments v${v}`);
    // Reassigning to the replica it already has is accepted.
    const same = await broker.send(ApiKey.AlterPartitionReassignments, v, {
      timeoutMs: 30_000, topics: [{ name, partitions: [{ partitionIndex: 0, replicas: [1] }] }],
    });
    ok(same.responses[0].partitions[0].errorCode, `AlterPartitionReassignments v${v} to the same replica`);
  }

  for (const v of versions(supportedVersions(ApiKey.ListPartitionReassignments))) {
    const body = await broker.send(ApiKey.ListPartitionReassignments, v, { timeoutMs: 30_000, topics: [{ name, partitionIndexes: [0] }] });
    ok(body.errorCode, `ListPartitionReassignments v${v}`);
    assert.deepEqual(body.topics, []);
    const all = await broker.send(ApiKey.ListPartitionReassignments, v, { timeoutMs: 30_000, topics: null });
    ok(all.errorCode, `ListPartitionReassignments v${v} (all)`);
  }
  await broker.send(ApiKey.DeleteTopics, 5, { topicNames: [name], timeoutMs: 30_000 });
});
