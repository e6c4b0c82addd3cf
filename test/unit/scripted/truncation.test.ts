// Log truncation (KIP-320) against a scripted broker: an unclean leader election leaves the new leader with a shorter
// log than the consumer has read. The consumer must notice (OffsetForLeaderEpoch below its position, or a Fetch
// answer carrying divergingEpoch) and, like Java's consumer, seek to the divergence point when auto.offset.reset is
// set, or fail the partition with the truncation error when it is none. Records only the old leader had must never
// be delivered after the ones the new leader wrote in their place.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../../src/protocol/index.js';
import { InvalidOffsetError, LogTruncationError, type OffsetResetEvent } from '../../../src/index.js';
import { GROUP, TOPIC, describe, expected, pollError, scenario, take } from './helpers.js';
import type { ScriptedCluster } from '../../support/scripted-broker.js';

/**
 * `leader` (default node 2) becomes leader at epoch 4 with the log up to `keep` only (the records after it existed
 * on the old leader alone), and writes three records of its own there: values w<offset>.
 */
function uncleanElection(c: ScriptedCluster, keep: bigint, leader = 2): void {
  const log = c.model.partition(TOPIC, 0);
  log.truncateTo(keep);
  log.electLeader(leader, 4);
  const base = log.logEndOffset;
  log.append([0, 1, 2].map((i) => ({ value: `w${base + BigInt(i)}` })));
  c.model.changed(); // fetches held on the old leader are answered now
}

