// What the application holds, and what may be committed for it: the message handed out last is not finished until
// the application polls again; a revoke waits for that poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Delivery } from '../../../src/consumer/delivery.js';
import { FetchBuffer } from '../../../src/consumer/fetch-buffer.js';
import { PartitionState } from '../../../src/consumer/partition-state.js';
import { ChunkRecords } from '../../../src/consumer/record-source.js';
import { encodeRecordBatch } from '../../../src/protocol/records/index.js';

function setup(): { buffer: FetchBuffer; delivery: Delivery; a: PartitionState; b: PartitionState } {
  const buffer = new FetchBuffer(1 << 20);
  const delivery = new Delivery(buffer, () => false);
  const a = new PartitionState('t', 0);
  const b = new PartitionState('t', 1);
  for (const s of [a, b]) {
    s.moveTo(0n, -1);
    const records = encodeRecordBatch({ baseOffset: 0n, records: [{ value: 'x' }, { value: 'y' }, { value: 'z' }], partitionLeaderEpoch: 2 });
    buffer.push({
      state: s, generation: s.generation, bytes: records.length, endOffset: 3n, endEpoch: 2,
      records: new ChunkRecords(s.topic, s.partition, records, 0n, { checkCrcs: true, readCommitted: false, abortedTransactions: null }),
    });
  }
  return { buffer, delivery, a, b };
}

test('the message in hand is not finished; once the application polls again it is', () => {
  const { delivery, a, b } = setup();
  delivery.beforePoll();
  assert.equal(delivery.take()?.offset, 0n);
  delivery.beforePoll();
  assert.equal(delivery.take()?.offset, 1n);
  assert.deepEqual(delivery.finishedOffsets([a, b]).map((o) => [o.partition, o.offset]), [[0, 1n], [1, 0n]],
    'offset 1 of partition 0 is in hand: 1 is committed (the next to read), not 2');
  delivery.beforePoll();
  assert.deepEqual(delivery.finishedOffsets([a]).map((o) => o.offset), [2n]);
});

test('a held batch: the first held message of each partition bounds what is finished', () => {
  const { delivery, a, b } = setup();
  delivery.beforePoll();
  const batch = [delivery.take()!, delivery.take()!, delivery.take()!, delivery.take()!];
  delivery.holdBatch(batch);
  assert.deepEqual(batch.map((m) => `${m.partition}:${m.offset}`), ['0:0', '0:1', '0:2', '1:0']);
  assert.deepEqual(delivery.finishedOffsets([a, b]).map((o) => o.offset), [0n, 0n]);
});

test('untilProcessed resolves at the next poll (and at once when nothing is held)', async () => {
  const { delivery, a, b } = setup();
  delivery.beforePoll();
  delivery.take();
  await delivery.untilProcessed([b], 60_000); // nothing of b is held
  let done = false;
  const waiting = delivery.untilProcessed([a], 60_000).then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'waits while the message is in hand');
  delivery.beforePoll();
  await waiting;
  assert.equal(done, true);
});

test('handOut yields to the event loop during a long buffered run', async () => {
  const { delivery } = setup();
  let timerRan = false;
  setTimeout(() => { timerRan = true; }, 0);
  const started = performance.now();
  // A synchronous-looking loop over resolved values for > 5 ms must let the timer run.
  while (!timerRan && performance.now() - started < 2000) await delivery.handOut(1);
  assert.equal(timerRan, true);
});
