// The codec against the real broker: the classic group protocol (JoinGroup, SyncGroup, Heartbeat, DescribeGroups,
// ListGroups, LeaveGroup) and the KIP-848 protocol (ConsumerGroupHeartbeat, ConsumerGroupDescribe), each at EVERY
// version gregor supports, by walking a one-member group through its whole life per version.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApiKey, ErrorCode, Writer, errorName, supportedVersions } from '../../../src/protocol/index.js';
import { RawBroker, uniqueName, until, versions } from './raw-broker.js';

let broker: RawBroker;
const topic = uniqueName('proto-groups');
let topicId = '';

const ok = (code: number, what: string): void => assert.equal(code, 0, `${what}: ${errorName(code)}`);

before(async () => {
  broker = await RawBroker.plaintext();
  const c = await broker.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 30_000 });
  ok(c.topics[0].errorCode, 'CreateTopics');
  topicId = c.topics[0].topicId;
  await until(() => broker.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false }),
    (r) => r.topics[0]?.errorCode === 0 && r.topics[0].partitions.every((p) => p.leaderId >= 0), `leaders of ${topic}`);
});
after(async () => {
  await broker.send(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId }], timeoutMs: 30_000 }).catch(() => undefined);
  broker?.close();
});

// ConsumerProtocolSubscription v0 / ConsumerProtocolAssignment v0, written by hand: the broker may read them.
const subscription = new Writer().int16(0).arrayLength(1).string(topic).nullableBytes(null).finish();
const assignment = new Writer().int16(0).arrayLength(1).string(topic).arrayLength(2).int32(0).int32(1).nullableBytes(null).finish();

test('a classic group at every JoinGroup version: join, sync, heartbeat, describe, list, leave', async () => {
  const joinVersions = versions(supportedVersions(ApiKey.JoinGroup));
  const clamp = (apiKey: number, i: number): number => {
    const r = supportedVersions(apiKey);
    return Math.max(r.min, Math.min(r.max, i));
  };
  for (const jv of joinVersions) {
    const [sv, hv, dv, lgv, lv] = [ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.DescribeGroups, ApiKey.ListGroups, ApiKey.LeaveGroup].map((k) => clamp(k, jv));
    const group = uniqueName(`proto-classic-v${jv}`);
    const join = (memberId: string) => broker.send(ApiKey.JoinGroup, jv, {
      groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription }], reason: jv >= 8 ? 'protocol test' : null,
    });
    let joined = await until(() => join(''), (b) => b.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && b.errorCode !== ErrorCode.NOT_COORDINATOR, 'JoinGroup');
    if (jv >= 4) {
      // KIP-394: the first join of an unknown member only hands out a member id.
      assert.equal(joined.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `JoinGroup v${jv}: ${errorName(joined.errorCode)}`);
      assert.ok(joined.memberId.length > 0);
      joined = await join(joined.memberId);
    }
    ok(joined.errorCode, `JoinGroup v${jv}`);
    const memberId = joined.memberId;
    assert.equal(joined.leader, memberId, 'the only member leads');
    assert.equal(joined.protocolName, 'range');
    if (jv >= 7) assert.equal(joined.protocolType, 'consumer');
    assert.equal(joined.members.length, 1);
    assert.deepEqual(joined.members[0].metadata, subscription);
    const generationId = joined.generationId;
    assert.ok(generationId >= 1);

    const sync = await broker.send(ApiKey.SyncGroup, sv, {
      groupId: group, generationId, memberId, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId, assignment }],
    });
    ok(sync.errorCode, `SyncGroup v${sv}`);
    assert.deepEqual(sync.assignment, assignment, `SyncGroup v${sv} assignment`);
    if (sv >= 5) assert.equal(sync.protocolName, 'range');

    ok((await broker.send(ApiKey.Heartbeat, hv, { groupId: group, generationId, memberId })).errorCode, `Heartbeat v${hv}`);
    const stale = await broker.send(ApiKey.Heartbeat, hv, { groupId: group, generationId: generationId + 5, memberId });
    assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION, `Heartbeat v${hv} with a wrong generation`);

    const described = await broker.send(ApiKey.DescribeGroups, dv, { groups: [group], includeAuthorizedOperations: dv >= 3 });
    const g = described.groups[0];
    ok(g.errorCode, `DescribeGroups v${dv}`);
    assert.deepEqual([g.groupId, g.groupState, g.protocolType, g.protocolData], [group, 'Stable', 'consumer', 'range']);
    assert.equal(g.members.length, 1);
    assert.equal(g.members[0].memberId, memberId);
    assert.equal(g.members[0].clientId, 'gregor-protocol-it');
    assert.deepEqual(g.members[0].memberAssignment, assignment);
    if (dv >= 3) assert.notEqual(g.authorizedOperations, -2147483648, 'authorized operations were requested');

    const listed = await broker.send(ApiKey.ListGroups, lgv, { statesFilter: lgv >= 4 ? ['Stable'] : [], typesFilter: lgv >= 5 ? ['classic'] : [] });
    ok(listed.errorCode, `ListGroups v${lgv}`);
    const mine = listed.groups.find((x) => x.groupId === group);
    assert.ok(mine, `ListGroups v${lgv} lists ${group}`);
    assert.equal(mine.protocolType, 'consumer');
    if (lgv >= 4) assert.equal(mine.groupState, 'Stable');
    if (lgv >= 5) assert.equal(mine.groupType, 'classic');

    const left = await broker.send(ApiKey.LeaveGroup, lv, lv >= 3
      ? { groupId: group, members: [{ memberId, groupInstanceId: null, reason: 'done' }] }
      : { groupId: group, memberId });
    ok(left.errorCode, `LeaveGroup v${lv}`);
    if (lv >= 3) {
      assert.equal(left.members[0].memberId, memberId);
      ok(left.members[0].errorCode, `LeaveGroup v${lv} member`);
    }
    const after = await broker.send(ApiKey.DescribeGroups, dv, { groups: [group] });
    assert.equal(after.groups[0].groupState, 'Empty', `group ${group} after LeaveGroup v${lv}`);
  }
});

