// The codec against the real broker: Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, OffsetCommit, OffsetFetch
// and InitProducerId, each at EVERY version gregor supports. Records are encoded and decoded by src/protocol/records;
// this file checks that the message layer carries them faithfully (records stay views into the response frame).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode, decodeResponse, errorName, supportedVersions } from '../../../src/protocol/index.js';
import { decodeRecordSet, encodeRecordBatch } from '../../../src/protocol/records/index.js';
import { RawBroker, uniqueName, until, versions } from './raw-broker.js';

let broker: RawBroker;
const topic = uniqueName('proto-pf');
let topicId = '';
let leaderEpoch = 0;
const produced: string[] = [];

const ok = (code: number, what: string): void => assert.equal(code, 0, `${what}: ${errorName(code)}`);

before(async () => {
  broker = await RawBroker.plaintext();
  const c = await broker.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 30_000 });
  ok(c.topics[0].errorCode, 'CreateTopics');
  topicId = c.topics[0].topicId;
  const m = await until(() => broker.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false }),
    (r) => r.topics[0]?.errorCode === 0 && r.topics[0].partitions[0]?.leaderId >= 0, `leader of ${topic}`);
  leaderEpoch = m.topics[0].partitions[0].leaderEpoch;
});
after(async () => {
  await broker.send(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId }], timeoutMs: 30_000 }).catch(() => undefined);
  broker?.close();
});

test('Produce at every version appends a batch, and the base offsets follow one another', async () => {
  let expectedOffset = 0n;
  for (const v of versions(supportedVersions(ApiKey.Produce))) {
    const values = [`v${v}-a`, `v${v}-b`];
    const records = encodeRecordBatch({ records: values.map((value, i) => ({ key: `k${i}`, value, timestamp: 1_700_000_000_000 + v })) });
    // A partition just created may answer NOT_LEADER_OR_FOLLOWER for a moment (retriable: nothing was written).
    const body = await until(() => broker.send(ApiKey.Produce, v, {
      acks: -1, timeoutMs: 30_000,
      topicData: [{ name: topic, topicId, partitionData: [{ index: 0, records }] }],
    }), (b) => b.responses[0].partitionResponses[0].errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition leader ready');
    const r = body.responses[0];
    if (v >= 13) assert.equal(r.topicId, topicId);
    else assert.equal(r.name, topic);
    const p = r.partitionResponses[0];
    ok(p.errorCode, `Produce v${v} ${p.errorMessage ?? ''}`);
    assert.equal(p.baseOffset, expectedOffset, `Produce v${v} base offset`);
    if (v >= 2) assert.equal(p.logAppendTimeMs, -1n, 'CreateTime topic');
    if (v >= 5) assert.equal(p.logStartOffset, 0n);
    expectedOffset += 2n;
    produced.push(...values);
  }
});

test('Fetch at every version returns the produced records as a view into the response frame', async () => {
  for (const v of versions(supportedVersions(ApiKey.Fetch))) {
    const frame = await broker.sendRaw(ApiKey.Fetch, v, {
      maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: leaderEpoch }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const body = decodeResponse(ApiKey.Fetch, v, frame).body;
    if (v >= 7) ok(body.errorCode, `Fetch v${v}`);
    const t = body.responses[0];
    if (v >= 13) assert.equal(t.topicId, topicId);
    else assert.equal(t.topic, topic);
    const p = t.partitions[0];
    ok(p.errorCode, `Fetch v${v}`);
    assert.equal(p.highWatermark, BigInt(produced.length), `Fetch v${v} high watermark`);
    assert.equal(p.lastStableOffset, BigInt(produced.length));
    assert.ok(p.records !== null && p.records.length > 0, `Fetch v${v} records`);
    assert.equal(p.records.buffer, frame.buffer, 'records is a view into the frame, not a copy');
    const decoded = decodeRecordSet(p.records);
    assert.equal(decoded.error, undefined);
    const values = decoded.batches.flatMap((b) => b.records.map((r) => r.value?.toString()));
    assert.deepEqual(values, produced, `Fetch v${v} values`);
  }
});

test('ListOffsets at every version: earliest 0, latest the high watermark, by timestamp the first match', async () => {
  for (const v of versions(supportedVersions(ApiKey.ListOffsets))) {
    const ask = async (timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number }> => {
      const body = await broker.send(ApiKey.ListOffsets, v, {
        replicaId: -1, isolationLevel: 0, timeoutMs: 30_000,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: leaderEpoch }] }],
      });
      const p = body.topics[0].partitions[0];
      ok(p.errorCode, `ListOffsets v${v} timestamp ${timestamp}`);
      return p;
    };
    assert.equal((await ask(-2n)).offset, 0n, `ListOffsets v${v} earliest`);
    const latest = await ask(-1n);
    assert.equal(latest.offset, BigInt(produced.length), `ListOffsets v${v} latest`);
    if (v >= 4) assert.equal(latest.leaderEpoch, leaderEpoch);
    // The batch produced at Produce v5 carries timestamp 1_700_000_000_005 and starts at offset 4 (v3, v4 before it).
    const byTime = await ask(1_700_000_000_005n);
    assert.equal(byTime.offset, 4n, `ListOffsets v${v} by timestamp`);
    assert.equal(byTime.timestamp, 1_700_000_000_005n);
  }
});

