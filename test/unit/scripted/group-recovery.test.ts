// Membership through faults that are not rebalances, against a scripted coordinator: the coordinator moves while
// the member is stable (heartbeats follow it; no rejoin, nothing lost), the application stops polling for longer
// than max.poll.interval.ms (the member leaves, its partitions are lost, it joins again on the next poll), and
// start positions whose OffsetFetch meets a coordinator still loading the group (retried, not reset).
// Both group protocols where the scenario exists in both.

import { after, test } from 'node:test';
import { tracingChannel } from 'node:diagnostics_channel';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.js';
import { GROUP, TOPIC, describe, expected, recordingListener, scenario, take, until, type ScriptedCluster } from './helpers.js';

const PROTOCOLS = {
  classic: { 'group.protocol': 'classic', 'heartbeat.interval.ms': 50 },
  consumer: { 'group.protocol': 'consumer' },
} as const;

function base(protocol: keyof typeof PROTOCOLS) {
  return { 'group.id': GROUP, 'auto.offset.reset': 'earliest', 'auto.commit.interval.ms': 600_000, ...PROTOCOLS[protocol] } as const;
}

function heartbeats(c: ScriptedCluster, protocol: keyof typeof PROTOCOLS, after: number) {
  return protocol === 'classic'
    ? c.requests(ApiKey.Heartbeat, { after }).map((r) => ({ seq: r.seq, nodeId: r.nodeId, epoch: r.body.generationId, memberId: r.body.memberId }))
    : c.requests(ApiKey.ConsumerGroupHeartbeat, { after }).map((r) => ({ seq: r.seq, nodeId: r.nodeId, epoch: r.body.memberEpoch, memberId: r.body.memberId }));
}

function oneTopic(c: ScriptedCluster): void {
  c.model.addTopic(TOPIC, 1, { leader: 1 });
  c.model.coordinator = 2;
  c.model.append(TOPIC, 0, 3);
}

