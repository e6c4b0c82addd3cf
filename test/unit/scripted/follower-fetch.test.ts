// Follower fetching (KIP-392) against a scripted cluster: the leader names a preferred read replica, the consumer
// reads from it; the replica answering OFFSET_OUT_OF_RANGE or NOT_LEADER_OR_FOLLOWER, or being unreachable, sends it
// back to the leader without a reset, a gap or a duplicate; and no answer makes a busy loop. The real-broker
// evidence (three racks, the brokers' own request metrics, a SIGKILLed follower) is test/reliability/cluster/r17.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../../src/protocol/index.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { CLOSE, TOPIC, describe, expected, scenario, take, until } from './helpers.js';

const RACK = { 'client.rack': 'rack-b' };

test('the leader names a preferred read replica: records come from it, the leader is asked once', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 2 });
    c.model.partition(TOPIC, 0).preferredReadReplica = 2;
    c.model.append(TOPIC, 0, 5);
  }, RACK, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 5)), expected(0, 5));
    c.model.append(TOPIC, 0, 5);
    assert.deepEqual(describe(await take(consumer, 5)), expected(5, 10));
    assert.equal(c.requests(ApiKey.Fetch, { node: 1 }).length, 1, 'one Fetch at the leader, answered with the replica');
    const atReplica = c.requests(ApiKey.Fetch, { node: 2 });
    assert.ok(atReplica.length >= 2);
    assert.equal(atReplica[0].body.rackId, 'rack-b');
    assert.equal(atReplica[0].body.topics![0].partitions![0].currentLeaderEpoch, 2, 'the leader epoch goes to the replica too');
  });
});

test('without client.rack the same leader serves the records itself', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.partition(TOPIC, 0).preferredReadReplica = 2;
    c.model.append(TOPIC, 0, 5);
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 5)), expected(0, 5));
    assert.equal(c.requests(ApiKey.Fetch, { node: 2 }).length, 0);
  });
});

for (const error of ['OFFSET_OUT_OF_RANGE', 'NOT_LEADER_OR_FOLLOWER'] as const) {
  test(`the read replica answers ${error}: back to the leader, no reset, no gap or duplicate`, async () => {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 1 });
      c.model.partition(TOPIC, 0).preferredReadReplica = 2;
      c.model.append(TOPIC, 0, 5);
    }, { ...RACK, 'auto.offset.reset': 'none' }, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
      assert.deepEqual(describe(await take(consumer, 5)), expected(0, 5));
      // The replica's log ends before the leader's (out of range) or it stopped being a replica: it says so once,
      // and the leader serves from then on.
      const failed = c.mark();
      c.script(ApiKey.Fetch, (req, next) => {
        c.model.partition(TOPIC, 0).preferredReadReplica = -1;
        return next().then((res) => {
          const p = res.responses![0].partitions![0];
          return { ...res, responses: [{ ...res.responses![0], partitions: [{ ...p, errorCode: ErrorCode[error], records: null }] }] };
        });
      }, { node: 2 });
      c.model.append(TOPIC, 0, 5);
      assert.deepEqual(describe(await take(consumer, 5)), expected(5, 10));
      assert.equal(c.requests(ApiKey.ListOffsets).length, 0, 'no reset: only the leader\'s out of range resets');
      const resumed = c.requests(ApiKey.Fetch, { node: 1, after: failed });
      assert.ok(resumed.length >= 1);
      assert.equal(resumed[0].body.topics![0].partitions![0].fetchOffset, 5n);
    });
  });
}

test('an unreachable read replica: back to the leader; a leader still naming it costs a request per backoff, not a busy loop', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.partition(TOPIC, 0).preferredReadReplica = 2;
    c.model.append(TOPIC, 0, 5);
  }, { ...RACK, 'retry.backoff.ms': 100, 'retry.backoff.max.ms': 200, 'reconnect.backoff.ms': 100, 'reconnect.backoff.max.ms': 200 }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 5)), expected(0, 5));
    // Node 2 drops every connection from now on, while the leader keeps naming it (a crashed broker that is not
    // fenced yet); after a while the leader stops naming it (fenced) and serves the records itself.
    const dead = c.mark();
    c.handle(ApiKey.Fetch, (req, next) => (req.nodeId === 2 ? CLOSE : next()));
    c.handle(ApiKey.ApiVersions, (req, next) => (req.nodeId === 2 ? CLOSE : next()));
    c.model.append(TOPIC, 0, 5);
    // Event-driven: wait for three refused rounds at the leader, then look at how long they took. A busy loop
    // makes them within a few milliseconds; the backoff (100-200 ms a round) spaces them. Load only lengthens it.
    const started = Date.now();
    await until(() => c.requests(ApiKey.Fetch, { node: 1, after: dead }).length >= 3, 'three Fetch requests at the leader');
    const elapsed = Date.now() - started;
    c.model.partition(TOPIC, 0).preferredReadReplica = -1;
    assert.deepEqual(describe(await take(consumer, 5)), expected(5, 10));
    assert.ok(elapsed >= 150, `three Fetch requests at the leader within ${elapsed} ms: a busy loop`);
  });
});
