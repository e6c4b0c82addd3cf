// The fetch state machine against a scripted broker: partial batches, leader moves (NOT_LEADER_OR_FOLLOWER,
// FENCED_LEADER_EPOCH), OFFSET_OUT_OF_RANGE under each auto.offset.reset, and read_committed filtering. Each scenario
// asserts what the consumer delivers (exactly, in order: no gap, no duplicate) and what it sends. Also: no Fetch that
// could only long-poll while a partition held back by its buffer share has records left.
// Log truncation (KIP-320) is in truncation.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../../../src/protocol/index.js';
import { InvalidOffsetError, type Consumer, type OffsetResetEvent } from '../../../src/index.js';
import { TOPIC, describe, expected, pollError, scenario, take, type Received, type ScriptedCluster } from './helpers.js';

test('a batch cut off at the end of a Fetch response is not delivered; the next Fetch starts at its base offset', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
    c.model.append(TOPIC, 0, 3); // offsets 0-2
    c.model.append(TOPIC, 0, 3); // offsets 3-5: only part of it fits the limit below
  }, (c) => ({ 'max.partition.fetch.bytes': c.model.partition(TOPIC, 0).batches[0].bytes.length + 20 }), async (c, consumer) => {
    const [first, second] = c.model.partition(TOPIC, 0).batches;
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 6)), expected(0, 6));
    const fetches = c.requests(ApiKey.Fetch, { node: 1 }).map((r) => r.body.topics![0].partitions![0]);
    assert.equal(fetches[0].fetchOffset, 0n);
    // The broker's answer to that Fetch: the whole first batch and 20 bytes of the second.
    const answered = c.model.partition(TOPIC, 0).read(0n, first.bytes.length + 20, true);
    assert.equal(answered.records!.length, first.bytes.length + 20);
    assert.ok(20 < second.bytes.length);
    assert.equal(fetches[1].fetchOffset, 3n, 'fetched again from the cut batch\'s base offset');
  });
});

test('a Fetch answer holding only part of a batch makes the next Fetch ask for the whole batch at the same offset', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.append(TOPIC, 0, 40); // one batch, larger than max.partition.fetch.bytes
    // As Kafka answers a partition that is not the first of a response: the log cut at the partition's limit.
    c.script(ApiKey.Fetch, async (_req, next) => {
      const res = await next();
      const p = res.responses![0].partitions![0];
      p.records = (p.records as Buffer).subarray(0, 64);
      return res;
    });
  }, { 'max.partition.fetch.bytes': 64 }, async (c, consumer) => {
    const batch = c.model.partition(TOPIC, 0).batches[0];
    assert.ok(batch.bytes.length > 64);
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 40)), expected(0, 40));
    const fetches = c.requests(ApiKey.Fetch).map((r) => r.body.topics![0].partitions![0]);
    assert.equal(fetches[0].partitionMaxBytes, 64);
    assert.equal(fetches[1].fetchOffset, 0n);
    assert.equal(fetches[1].partitionMaxBytes, batch.bytes.length, 'the second Fetch asks for exactly the batch');
  });
});

for (const { error, newLeader } of [
  { error: 'NOT_LEADER_OR_FOLLOWER', newLeader: 2 },
  { error: 'FENCED_LEADER_EPOCH', newLeader: 1 },
]) {
  test(`${error}: metadata is refreshed and fetching continues at the new leader without gap or duplicate`, async () => {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 3 });
      c.model.append(TOPIC, 0, 3);
    }, {}, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
      const before = describe(await take(consumer, 3));
      const moved = c.mark();
      c.model.partition(TOPIC, 0).electLeader(newLeader); // epoch 4
      c.model.append(TOPIC, 0, 3); // offsets 3-5, written by the new leader
      const after = describe(await take(consumer, 3));
      assert.deepEqual([...before, ...after], expected(0, 6));

      const refused = c.requests(ApiKey.Fetch, { node: 1, after: moved }).find((r) => r.body.topics![0].partitions![0].currentLeaderEpoch === 3);
      assert.ok(refused !== undefined, 'a Fetch with the old leader epoch was refused');
      const metadata = c.requests(ApiKey.Metadata, { after: refused.seq });
      assert.ok(metadata.length > 0, 'metadata was refreshed after the refusal');
      // The refused partition waits for that refresh: no Fetch of it in between (fetched again at once, the old
      // leader refused it hundreds of times within retry.backoff.ms).
      const between = c.requests(ApiKey.Fetch, { after: refused.seq + 1 }).filter((r) => r.seq < metadata[0].seq);
      assert.deepEqual(between.map((r) => `node ${r.nodeId} ${JSON.stringify(r.body.topics![0].partitions![0].fetchOffset)}`), []);
      // KIP-320: the position's epoch is checked with the new leader before fetching from it.
      const validation = c.requests(ApiKey.OffsetForLeaderEpoch, { node: newLeader, after: moved });
      assert.equal(validation.length, 1);
      assert.deepEqual(validation[0].body.topics![0].partitions![0], { partition: 0, currentLeaderEpoch: 4, leaderEpoch: 3 });
      const resumed = c.requests(ApiKey.Fetch, { node: newLeader, after: validation[0].seq })[0].body.topics![0].partitions![0];
      assert.equal(resumed.fetchOffset, 3n);
      assert.equal(resumed.currentLeaderEpoch, 4);
    });
  });
}