for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol}: the coordinator moves while the member is stable: heartbeats follow it, no rejoin, nothing lost`, async () => {
    await scenario(oneTopic, base(protocol), async (c, consumer) => {
      const listener = recordingListener();
      consumer.subscribe([TOPIC], listener);
      await take(consumer, 3);
      // A stable member's heartbeat: KIP-848's epoch-0 join heartbeat is answered with the assignment before the
      // epoch-1 acknowledgement goes out, so take() may return before that one is sent.
      await until(() => heartbeats(c, protocol, 0).some((h) => (h.epoch ?? 0) > 0), 'a heartbeat of the joined member');
      const before = heartbeats(c, protocol, 0).filter((h) => (h.epoch ?? 0) > 0);
      const { epoch, memberId } = before[before.length - 1];
      const moved = c.mark();
      c.model.coordinator = 3; // node 2 answers NOT_COORDINATOR from now on
      await until(() => heartbeats(c, protocol, moved).some((h) => h.nodeId === 3), 'a heartbeat at node 3');
      await until(() => heartbeats(c, protocol, moved).filter((h) => h.nodeId === 3).length >= 2, 'heartbeats go on at node 3');

      const after = heartbeats(c, protocol, moved);
      // Until the refusal is read, a second heartbeat may already be on its way to node 2: the heartbeat thread sends
      // one itself when the main thread's is late (a loaded machine), and the main thread's follows it. Once one has
      // gone to node 3 (the coordinator was looked up again), none goes to node 2.
      const firstAtNew = after.findIndex((h) => h.nodeId === 3);
      assert.ok(firstAtNew >= 1, 'a heartbeat refused by node 2 before the first at node 3');
      assert.ok(after.slice(0, firstAtNew).every((h) => h.nodeId === 2), 'before node 3: only node 2');
      assert.ok(after.slice(firstAtNew).every((h) => h.nodeId === 3), 'nothing more to node 2');
      assert.ok(after.every((h) => h.epoch === epoch && h.memberId === memberId), 'same member, same generation or epoch');
      // One lookup: a second refusal by node 2 read after the lookup found node 3 does not forget node 3.
      assert.equal(c.requests(ApiKey.FindCoordinator, { after: moved }).length, 1, `FindCoordinator for ${firstAtNew} refusals`);
      assert.equal(c.requests(ApiKey.JoinGroup, { after: moved }).length, 0, 'no rebalance');
      assert.deepEqual(listener.calls, ['assigned t[0]']);
      c.model.append(TOPIC, 0, 1);
      assert.deepEqual(describe(await take(consumer, 1)), expected(3, 4));
    });
  });

  test(`${protocol}: max.poll.interval.ms without a poll: the member leaves, its partitions are lost; it joins again on the next poll`, async () => {
    await scenario(oneTopic, { ...base(protocol), 'max.poll.interval.ms': 300 }, async (c, consumer) => {
      const listener = recordingListener();
      consumer.subscribe([TOPIC], listener);
      await take(consumer, 3);
      const stopped = c.mark();
      // The application stops polling (a slow handler); no sleep here: the member's own timer notices.
      await until(() => listener.calls.length === 2, 'partitions lost');
      assert.deepEqual(listener.calls, ['assigned t[0]', 'lost t[0]']);
      if (protocol === 'classic') {
        const leave = c.requests(ApiKey.LeaveGroup, { after: stopped });
        assert.equal(leave.length, 1);
        assert.equal(leave[0].body.members![0].reason, 'consumer poll timeout has expired');
      } else {
        const leave = c.requests(ApiKey.ConsumerGroupHeartbeat, { after: stopped }).filter((r) => r.body.memberEpoch === -1);
        assert.equal(leave.length, 1, 'a leave heartbeat (epoch -1)');
      }
      assert.equal(c.requests(ApiKey.OffsetCommit).length, 0, 'lost partitions are not committed');
      const polled = c.mark();
      // The next poll joins again; the partition comes back and is read from where nobody committed: the start.
      const again = await take(consumer, 3);
      assert.deepEqual(describe(again), expected(0, 3));
      assert.deepEqual(listener.calls, ['assigned t[0]', 'lost t[0]', 'assigned t[0]']);
      if (protocol === 'classic') assert.equal(c.requests(ApiKey.JoinGroup, { after: polled })[0].body.memberId, '');
      else {
        // A heartbeat the main thread handed to the heartbeat thread before it learned that thread had left may go
        // out after the leave, at the old epoch; the next one joins again at epoch 0 with the same member id.
        const beats = c.requests(ApiKey.ConsumerGroupHeartbeat, { after: stopped });
        const leftAt = beats.findIndex((r) => r.body.memberEpoch === -1);
        const joinAt = beats.findIndex((r, i) => i > leftAt && r.body.memberEpoch === 0);
        assert.ok(joinAt > leftAt, 'a join at epoch 0 after the leave');
        const joined = c.requests(ApiKey.ConsumerGroupHeartbeat).filter((r) => r.seq < beats[leftAt].seq && r.body.memberEpoch! > 0);
        const oldEpoch = joined[joined.length - 1].body.memberEpoch;
        assert.ok(beats.slice(leftAt + 1, joinAt).every((r) => r.body.memberEpoch === oldEpoch), 'nothing but the old epoch before it');
        assert.ok(beats[joinAt].seq >= polled, 'joined again on the next poll, not before');
        assert.equal(beats[joinAt].body.memberId, beats[leftAt].body.memberId, 'the same member id');
      }
    });
  });
}

test('start positions: OffsetFetch answered COORDINATOR_LOAD_IN_PROGRESS is retried; the committed offset is used, no reset', async () => {
  await scenario((c) => {
    oneTopic(c);
    c.model.append(TOPIC, 0, 3);
    c.model.committed.set(GROUP, new Map([[`${TOPIC}:0`, { offset: 4n, leaderEpoch: 0, metadata: null }]]));
    for (let i = 0; i < 2; i++) {
      c.script(ApiKey.OffsetFetch, (req) => ({ groups: req.body.groups!.map((g) => ({ groupId: g.groupId, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS })) }));
    }
  }, { 'group.id': GROUP, 'enable.auto.commit': false }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0 }]);
    assert.deepEqual(describe(await take(consumer, 2)), expected(4, 6));
    assert.equal(c.requests(ApiKey.OffsetFetch).length, 3);
    assert.equal(c.requests(ApiKey.ListOffsets).length, 0, 'no reset: the committed offset was found');
  });
});

test('classic: a refusal by the old coordinator read after the new one was found leaves the new one cached: one FindCoordinator', async () => {
  await scenario(oneTopic, base('classic'), async (c, consumer) => {
    consumer.subscribe([TOPIC], recordingListener());
    await take(consumer, 3);
    await until(() => heartbeats(c, 'classic', 0).length > 0, 'a heartbeat of the joined member');
    const moved = c.mark();
    let releaseLookup = (): void => {};
    const secondAtOld = new Promise<void>((r) => { releaseLookup = r; });
    let lookupAnswered = (): void => {};
    const found = new Promise<void>((r) => { lookupAnswered = r; });
    let atOld = 0;
    let clientReadLookup = (): void => {};
    const clientRead = new Promise<void>((r) => { clientReadLookup = r; });
    const requests = tracingChannel('gregor:request');
    const onRequestEnd = (payload: unknown): void => {
      if ((payload as { apiKey?: number }).apiKey === ApiKey.FindCoordinator) clientReadLookup();
    };
    const handlers = { start: () => {}, end: () => {}, asyncStart: () => {}, asyncEnd: onRequestEnd, error: () => {} };
    requests.subscribe(handlers);
    after(() => requests.unsubscribe(handlers));
    // A refusal starts the lookup; a heartbeat that reaches node 2 while the lookup is held (the heartbeat thread's
    // keep-alive: the main thread's heartbeat waits for the lookup) is answered only after the lookup was. Which
    // heartbeat comes first is not fixed: under load the keep-alive may be refused before the main thread's heartbeat
    // is sent, and a script that held the second heartbeat at node 2 whatever it was deadlocked (the main thread's
    // heartbeat queued behind the held keep-alive, no lookup ever sent).
    let lookupHeld = false;
    let heldOne = false;
    c.handle(ApiKey.Heartbeat, async (req, next) => {
      if (req.nodeId !== 2) return next();
      atOld += 1;
      if (lookupHeld && !heldOne) {
        heldOne = true;
        releaseLookup();
        await found;
        // The refusal is answered once the client has read the FindCoordinator answer (its gregor:request channel says
        // so; one macrotask later the lookup has cached node 3), not after a fixed pause: on a loaded machine 100 ms did
        // not always cover reading it, and the refusal then legitimately came from the coordinator it knew.
        await clientRead;
        await new Promise((r) => setImmediate(r));
      }
      return next();
    });
    c.handle(ApiKey.FindCoordinator, async (_req, next) => {
      lookupHeld = true;
      await secondAtOld;
      const res = await next();
      lookupAnswered();
      return res;
    });
    c.model.coordinator = 3;
    await until(() => heartbeats(c, 'classic', moved).filter((h) => h.nodeId === 3).length >= 3, 'heartbeats at node 3').catch((err: Error) => {
      const hb = heartbeats(c, 'classic', moved).map((h) => h.nodeId).join(',');
      throw new Error(`${err.message} (heartbeats after the move at nodes ${hb}; ${atOld} at node 2 seen by the script; FindCoordinator sent ${c.requests(ApiKey.FindCoordinator, { after: moved }).length})`);
    });
    assert.ok(atOld >= 2, `${atOld} heartbeats refused by node 2`);
    assert.equal(c.requests(ApiKey.FindCoordinator, { after: moved }).length, 1, 'the late refusal did not forget node 3');
    assert.equal(c.requests(ApiKey.JoinGroup, { after: moved }).length, 0, 'no rebalance');
  });
});
