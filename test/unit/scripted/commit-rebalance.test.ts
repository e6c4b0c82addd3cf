// Commits made while a classic (cooperative) rebalance is under way: the member's heartbeat learnt of it and its
// JoinGroup is at the coordinator when the application commits, or closes (its revoked listener commits). Kafka
// handles one request per connection at a time, so the OffsetCommit, sent on the group connection behind the
// JoinGroup, is read once the join completed: in the new generation, which the commit does not carry yet, and the
// coordinator answers ILLEGAL_GENERATION (REBALANCE_IN_PROGRESS when it carries the new one before SyncGroup). The
// commit must follow the member into the new generation and be stored, not fail: a clean close that loses its final
// commit re-delivers what it had handled (R2's "final commit: last delivered @1669, last commit 1640").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.js';
import type { ScriptedCluster } from '../../support/scripted-broker.js';
import { GROUP, TOPIC, scenario, take, until } from './helpers.js';

const CONFIG = {
  'group.id': GROUP,
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
  'partition.assignment.strategy': 'cooperative-sticky',
  'heartbeat.interval.ms': 50,
  'session.timeout.ms': 3000,
} as const;

function twoPartitions(c: ScriptedCluster): void {
  c.model.addTopic(TOPIC, 2, { leader: 1 });
  c.model.coordinator = 2;
  c.model.append(TOPIC, 0, 3);
  c.model.append(TOPIC, 1, 3);
}

/**
 * The coordinator starts a rebalance (a heartbeat answered REBALANCE_IN_PROGRESS) and holds the member's JoinGroup
 * until `complete()`; OffsetCommits arriving meanwhile are read after it, as Kafka reads one request per connection
 * at a time. Resolves once the JoinGroup is held.
 */
async function rebalanceHeld(c: ScriptedCluster): Promise<{ complete: () => void }> {
  let complete!: () => void;
  const joined = new Promise<void>((r) => { complete = r; });
  const from = c.mark();
  c.script(ApiKey.Heartbeat, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
  c.script(ApiKey.JoinGroup, async (_req, next) => {
    await joined;
    return next();
  });
  c.handle(ApiKey.OffsetCommit, async (_req, next) => {
    await joined;
    return next();
  });
  await c.waitFor(ApiKey.JoinGroup, { after: from });
  return { complete };
}

test('commit() while the JoinGroup of a cooperative rebalance is at the coordinator: refused in the old generation, stored in the new one', async () => {
  await scenario(twoPartitions, CONFIG, async (c, consumer) => {
    consumer.subscribe([TOPIC]);
    await take(consumer, 6);
    const generation = c.model.classic.generation;
    const { complete } = await rebalanceHeld(c);
    const from = c.mark();
    const commit = consumer.commit();
    await c.waitFor(ApiKey.OffsetCommit, { after: from });
    complete();
    await commit;
    const commits = c.requests(ApiKey.OffsetCommit, { after: from });
    assert.deepEqual(commits.map((r) => r.body.generationIdOrMemberEpoch), [generation, generation + 1],
      'refused in the generation it was sent in (ILLEGAL_GENERATION), then sent again in the new one');
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), 3n);
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 1), 3n);
  });
});

test('close() while the JoinGroup of a cooperative rebalance is at the coordinator: the revoked listener\'s commit is stored before leaving', async () => {
  await scenario(twoPartitions, CONFIG, async (c, consumer) => {
    const delivered = new Map<number, bigint>();
    const listenerCommits: string[] = [];
    consumer.subscribe([TOPIC], {
      revoked: async (partitions) => {
        const list = partitions.flatMap((tp) => {
          const next = delivered.get(tp.partition);
          return next === undefined ? [] : [{ ...tp, offset: next }];
        });
        await consumer.commit(list).then(() => listenerCommits.push('stored'), (err: unknown) => listenerCommits.push(`refused: ${String(err)}`));
      },
    });
    for (const m of await take(consumer, 6)) delivered.set(m.partition, m.offset + 1n);
    const { complete } = await rebalanceHeld(c);
    const from = c.mark();
    const closing = consumer.close();
    await c.waitFor(ApiKey.OffsetCommit, { after: from });
    complete();
    await closing;
    assert.deepEqual(listenerCommits, ['stored']);
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), 3n);
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 1), 3n);
    await until(() => c.requests(ApiKey.LeaveGroup, { after: from }).length === 1, 'LeaveGroup after the commit');
    const leave = c.requests(ApiKey.LeaveGroup, { after: from })[0];
    const stored = c.requests(ApiKey.OffsetCommit, { after: from }).at(-1)!;
    assert.ok(stored.seq < leave.seq, 'committed before leaving');
  });
});

test('a commit asked before the member learnt its session was lost is not stored in the generation it rejoined', async () => {
  await scenario(twoPartitions, CONFIG, async (c, consumer) => {
    const events: string[] = [];
    consumer.subscribe([TOPIC], {
      assigned: (tps) => { events.push(`assigned ${tps.length}`); },
      lost: (tps) => { events.push(`lost ${tps.length}`); },
    });
    await take(consumer, 6);
    const generation = c.model.classic.generation;
    // R8's sequence: the process wakes from a stop longer than its session. Its application commits at once, twice;
    // the first commit is under way (the coordinator answers COORDINATOR_LOAD_IN_PROGRESS here, so it retries) and
    // the second waits behind it in the commit queue, when the heartbeat learns the member is gone: the partitions
    // are lost, the member rejoins as a new one and is assigned the same partitions again. Only then do the commits
    // go on.
    let rejoined = false;
    const from = c.mark();
    c.handle(ApiKey.OffsetCommit, async (req, next) => (rejoined ? next() : {
      topics: req.body.topics!.map((t) => ({ topicId: t.topicId as string, partitions: t.partitions!.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS })) })),
    }));
    const first = consumer.commit();
    await c.waitFor(ApiKey.OffsetCommit, { after: from });
    const stale = consumer.commit([{ topic: TOPIC, partition: 0, offset: 1n }, { topic: TOPIC, partition: 1, offset: 2n }]);
    c.script(ApiKey.Heartbeat, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    await until(() => events.join() === 'assigned 2,lost 2,assigned 2', 'the partitions lost and assigned again');
    assert.ok(c.model.classic.generation > generation);
    rejoined = true;
    await assert.rejects(first, (err: Error) => err.name === 'KafkaError');
    await assert.rejects(stale, (err: Error) => err.name === 'StateError' && /t\[0\], t\[1\] not committed/.test(err.message));
    const sent = new Set(c.requests(ApiKey.OffsetCommit, { after: from }).map((r) => r.body.generationIdOrMemberEpoch));
    assert.deepEqual([...sent], [generation], 'only the first commit went out, in the generation it was asked in');
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), undefined);
  });
});