test('OFFSET_OUT_OF_RANGE with auto.offset.reset=earliest: reset to the log start offset (ListOffsets -2)', async () => {
  const resets: OffsetResetEvent[] = [];
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1, leaderEpoch: 2 });
    c.model.append(TOPIC, 0, 5);
    c.model.append(TOPIC, 0, 5);
    c.model.partition(TOPIC, 0).deleteBefore(5n); // retention removed offsets 0-4
  }, { 'auto.offset.reset': 'earliest' }, async (c, consumer) => {
    consumer.on('offsetReset', (e) => resets.push(e));
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 2 }]);
    assert.deepEqual(describe(await take(consumer, 5)), expected(5, 10));
    assert.deepEqual(resets, [{ topic: TOPIC, partition: 0, from: 2n, to: 5n, reason: 'out-of-range' }]);
    const listed = c.requests(ApiKey.ListOffsets).flatMap((r) => r.body.topics![0].partitions!);
    assert.deepEqual(listed.map((p) => p.timestamp), [-2n]);
  });
});

test('OFFSET_OUT_OF_RANGE with auto.offset.reset=latest: reset to the high watermark (ListOffsets -1)', async () => {
  const resets: OffsetResetEvent[] = [];
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.append(TOPIC, 0, 10);
  }, { 'auto.offset.reset': 'latest' }, async (c, consumer) => {
    consumer.on('offsetReset', (e) => resets.push(e));
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 20 }]);
    await c.waitFor(ApiKey.ListOffsets);
    const reset = c.mark();
    c.model.append(TOPIC, 0, 2);
    assert.deepEqual(describe(await take(consumer, 2)), expected(10, 12));
    assert.deepEqual(resets, [{ topic: TOPIC, partition: 0, from: 20n, to: 10n, reason: 'out-of-range' }]);
    assert.equal(c.requests(ApiKey.Fetch, { after: reset })[0].body.topics![0].partitions![0].fetchOffset, 10n);
  });
});

test('OFFSET_OUT_OF_RANGE with auto.offset.reset=none: InvalidOffsetError for the application, nothing delivered', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.append(TOPIC, 0, 10);
  }, { 'auto.offset.reset': 'none' }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 20 }]);
    const err = await pollError(consumer);
    assert.ok(err instanceof InvalidOffsetError, String(err));
    assert.equal(err.reason, 'out-of-range');
    assert.equal(err.offset, 20n);
    assert.equal(c.requests(ApiKey.ListOffsets).length, 0, 'no reset was attempted');
    // The partition stays stopped until the application seeks.
    const stopped = c.mark();
    assert.equal(await consumer.poll(200), null);
    assert.equal(c.requests(ApiKey.Fetch, { after: stopped }).length, 0);
    consumer.seek({ topic: TOPIC, partition: 0 }, 8);
    assert.deepEqual(describe(await take(consumer, 2)), expected(8, 10));
  });
});

test('read_committed: the records of an aborted transaction and the markers are skipped, the position moves past them', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    const log = c.model.partition(TOPIC, 0);
    log.appendValues(2); // 0-1
    log.appendValues(3, 'v', { transactionalProducerId: 7n }); // 2-4, aborted below
    log.endTransaction(7n, false); // ABORT marker at 5
    log.appendValues(2, 'v', { transactionalProducerId: 8n }); // 6-7, committed below
    log.endTransaction(8n, true); // COMMIT marker at 8
    log.appendValues(1); // 9
  }, { 'isolation.level': 'read_committed' }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 5)), [...expected(0, 2), ...expected(6, 8), ...expected(9, 10)]);
    assert.equal(await consumer.position({ topic: TOPIC, partition: 0 }), 10n);
    const fetch = c.requests(ApiKey.Fetch)[0];
    assert.equal(fetch.body.isolationLevel, 1);
  });
});

test('read_uncommitted: the same log delivers every data record, aborted ones included, and never a marker', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    const log = c.model.partition(TOPIC, 0);
    log.appendValues(2);
    log.appendValues(3, 'v', { transactionalProducerId: 7n });
    log.endTransaction(7n, false);
    log.appendValues(1);
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 6)), [...expected(0, 5), ...expected(6, 7)]);
    assert.equal(c.requests(ApiKey.Fetch)[0].body.isolationLevel, 0);
  });
});

