// KIP-951 against a scripted cluster: a Fetch refused with NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH that names
// the current leader sends the partition there (validated first, KIP-320) without a Metadata round trip. After the
// move no Metadata is answered before the validation reached the new leader, so only the hint can lead it there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../../src/protocol/index.js';
import { TOPIC, describe, expected, scenario, take } from './helpers.js';

for (const { error, newLeader } of [
  { error: 'NOT_LEADER_OR_FOLLOWER', newLeader: 2 },
  { error: 'FENCED_LEADER_EPOCH', newLeader: 1 }, // the same broker, a newer epoch: our Fetch carries the old one
]) {
  test(`${error} naming the current leader: fetching moves there without a Metadata round trip`, async () => {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
      c.model.append(TOPIC, 0, 3);
      c.model.leaderHints = true;
    }, { 'request.timeout.ms': 30_000 }, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
      const before = describe(await take(consumer, 3));
      // From now on a Metadata request is answered only once the validation at the new leader has been received, so
      // only the hint can have led the consumer there. Not HANG: responses on a connection go out in request order,
      // and a background refresh sent to the new leader ahead of the validation would block it for good.
      const moved = c.mark();
      c.handle(ApiKey.Metadata, async (_req, next) => {
        await c.waitFor(ApiKey.OffsetForLeaderEpoch, { node: newLeader, after: moved, timeoutMs: 30_000 });
        return next();
      });
      c.model.partition(TOPIC, 0).electLeader(newLeader); // epoch 4
      c.model.append(TOPIC, 0, 3);
      const after = describe(await take(consumer, 3));
      assert.deepEqual([...before, ...after], expected(0, 6));
      const refusal = c.requests(ApiKey.Fetch, { node: 1, after: moved }).find((r) => r.body.topics![0].partitions![0].currentLeaderEpoch === 3);
      assert.ok(refusal !== undefined, `a Fetch with the old epoch was refused (${error})`);
      const validation = c.requests(ApiKey.OffsetForLeaderEpoch, { node: newLeader, after: moved });
      assert.equal(validation.length, 1);
      assert.deepEqual(validation[0].body.topics![0].partitions![0], { partition: 0, currentLeaderEpoch: 4, leaderEpoch: 3 });
      const resumed = c.requests(ApiKey.Fetch, { node: newLeader, after: validation[0].seq })[0].body.topics![0].partitions![0];
      assert.equal(resumed.fetchOffset, 3n);
      assert.equal(resumed.currentLeaderEpoch, 4);
    });
  });
}

test('without a hint (an older broker) the same move waits for the Metadata answer', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3);
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    await take(consumer, 3);
    const moved = c.mark();
    c.model.partition(TOPIC, 0).electLeader(2);
    c.model.append(TOPIC, 0, 3);
    assert.deepEqual(describe(await take(consumer, 3)), expected(3, 6));
    const metadata = c.requests(ApiKey.Metadata, { after: moved });
    const validation = c.requests(ApiKey.OffsetForLeaderEpoch, { node: 2, after: moved });
    assert.ok(metadata.length > 0 && validation.length === 1 && metadata[0].seq < validation[0].seq);
  });
});
