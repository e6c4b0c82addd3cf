// KIP-848 membership (group.protocol=consumer) against a scripted coordinator: the assignment arrives in the
// ConsumerGroupHeartbeat answer, a new target assignment comes with a bumped member epoch (revoke what it takes
// away, commit first, acknowledge with the owned partitions), and FENCED_MEMBER_EPOCH makes the member give up its
// partitions as lost (nothing committed) and join again at epoch 0 with the same member id.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.js';
import { topicIdFor } from '../../support/scripted-kafka.js';
import { GROUP, TOPIC, describe, expected, pollUntil, recordingListener, scenario, take, until } from './helpers.js';

const CONFIG = {
  'group.id': GROUP,
  'group.protocol': 'consumer',
  'auto.offset.reset': 'earliest',
  'auto.commit.interval.ms': 600_000, // commits in these scenarios come from revokes, not from the timer
} as const;

const ID = topicIdFor(TOPIC);

test('KIP-848: assignment in the heartbeat answer, epoch bump with a smaller target, FENCED_MEMBER_EPOCH: lost, rejoin at epoch 0', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 2, { leader: 1 });
    c.model.coordinator = 3;
    c.model.append(TOPIC, 0, 3);
    c.model.append(TOPIC, 1, 3);
  }, CONFIG, async (c, consumer) => {
    const listener = recordingListener();
    consumer.subscribe([TOPIC], listener);
    assert.deepEqual(describe(await take(consumer, 6)).sort(), [...expected(0, 3, 0), ...expected(0, 3, 1)].sort());
    assert.deepEqual(listener.calls, ['assigned t[0] t[1]']);

    // Joining: a full heartbeat at epoch 0 with a member id the client made up (KIP-1082), then the acknowledgement
    // of the assignment (owned partitions) at epoch 1.
    const joined = c.requests(ApiKey.ConsumerGroupHeartbeat);
    const memberId = joined[0].body.memberId!;
    assert.equal(joined[0].nodeId, 3);
    assert.equal(joined[0].body.memberEpoch, 0);
    assert.ok(memberId.length > 0);
    assert.deepEqual(joined[0].body.subscribedTopicNames, [TOPIC]);
    assert.equal(joined[0].body.rebalanceTimeoutMs, 300000);
    await c.waitFor(ApiKey.ConsumerGroupHeartbeat, { where: (r) => r.body.memberEpoch === 1 && r.body.topicPartitions !== null });
    const ack = c.requests(ApiKey.ConsumerGroupHeartbeat).find((r) => r.body.memberEpoch === 1 && r.body.topicPartitions !== null)!;
    assert.deepEqual(ack.body.topicPartitions, [{ topicId: ID, partitions: [0, 1] }]);
    assert.equal(ack.body.memberId, memberId);

    // The broker's target shrinks to t[0]: epoch 2. t[1] is revoked after committing what was processed, and the
    // next heartbeat acknowledges owning t[0] only.
    const shrink = c.mark();
    c.model.consumerGroup.reassign([{ topic: TOPIC, partitions: [0] }]);
    await pollUntil(consumer, () => listener.calls.length === 2, 'revoked t[1]');
    assert.deepEqual(listener.calls, ['assigned t[0] t[1]', 'revoked t[1]']);
    const commits = c.requests(ApiKey.OffsetCommit, { after: shrink });
    assert.equal(commits.length, 1);
    assert.equal(commits[0].body.generationIdOrMemberEpoch, 2, 'committed with the member epoch');
    assert.equal(commits[0].body.memberId, memberId);
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 1), 3n);
    const ack2 = await c.waitFor(ApiKey.ConsumerGroupHeartbeat, { after: shrink, where: (r) => r.body.memberEpoch === 2 && r.body.topicPartitions !== null });
    assert.deepEqual(ack2.body.topicPartitions, [{ topicId: ID, partitions: [0] }]);

    // Fenced: the member's partitions are lost (no commit, no revoke) and it joins again at epoch 0, same member id.
    const fenced = c.mark();
    c.script(ApiKey.ConsumerGroupHeartbeat, { errorCode: ErrorCode.FENCED_MEMBER_EPOCH, memberEpoch: -1 });
    await until(() => listener.calls.length === 4, 'lost and assigned again');
    assert.deepEqual(listener.calls, ['assigned t[0] t[1]', 'revoked t[1]', 'lost t[0]', 'assigned t[0]']);
    const after = c.requests(ApiKey.ConsumerGroupHeartbeat, { after: fenced });
    assert.equal(after[0].body.memberEpoch, 2, 'the fenced heartbeat');
    // Until the fencing answer is read, a second heartbeat at the old epoch may already be on its way (the heartbeat
    // thread sends one itself when the main thread's is late, on a loaded machine); the member joins again after it.
    const rejoinAt = after.findIndex((r) => r.body.memberEpoch === 0);
    assert.ok(rejoinAt >= 1, 'a join at epoch 0');
    assert.ok(after.slice(1, rejoinAt).every((r) => r.body.memberEpoch === 2), 'nothing but the old epoch before it');
    const rejoin = after[rejoinAt];
    assert.equal(rejoin.body.memberEpoch, 0);
    assert.equal(rejoin.body.memberId, memberId);
    assert.deepEqual(rejoin.body.subscribedTopicNames, [TOPIC], 'a full heartbeat');
    assert.deepEqual(rejoin.body.topicPartitions, [], 'owning nothing');
    assert.equal(c.requests(ApiKey.OffsetCommit, { after: fenced }).length, 0, 'a fenced member commits nothing');

    // t[0] is read again from the committed offset (none: earliest), as its next owner would.
    c.model.append(TOPIC, 0, 1);
    assert.deepEqual(describe(await take(consumer, 4)), expected(0, 4, 0));
  });
});

test('KIP-848: UNKNOWN_MEMBER_ID on a heartbeat also loses the partitions and joins again at epoch 0', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.append(TOPIC, 0, 2);
  }, CONFIG, async (c, consumer) => {
    const listener = recordingListener();
    consumer.subscribe([TOPIC], listener);
    await take(consumer, 2);
    const gone = c.mark();
    c.script(ApiKey.ConsumerGroupHeartbeat, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberEpoch: -1 });
    await until(() => listener.calls.length === 3, 'lost and assigned again');
    assert.deepEqual(listener.calls, ['assigned t[0]', 'lost t[0]', 'assigned t[0]']);
    const after = c.requests(ApiKey.ConsumerGroupHeartbeat, { after: gone });
    assert.equal(after[0].body.memberEpoch, 1, 'the refused heartbeat');
    // As above: a heartbeat at the old epoch may already be on its way when the refusal is read.
    const rejoinAt = after.findIndex((r) => r.body.memberEpoch === 0);
    assert.ok(rejoinAt >= 1, 'a join at epoch 0');
    assert.ok(after.slice(1, rejoinAt).every((r) => r.body.memberEpoch === 1), 'nothing but the old epoch before it');
    assert.equal(after[rejoinAt].body.memberId, after[0].body.memberId, 'the same member id');
    assert.equal(c.requests(ApiKey.OffsetCommit, { after: gone }).length, 0);
  });
});