/** The fetch offset a Fetch request asks for `partition` at; undefined when the request does not list it. */
function fetchOffsetIn(r: Received<typeof ApiKey.Fetch>, partition: number): bigint | undefined {
  const p = r.body.topics?.flatMap((t) => t.partitions ?? []).find((x) => x.partition === partition);
  return p?.fetchOffset === undefined ? undefined : BigInt(p.fetchOffset);
}

/**
 * Partition 0 holds 10 batches of 3 records, partition 1 none; one batch per partition per Fetch, and room in the
 * buffer for four batches: two are partition 0's share. Runs `fn` once a Fetch asked for partition 0's second batch
 * (the one that fills that share), with the application reading nothing yet.
 */
async function heldBackScenario(
  maxWaitMs: number,
  fn: (c: ScriptedCluster, consumer: Consumer) => Promise<void>,
): Promise<void> {
  let batch = 0;
  await scenario((c) => {
    c.model.addTopic(TOPIC, 2, { leader: 1 });
    for (let i = 0; i < 10; i++) c.model.append(TOPIC, 0, 3);
    batch = c.model.partition(TOPIC, 0).batches[0].bytes.length;
  }, () => ({ 'max.partition.fetch.bytes': batch, 'gregor.fetch.buffer.bytes': 4 * batch, 'fetch.max.wait.ms': maxWaitMs }), async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }, { topic: TOPIC, partition: 1, offset: 0 }]);
    await c.waitFor(ApiKey.Fetch, { where: (r) => fetchOffsetIn(r, 0) === 3n });
    await fn(c, consumer);
  });
}

test('a partition over its buffer share with records left is not left out of a Fetch that could only long-poll', async () => {
  // Once partition 0's share is buffered, the only partition left to fetch is 1, which is at its end. Such a Fetch
  // would be held for fetch.max.wait.ms while the application drains partition 0 (fetcher.ts backlogHeldBack()): none
  // is sent.
  await heldBackScenario(1000, async (c, consumer) => {
    // A Fetch of partition 1 alone, if one were sent, goes out while the application reads nothing.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(describe(await take(consumer, 30)), expected(0, 30));
    const fetches = c.requests(ApiKey.Fetch, { node: 1 });
    const last = fetches.findIndex((r) => fetchOffsetIn(r, 0) === 27n);
    assert.ok(last > 0, 'partition 0 was fetched to its last batch');
    // Left out: not in a full request (no session, or a session's first), or forgotten by an incremental one. A long
    // poll that leaves it out is the stall; a quick poll (MaxWaitMs 0, after fetch.max.wait.ms of holding back) is not,
    // and does not come here (the application reads after 300 ms of the 1 s).
    const leftOut = fetches.slice(0, last).filter((r) => ((r.body.sessionEpoch ?? -1) <= 0 && fetchOffsetIn(r, 0) === undefined)
      || (r.body.forgottenTopicsData ?? []).some((t) => (t.partitions ?? []).includes(0)));
    assert.deepEqual(leftOut.map((r) => `#${r.seq} maxWaitMs ${r.body.maxWaitMs}`), [], 'no Fetch left partition 0 out while it had records on the broker');
  });
});

test('while a backlog is held back, the caught-up partitions are still polled, without a long poll, every fetch.max.wait.ms', async () => {
  // The application reads nothing for a while: partition 0's share stays full. Partition 1 gets new records meanwhile;
  // they are fetched by a quick poll (MaxWaitMs 0) instead of waiting until partition 0 drains.
  await heldBackScenario(200, async (c, consumer) => {
    const held = c.mark();
    c.model.append(TOPIC, 1, 2); // partition 1's offsets 0-1
    const quick = await c.waitFor(ApiKey.Fetch, { after: held, where: (r) => r.body.maxWaitMs === 0 && fetchOffsetIn(r, 1) === 0n });
    assert.equal(fetchOffsetIn(quick, 0), undefined, 'the quick poll leaves the held-back partition out');
    await c.waitFor(ApiKey.Fetch, { after: quick.seq, where: (r) => fetchOffsetIn(r, 1) === 2n });
    const longPolls = c.requests(ApiKey.Fetch, { after: held }).filter((r) => r.seq < quick.seq && fetchOffsetIn(r, 0) === undefined);
    assert.deepEqual(longPolls.map((r) => r.seq), [], 'nothing but the quick poll left partition 0 out');
    const got = await take(consumer, 32);
    assert.deepEqual(got.filter((m) => m.partition === 0).map((m) => Number(m.offset)), Array.from({ length: 30 }, (_, i) => i));
    assert.deepEqual(got.filter((m) => m.partition === 1).map((m) => Number(m.offset)), [0, 1]);
  });
});
