// Commits while the group coordinator moves: the OffsetCommit is refused by the old coordinator (NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE) or its connection drops; FindCoordinator then names another node. The commit must be
// retried there and succeed there exactly once, with the same offsets; commit() resolves only then.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.js';
import { CLOSE, GROUP, TOPIC, describe, expected, pollUntil, recordingListener, scenario, take } from './helpers.js';
import { isGregorError } from '../../../src/errors.js';
import type { Outcome, Received } from '../../support/scripted-broker.js';

const CONFIG = { 'group.id': GROUP, 'enable.auto.commit': false } as const;

function refusal(code: number): (req: Received<typeof ApiKey.OffsetCommit>) => Outcome<typeof ApiKey.OffsetCommit> {
  return (req) => ({
    topics: req.body.topics!.map((t) => ({ topicId: t.topicId as string, partitions: t.partitions!.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  });
}

for (const { what, answer } of [
  { what: 'NOT_COORDINATOR', answer: refusal(ErrorCode.NOT_COORDINATOR) },
  { what: 'COORDINATOR_NOT_AVAILABLE', answer: refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE) },
  { what: 'the connection dropping', answer: (): Outcome<typeof ApiKey.OffsetCommit> => CLOSE },
]) {
  test(`the coordinator moves mid-commit (${what}): the commit is retried at the new coordinator and succeeds there once`, async () => {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 3 });
      c.model.coordinator = 1;
      c.model.append(TOPIC, 0, 5);
    }, CONFIG, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
      assert.deepEqual(describe(await take(consumer, 3)), expected(0, 3));
      // The group's coordinator moves to node 2 while the commit is on its way to node 1.
      c.script(ApiKey.OffsetCommit, (req) => {
        c.model.coordinator = 2;
        return answer(req);
      }, { node: 1 });
      const before = c.mark();
      await consumer.commit();

      const commits = c.requests(ApiKey.OffsetCommit, { after: before });
      assert.deepEqual(commits.map((r) => r.nodeId), [1, 2], 'refused at node 1, retried at node 2 once');
      assert.deepEqual(commits[1].body, commits[0].body, 'the same offsets');
      assert.deepEqual(commits[1].body.topics![0].partitions, [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: 0, committedMetadata: null }]);
      const lookups = c.requests(ApiKey.FindCoordinator, { after: commits[0].seq });
      assert.equal(lookups.length, 1, 'the coordinator was looked up again, once');
      assert.ok(lookups[0].seq < commits[1].seq);
      assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), 3n);

      // The next commit goes straight to the new coordinator.
      await take(consumer, 1);
      const next = c.mark();
      await consumer.commit();
      assert.deepEqual(c.requests(ApiKey.OffsetCommit, { after: next }).map((r) => r.nodeId), [2]);
      assert.equal(c.requests(ApiKey.FindCoordinator, { after: next }).length, 0);
      assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), 4n);
    });
  });
}

test('the coordinator moves while a group member commits on revoke: committed once at the new coordinator, same generation', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 3 });
    c.model.coordinator = 1;
    c.model.append(TOPIC, 0, 4);
  }, { 'group.id': GROUP, 'auto.offset.reset': 'earliest', 'heartbeat.interval.ms': 50, 'auto.commit.interval.ms': 600_000 }, async (c, consumer) => {
    const listener = recordingListener();
    consumer.subscribe([TOPIC], listener);
    await take(consumer, 4);
    const moved = c.mark();
    c.script(ApiKey.OffsetCommit, (req) => {
      c.model.coordinator = 2;
      return refusal(ErrorCode.NOT_COORDINATOR)(req);
    }, { node: 1 });
    c.script(ApiKey.Heartbeat, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS }, { node: 1 });
    await pollUntil(consumer, () => listener.calls.length === 3, 'revoked and assigned again');
    assert.deepEqual(listener.calls, ['assigned t[0]', 'revoked t[0]', 'assigned t[0]']);
    const commits = c.requests(ApiKey.OffsetCommit, { after: moved });
    assert.deepEqual(commits.map((r) => r.nodeId), [1, 2]);
    assert.deepEqual(commits.map((r) => r.body.generationIdOrMemberEpoch), [1, 1]);
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), 4n);
    // The rejoin goes to the new coordinator too.
    const rejoin = c.requests(ApiKey.JoinGroup, { after: moved });
    assert.ok(rejoin.length > 0 && rejoin.every((r) => r.nodeId === 2));
  });
});

for (const { error, code } of [
  { error: 'REBALANCE_IN_PROGRESS', code: ErrorCode.REBALANCE_IN_PROGRESS },
  { error: 'ILLEGAL_GENERATION', code: ErrorCode.ILLEGAL_GENERATION },
  { error: 'UNKNOWN_MEMBER_ID', code: ErrorCode.UNKNOWN_MEMBER_ID },
]) {
  test(`commit() answered ${error} rejects with that error at once: retrying cannot succeed in this generation`, async () => {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 1 });
      c.model.append(TOPIC, 0, 3);
    }, { 'group.id': GROUP, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false, 'heartbeat.interval.ms': 50 }, async (c, consumer) => {
      const listener = recordingListener();
      consumer.subscribe([TOPIC], listener);
      await take(consumer, 3);
      const before = c.mark();
      c.script(ApiKey.OffsetCommit, refusal(code));
      await assert.rejects(consumer.commit(), (err: unknown) => {
        assert.equal((err as { errorCode?: number }).errorCode, code, String(err));
        return true;
      });
      assert.equal(c.requests(ApiKey.OffsetCommit, { after: before }).length, 1, 'not retried');
      assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), undefined);
    });
  });
}

test('commit() against a coordinator that stops answering rejects with a TimeoutError by default.api.timeout.ms, not request.timeout.ms', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.append(TOPIC, 0, 3);
  }, {
    'group.id': GROUP, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false,
    'request.timeout.ms': 120_000, 'default.api.timeout.ms': 300,
  }, async (c, consumer) => {
    consumer.subscribe([TOPIC]);
    await take(consumer, 3);
    const before = c.mark();
    let answer!: () => void;
    const answered = new Promise<void>((r) => { answer = r; });
    c.script(ApiKey.OffsetCommit, async (_req, next) => {
      await answered;
      return next();
    });
    // No answer until the end of the test; the request's own timeout (2 minutes) is far off. The caller's deadline
    // must end the wait.
    const late = new Promise<'request.timeout.ms'>((r) => setTimeout(() => r('request.timeout.ms'), 60_000).unref());
    const outcome = await Promise.race([consumer.commit().then(() => 'committed', (err: unknown) => err), late]);
    assert.ok(isGregorError(outcome) && outcome.code === 'ERR_TIMEOUT', `expected a TimeoutError, got ${String(outcome)}`);
    assert.match(String((outcome as Error).message), /commit offsets for group "g"/);
    assert.equal(c.requests(ApiKey.OffsetCommit, { after: before }).length, 1);
    assert.equal(c.model.committedOffset(GROUP, TOPIC, 0), undefined);
    // The abandoned request is still the broker's: answered late, it is applied there (a timed-out commit may or may
    // not have been stored), and close() can leave the group behind it.
    answer();
  });
});
