// The share consumer's acknowledgement batching (pure): runs of consecutive offsets, one type for a uniform run,
// renewals apart from final acknowledgements, a final acknowledgement superseding a pending renewal, and requeueing
// what a failed request carried without overriding newer acknowledgements.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckQueue, AckType, countByType, toBatches, type AckTypeCode } from '../../../src/consumer/share/acknowledgements.js';

const m = (entries: [number, AckTypeCode][]): Map<bigint, AckTypeCode> => new Map(entries.map(([o, t]) => [BigInt(o), t]));

test('toBatches: consecutive offsets form one batch; a uniform batch carries one type, a mixed one a type per offset', () => {
  assert.deepEqual(toBatches(m([[5, 1], [3, 1], [4, 1], [9, 3]])), [
    { firstOffset: 3n, lastOffset: 5n, acknowledgeTypes: [1] },
    { firstOffset: 9n, lastOffset: 9n, acknowledgeTypes: [3] },
  ]);
  assert.deepEqual(toBatches(m([[10, 1], [11, 0], [12, 2]])), [{ firstOffset: 10n, lastOffset: 12n, acknowledgeTypes: [1, 0, 2] }]);
  assert.deepEqual(toBatches(new Map()), []);
});

test('AckQueue: final acknowledgements and renewals are taken apart; take() empties; counts by type', () => {
  const q = new AckQueue();
  q.add('T', 0, 1n, AckType.ACCEPT);
  q.add('T', 0, 2n, AckType.RENEW);
  q.add('T', 1, 7n, AckType.REJECT);
  assert.equal(q.size, 3);
  assert.ok(q.hasFinal && q.hasRenew);
  const finals = q.take(false)!;
  assert.equal(finals.count, 2);
  assert.equal(finals.renew, false);
  assert.deepEqual(countByType(finals), { gap: 0, accept: 1, release: 0, reject: 1, renew: 0 });
  assert.equal(q.take(false), null);
  const renews = q.take(true)!;
  assert.equal(renews.renew, true);
  assert.deepEqual([...renews.partitions.values()].map((p) => [...p.offsets]), [[[2n, AckType.RENEW]]]);
  assert.equal(q.size, 0);
});

test('AckQueue: a final acknowledgement supersedes a pending renewal of the same record; hasFinalOutside', () => {
  const q = new AckQueue();
  q.add('T', 0, 4n, AckType.RENEW);
  q.add('T', 0, 4n, AckType.ACCEPT);
  assert.equal(q.hasRenew, false);
  assert.ok(q.hasFinalOutside(new Map([['T:1', 1]])));
  assert.ok(!q.hasFinalOutside(new Map([['T:0', 1]])));
});

test('AckQueue.requeue: what a failed request carried comes back, unless acknowledged again since', () => {
  const q = new AckQueue();
  q.add('T', 0, 1n, AckType.ACCEPT);
  q.add('T', 0, 2n, AckType.ACCEPT);
  const taken = q.take(false)!;
  q.add('T', 0, 2n, AckType.REJECT);
  q.requeue(taken, { answered: true });
  const again = q.take(false)!;
  assert.deepEqual([...again.partitions.get('T:0')!.offsets].sort((a, b) => Number(a[0] - b[0])), [[1n, AckType.ACCEPT], [2n, AckType.REJECT]]);
  assert.equal(again.unanswered.size, 0, 'an answered failure (a share-session error) applied nothing');
});

test('AckQueue.requeue: acknowledgements of a request that got no answer stay marked until answered', () => {
  const q = new AckQueue();
  q.add('T', 0, 1n, AckType.ACCEPT);
  q.add('T', 0, 2n, AckType.ACCEPT);
  q.add('T', 1, 7n, AckType.RENEW);
  const taken = q.take(false)!;
  q.add('T', 0, 2n, AckType.REJECT);
  // Timed out: the broker may have applied offset 1 (offset 2 was acknowledged again since: the new one is sent).
  q.requeue(taken, { answered: false });
  const second = q.take(false)!;
  assert.deepEqual([...second.unanswered.get('T:0') ?? []], [1n]);
  // Failed again, this time with an answer (nothing applied): the mark from the first attempt stays.
  q.requeue(second, { answered: true });
  const third = q.take(false)!;
  assert.deepEqual([...third.unanswered.get('T:0') ?? []], [1n]);
  // Taken and answered: nothing marked any more; renewals are never marked.
  q.add('T', 0, 1n, AckType.ACCEPT);
  assert.equal(q.take(false)!.unanswered.size, 0);
  const renews = q.take(true)!;
  q.requeue(renews, { answered: false });
  assert.equal(q.take(true)!.unanswered.size, 0);
});