test('OffsetForLeaderEpoch at every version: the end offset of the current epoch is the log end', async () => {
  for (const v of versions(supportedVersions(ApiKey.OffsetForLeaderEpoch))) {
    const body = await broker.send(ApiKey.OffsetForLeaderEpoch, v, {
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: leaderEpoch, leaderEpoch }] }],
    });
    const p = body.topics[0].partitions[0];
    ok(p.errorCode, `OffsetForLeaderEpoch v${v}`);
    assert.equal(p.endOffset, BigInt(produced.length), `OffsetForLeaderEpoch v${v}`);
    assert.equal(p.leaderEpoch, leaderEpoch);
  }
});

test('OffsetCommit and OffsetFetch at every version store and return a committed offset', async () => {
  const commitVersions = versions(supportedVersions(ApiKey.OffsetCommit));
  const fetchVersions = versions(supportedVersions(ApiKey.OffsetFetch));
  const rounds = Math.max(commitVersions.length, fetchVersions.length);
  for (let i = 0; i < rounds; i++) {
    const cv = commitVersions[Math.min(i, commitVersions.length - 1)];
    const fv = fetchVersions[Math.min(i, fetchVersions.length - 1)];
    const group = uniqueName(`proto-oc-v${cv}`);
    const offset = BigInt(10 + i);
    // A "simple" commit: no member, generation -1 (a group used only to store offsets).
    const commit = await until(() => broker.send(ApiKey.OffsetCommit, cv, {
      groupId: group, generationIdOrMemberEpoch: -1, memberId: '',
      topics: [{ name: topic, topicId, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: leaderEpoch, committedMetadata: `m${i}` }] }],
    }), (b) => b.topics[0]?.partitions[0]?.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'coordinator loaded');
    ok(commit.topics[0].partitions[0].errorCode, `OffsetCommit v${cv}`);
    if (cv >= 10) assert.equal(commit.topics[0].topicId, topicId);
    else assert.equal(commit.topics[0].name, topic);

    const body = await broker.send(ApiKey.OffsetFetch, fv, fv >= 8
      ? { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, topicId, partitionIndexes: [0] }] }], requireStable: true }
      : { groupId: group, topics: [{ name: topic, partitionIndexes: [0] }], requireStable: fv >= 7 });
    const p = fv >= 8 ? body.groups[0].topics[0].partitions[0] : body.topics[0].partitions[0];
    if (fv >= 8) ok(body.groups[0].errorCode, `OffsetFetch v${fv}`);
    else if (fv >= 2) ok(body.errorCode, `OffsetFetch v${fv}`);
    ok(p.errorCode, `OffsetFetch v${fv}`);
    assert.equal(p.committedOffset, offset, `OffsetCommit v${cv} then OffsetFetch v${fv}`);
    assert.equal(p.metadata, `m${i}`);
    if (fv >= 5 && cv >= 6) assert.equal(p.committedLeaderEpoch, leaderEpoch);
  }
});

test('InitProducerId at every version gives an idempotent producer id that Produce accepts', async () => {
  for (const v of versions(supportedVersions(ApiKey.InitProducerId))) {
    const body = await broker.send(ApiKey.InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
    ok(body.errorCode, `InitProducerId v${v}`);
    assert.ok(body.producerId >= 0n, `InitProducerId v${v} producer id`);
    assert.equal(body.producerEpoch, 0);
    const records = encodeRecordBatch({ records: [{ value: `idem-v${v}` }], producerId: body.producerId, producerEpoch: 0, baseSequence: 0 });
    const p = await broker.send(ApiKey.Produce, 11, { acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    ok(p.responses[0].partitionResponses[0].errorCode, `idempotent Produce with a v${v} producer id`);
    // The same sequence again is a duplicate the broker recognises: same base offset, no new record.
    const dup = await broker.send(ApiKey.Produce, 11, { acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    assert.equal(dup.responses[0].partitionResponses[0].baseOffset, p.responses[0].partitionResponses[0].baseOffset);
  }
});
