// Fetch sessions (KIP-227): what each request carries, and how errors and lost responses reset the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSession, type SessionPartition } from '../../../src/consumer/fetch-session.js';

function p(topic: string, partition: number, fetchOffset: bigint, extra: Partial<SessionPartition> = {}): SessionPartition {
  return { topic, topicId: `id-${topic}`, partition, fetchOffset, partitionMaxBytes: 1024, currentLeaderEpoch: 0, lastFetchedEpoch: -1, ...extra };
}

test('the first request is full and asks for a new session (id 0, epoch 0)', () => {
  const s = new FetchSession();
  const r = s.build([p('a', 0, 0n), p('a', 1, 5n)]);
  assert.equal(r.full, true);
  assert.equal(r.sessionId, 0);
  assert.equal(r.sessionEpoch, 0);
  assert.equal(r.partitions.length, 2);
  assert.deepEqual(r.forgotten, []);
});

test('incremental requests carry only changed partitions and forget removed ones; the epoch increments', () => {
  const s = new FetchSession();
  s.build([p('a', 0, 0n), p('a', 1, 5n), p('b', 0, 7n)]);
  assert.equal(s.onResponse(0, 42), true);
  // a-0 advanced, a-1 unchanged, b-0 removed (paused, say)
  const r = s.build([p('a', 0, 10n), p('a', 1, 5n)]);
  assert.equal(r.full, false);
  assert.equal(r.sessionId, 42);
  assert.equal(r.sessionEpoch, 1);
  assert.deepEqual(r.partitions.map((x) => `${x.topic}-${x.partition}@${x.fetchOffset}`), ['a-0@10']);
  assert.deepEqual(r.forgotten, [{ topic: 'b', topicId: 'id-b', partitions: [0] }]);
  assert.equal(s.onResponse(0, 42), true);
  const r2 = s.build([p('a', 0, 10n), p('a', 1, 5n, { partitionMaxBytes: 4096 })]);
  assert.equal(r2.sessionEpoch, 2);
  assert.deepEqual(r2.partitions.map((x) => `${x.topic}-${x.partition}`), ['a-1'], 'a changed limit is sent');
  assert.deepEqual(r2.forgotten, []);
});

test('a topic recreated with a new id is forgotten under the old id and sent under the new one', () => {
  const s = new FetchSession();
  s.build([p('a', 0, 3n)]);
  s.onResponse(0, 9);
  const r = s.build([p('a', 0, 3n, { topicId: 'new-id' })]);
  assert.equal(r.partitions.length, 1);
  assert.equal(r.partitions[0].topicId, 'new-id');
  assert.deepEqual(r.forgotten, [{ topic: 'a', topicId: 'id-a', partitions: [0] }]);
});

test('an incremental response updates only what it sent: forgotten partitions leave, added and changed ones are kept at their new values', () => {
  const s = new FetchSession();
  s.build([p('a', 0, 0n), p('a', 1, 0n), p('a', 2, 0n)]);
  s.onResponse(0, 5);
  // a-1 forgotten, a-2 advanced, a-3 added
  const r = s.build([p('a', 0, 0n), p('a', 2, 4n), p('a', 3, 0n)]);
  assert.deepEqual(r.partitions.map((x) => `${x.partition}@${x.fetchOffset}`), ['2@4', '3@0']);
  assert.deepEqual(r.forgotten, [{ topic: 'a', topicId: 'id-a', partitions: [1] }]);
  s.onResponse(0, 5);
  assert.equal(s.size, 3);
  const same = s.build([p('a', 0, 0n), p('a', 2, 4n), p('a', 3, 0n)]);
  assert.deepEqual(same.partitions, [], 'nothing changed since the session was updated');
  assert.deepEqual(same.forgotten, []);
  s.onResponse(0, 5);
  // a-1 wanted again: sent as new
  const back = s.build([p('a', 0, 0n), p('a', 1, 0n), p('a', 2, 4n), p('a', 3, 0n)]);
  assert.deepEqual(back.partitions.map((x) => x.partition), [1]);
  assert.deepEqual(back.forgotten, []);
});

test('FETCH_SESSION_ID_NOT_FOUND starts a new session with a full request', () => {
  const s = new FetchSession();
  s.build([p('a', 0, 0n)]);
  s.onResponse(0, 7);
  s.build([p('a', 0, 1n)]);
  assert.equal(s.onResponse(70, 0), false);
  const r = s.build([p('a', 0, 1n)]);
  assert.equal(r.full, true);
  assert.equal(r.sessionId, 0);
  assert.equal(r.sessionEpoch, 0);
});

test('INVALID_FETCH_SESSION_EPOCH and a lost response close the session and start over with a full request', () => {
  for (const fail of [(s: FetchSession) => s.onResponse(71, 0), (s: FetchSession) => s.onFailure()]) {
    const s = new FetchSession();
    s.build([p('a', 0, 0n)]);
    s.onResponse(0, 7);
    s.build([p('a', 0, 1n)]);
    fail(s);
    const r = s.build([p('a', 0, 1n)]);
    assert.equal(r.full, true);
    assert.equal(r.sessionEpoch, 0);
    assert.equal(r.sessionId, 7, 'the old session id is named so the broker frees it');
    assert.equal(r.partitions.length, 1);
  }
});

test('a broker that keeps no session (id 0 in the response) gets full requests', () => {
  const s = new FetchSession();
  s.build([p('a', 0, 0n)]);
  s.onResponse(0, 0);
  const r = s.build([p('a', 0, 0n)]);
  assert.equal(r.full, true);
  assert.equal(r.partitions.length, 1);
  assert.equal(s.closeRequest(), null);
});

test('sessions disabled (Fetch < v7): always full with epoch -1', () => {
  const s = new FetchSession(false);
  const r = s.build([p('a', 0, 0n)]);
  assert.equal(r.sessionEpoch, -1);
  assert.equal(r.full, true);
});

test('the epoch wraps from 2^31-1 to 1, never to 0 (which would mean a new session)', () => {
  const s = new FetchSession();
  s.build([p('a', 0, 0n)]);
  s.onResponse(0, 5);
  (s as unknown as { epoch: number }).epoch = 0x7fffffff;
  s.build([p('a', 0, 0n)]);
  s.onResponse(0, 5);
  assert.equal(s.build([p('a', 0, 0n)]).sessionEpoch, 1);
  assert.deepEqual(s.closeRequest(), { sessionId: 5, sessionEpoch: -1 });
});

test('a partition given with its key (as the fetcher passes PartitionState.key) is the same session entry as one without', () => {
  const keyed = (topic: string, partition: number, fetchOffset: bigint): SessionPartition => p(topic, partition, fetchOffset, { key: `${topic}:${partition}` });
  const s = new FetchSession();
  s.build([keyed('a', 0, 0n), p('a', 1, 5n), keyed('b', 0, 7n)]);
  assert.equal(s.onResponse(0, 42), true);
  const r = s.build([p('a', 0, 0n), keyed('a', 1, 6n)]);
  assert.equal(r.full, false);
  assert.deepEqual(r.partitions.map((x) => `${x.topic}-${x.partition}@${x.fetchOffset}`), ['a-1@6']);
  assert.deepEqual(r.forgotten, [{ topic: 'b', topicId: 'id-b', partitions: [0] }]);
});