test('a KIP-848 consumer group at every ConsumerGroupHeartbeat version: join, get an assignment, describe, leave', async () => {
  for (const v of versions(supportedVersions(ApiKey.ConsumerGroupHeartbeat))) {
    const group = uniqueName(`proto-848-v${v}`);
    // From v1 the member id is generated by the client (KIP-1082); v0 lets the coordinator choose one.
    const heartbeat = (memberId: string, memberEpoch: number) => broker.send(ApiKey.ConsumerGroupHeartbeat, v, {
      groupId: group, memberId, memberEpoch, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: memberEpoch === 0 ? [topic] : null, topicPartitions: memberEpoch === 0 ? [] : null,
    });
    let hb = await until(() => heartbeat(v >= 1 ? randomUUID() : '', 0), (b) => b.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'join');
    ok(hb.errorCode, `ConsumerGroupHeartbeat v${v} join ${hb.errorMessage ?? ''}`);
    const memberId = hb.memberId!;
    assert.ok(memberId.length > 0);
    assert.ok(hb.memberEpoch >= 1);
    assert.ok(hb.heartbeatIntervalMs > 0);
    // The assignment (both partitions of the topic) arrives with this or a following heartbeat.
    hb = await until(async () => (hb.assignment !== null ? hb : (hb = await heartbeat(memberId, hb.memberEpoch))),
      (b) => b.assignment !== null && b.assignment.topicPartitions.length > 0, `assignment at v${v}`);
    assert.deepEqual(hb.assignment!.topicPartitions.map((tp) => [tp.topicId, [...tp.partitions].sort()]), [[topicId, [0, 1]]]);
    // A heartbeat with nothing new answers with a null assignment: the nullable-struct marker on the wire.
    const quiet = await heartbeat(memberId, hb.memberEpoch);
    ok(quiet.errorCode, `ConsumerGroupHeartbeat v${v} steady`);
    assert.equal(quiet.assignment, null);

    for (const dv of versions(supportedVersions(ApiKey.ConsumerGroupDescribe))) {
      const d = await broker.send(ApiKey.ConsumerGroupDescribe, dv, { groupIds: [group], includeAuthorizedOperations: true });
      const g = d.groups[0];
      ok(g.errorCode, `ConsumerGroupDescribe v${dv}`);
      assert.equal(g.groupId, group);
      assert.equal(g.groupState, 'Stable');
      assert.equal(g.members.length, 1);
      const m = g.members[0];
      assert.equal(m.memberId, memberId);
      assert.deepEqual(m.subscribedTopicNames, [topic]);
      assert.deepEqual(m.assignment.topicPartitions.map((tp) => [tp.topicId, tp.topicName, [...tp.partitions].sort()]), [[topicId, topic, [0, 1]]]);
      if (dv >= 1) assert.equal(m.memberType, 1, 'a consumer-protocol member');
    }

    const left = await heartbeat(memberId, -1);
    ok(left.errorCode, `ConsumerGroupHeartbeat v${v} leave`);
    assert.equal(left.memberEpoch, -1);
  }
});