function rewritten(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${TOPIC}[0]@${from + i}=w${from + i}`);
}

test('leader change, OffsetForLeaderEpoch ends below the position: truncation detected, position reset to the divergence point', async () => {
  const resets: OffsetResetEvent[] = [];
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3); // 0-2: node 2 has these
    c.model.append(TOPIC, 0, 2); // 3-4: only node 1 has these
  }, { 'auto.offset.reset': 'earliest' }, async (c, consumer) => {
    consumer.on('offsetReset', (e) => resets.push(e));
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    const before = describe(await take(consumer, 5));
    assert.deepEqual(before, expected(0, 5));
    const elected = c.mark();
    uncleanElection(c, 3n);
    const after = describe(await take(consumer, 3));
    assert.deepEqual(after, rewritten(3, 6), 'the new leader\'s records from the divergence point, once each');
    assert.deepEqual(resets, [{ topic: TOPIC, partition: 0, from: 5n, to: 3n, reason: 'truncated' }]);
    const validation = c.requests(ApiKey.OffsetForLeaderEpoch, { node: 2, after: elected });
    assert.deepEqual(validation.map((r) => r.body.topics![0].partitions![0]), [{ partition: 0, currentLeaderEpoch: 4, leaderEpoch: 3 }]);
    assert.equal(c.requests(ApiKey.ListOffsets).length, 0, 'the reset goes to the divergence point, not to earliest');
    const resumed = c.requests(ApiKey.Fetch, { node: 2, after: validation[0].seq })[0].body.topics![0].partitions![0];
    assert.equal(resumed.fetchOffset, 3n);
  });
});

test('leader change, OffsetForLeaderEpoch ends below the position, auto.offset.reset=none: InvalidOffsetError (truncated)', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3);
    c.model.append(TOPIC, 0, 2);
  }, { 'auto.offset.reset': 'none' }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 5)), expected(0, 5));
    uncleanElection(c, 3n);
    const err = await pollError(consumer);
    assert.ok(err instanceof InvalidOffsetError, String(err));
    assert.equal(err.reason, 'truncated');
    assert.equal(err.offset, 5n);
    assert.ok(err instanceof LogTruncationError, String(err));
    assert.equal(err.divergentOffset, 3n);
    assert.equal(err.divergentEpoch, 3);
    assert.match(err.message, /t[^ ]*\[0\].*offset 5.*epoch 3 ends at offset 3/);
    // The application decides: here it seeks to the divergence point the broker reported.
    consumer.seek({ topic: TOPIC, partition: 0 }, 3);
    assert.deepEqual(describe(await take(consumer, 3)), rewritten(3, 6));
  });
});

test('a committed offset whose epoch the leader\'s log no longer reaches is validated and reset before fetching', async () => {
  const resets: OffsetResetEvent[] = [];
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3);
    c.model.append(TOPIC, 0, 2);
    uncleanElection(c, 3n);
    // Committed by a member that had read offsets 0-4 from the old leader (epoch 3).
    c.model.committed.set(GROUP, new Map([[`${TOPIC}:0`, { offset: 5n, leaderEpoch: 3, metadata: null }]]));
  }, { 'group.id': GROUP, 'enable.auto.commit': false }, async (c, consumer) => {
    consumer.on('offsetReset', (e) => resets.push(e));
    consumer.assign([{ topic: TOPIC, partition: 0 }]);
    assert.deepEqual(describe(await take(consumer, 3)), rewritten(3, 6));
    assert.deepEqual(resets, [{ topic: TOPIC, partition: 0, from: 5n, to: 3n, reason: 'truncated' }]);
    const validation = c.requests(ApiKey.OffsetForLeaderEpoch);
    assert.deepEqual(validation.map((r) => r.body.topics![0].partitions![0]), [{ partition: 0, currentLeaderEpoch: 4, leaderEpoch: 3 }]);
    const fetches = c.requests(ApiKey.Fetch);
    assert.ok(fetches.every((f) => f.seq > validation[0].seq), 'nothing is fetched before the position is validated');
    assert.equal(fetches[0].body.topics![0].partitions![0].fetchOffset, 3n);
  });
});

test('divergingEpoch in a Fetch answer (KIP-320): undelivered records past the divergence are dropped, never delivered', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3);
    c.model.append(TOPIC, 0, 2);
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    // Offsets 0-4 are fetched (lastFetchedEpoch 3) but not delivered: the position (0) has no epoch to validate, so
    // the leader change is not checked with OffsetForLeaderEpoch and the new leader's Fetch answer tells instead.
    await c.waitFor(ApiKey.Fetch, { where: (r) => r.body.topics![0].partitions![0].fetchOffset === 5n });
    const elected = c.mark();
    uncleanElection(c, 3n);
    const diverged = await c.waitFor(ApiKey.Fetch, { node: 2, after: elected });
    assert.equal(diverged.body.topics![0].partitions![0].fetchOffset, 5n);
    assert.equal(diverged.body.topics![0].partitions![0].lastFetchedEpoch, 3);
    assert.deepEqual(c.model.partition(TOPIC, 0).divergence(5n, 3), { epoch: 3, endOffset: 3n }, 'answered with divergingEpoch');
    // The consumer drops what it fetched past its position and fetches again from the position.
    await c.waitFor(ApiKey.Fetch, { node: 2, after: diverged.seq + 1, where: (r) => r.body.topics![0].partitions![0].fetchOffset === 0n });
    assert.deepEqual(describe(await take(consumer, 6)), [...expected(0, 3), ...rewritten(3, 6)]);
  });
});

test('divergingEpoch in a Fetch answer for records already delivered: truncation detected, reset to the divergence point', async () => {
  const resets: OffsetResetEvent[] = [];
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3);
    c.model.append(TOPIC, 0, 2);
    // Node 1 loses offsets 3-4 and is leader again at epoch 4; the consumer's next Fetch (offset 5, epoch 3) is
    // answered with the divergence instead of FENCED_LEADER_EPOCH.
    c.script(ApiKey.Fetch, (req) => {
      uncleanElection(c, 3n, 1);
      const t = req.body.topics![0];
      return { responses: [{ topicId: t.topicId as string, partitions: [{ partitionIndex: 0, highWatermark: 6n, divergingEpoch: { epoch: 3, endOffset: 3n }, records: null }] }] };
    }, { where: (r) => r.body.topics![0].partitions![0].fetchOffset === 5n });
  }, {}, async (c, consumer) => {
    consumer.on('offsetReset', (e) => resets.push(e));
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 5)), expected(0, 5));
    assert.deepEqual(describe(await take(consumer, 3)), rewritten(3, 6));
    assert.deepEqual(resets, [{ topic: TOPIC, partition: 0, from: 5n, to: 3n, reason: 'truncated' }]);
    // The position's epoch (3) was checked with the leader, which said where epoch 3 ends.
    const validations = c.requests(ApiKey.OffsetForLeaderEpoch).map((r) => r.body.topics![0].partitions![0]);
    assert.ok(validations.length >= 1 && validations.every((v) => v.leaderEpoch === 3), JSON.stringify(validations));
    assert.equal(validations[validations.length - 1].currentLeaderEpoch, 4);
  });
});

test('after a validated leader change the Fetch carries the position\'s epoch, not the epoch of dropped records', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 2 });
    c.model.append(TOPIC, 0, 3); // 0-2 in epoch 2, on both nodes
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 3)), expected(0, 3)); // position 3, epoch 2
    // Node 1 is re-elected (epoch 3) and writes 3-4, which the consumer fetches but does not deliver yet.
    c.model.partition(TOPIC, 0).electLeader(1, 3);
    c.model.append(TOPIC, 0, 2);
    await c.waitFor(ApiKey.Fetch, { where: (r) => r.body.topics![0].partitions![0].fetchOffset === 5n });
    // Node 2 never had epoch 3: after an unclean election its epoch 4 starts at offset 3.
    const elected = c.mark();
    uncleanElection(c, 3n);
    // The position (3, epoch 2) is valid on node 2, so OffsetForLeaderEpoch passes...
    const validation = await c.waitFor(ApiKey.OffsetForLeaderEpoch, { node: 2, after: elected });
    assert.equal(validation.body.topics![0].partitions![0].leaderEpoch, 2);
    // ...and the next Fetch must carry the position's epoch (2): with the epoch of the dropped records (3), which
    // node 2 never had, it is answered with divergingEpoch, validated again, sent again, without end.
    const resumed = await c.waitFor(ApiKey.Fetch, { node: 2, after: validation.seq });
    assert.equal(resumed.body.topics![0].partitions![0].fetchOffset, 3n);
    assert.equal(resumed.body.topics![0].partitions![0].lastFetchedEpoch, 2);
    assert.deepEqual(describe(await take(consumer, 3)), rewritten(3, 6));
  });
});
