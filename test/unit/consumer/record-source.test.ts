// What reaches the application from a fetched record set: offsets at or after the fetch offset, no control records,
// and under read_committed no records of aborted transactions (Fetch's abortedTransactions list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkEnd, ChunkRecords, firstEntryComplete, scanRecordSet } from '../../../src/consumer/record-source.js';
import { PartitionState } from '../../../src/consumer/partition-state.js';
import { OffsetReader } from '../../../src/consumer/runner/state.js';
import { CorruptRecordError } from '../../../src/errors.js';
import { ControlType, decodeRecordSet, encodeControlBatch, encodeRecordBatch } from '../../../src/protocol/records/index.js';
import { inspect } from 'node:util';
import { Message as MessageClass, type Message } from '../../../src/consumer/message.js';

function batch(baseOffset: bigint, values: string[], extra: { producerId?: bigint; isTransactional?: boolean; epoch?: number } = {}): Buffer {
  return encodeRecordBatch({
    baseOffset,
    records: values.map((v, i) => ({ key: `k${i}`, value: v, timestamp: 1000 + i })),
    producerId: extra.producerId,
    producerEpoch: 0,
    isTransactional: extra.isTransactional,
    partitionLeaderEpoch: extra.epoch ?? 0,
  });
}

function drain(source: ChunkRecords): Message[] {
  const out: Message[] = [];
  for (let m = source.next(); m !== null; m = source.next()) out.push(m);
  return out;
}

const plain = { checkCrcs: true, readCommitted: false, abortedTransactions: null };

test('scan finds the next fetch offset and the last epoch without decoding', () => {
  const set = Buffer.concat([batch(0n, ['a', 'b']), batch(2n, ['c'], { epoch: 3 })]);
  const s = scanRecordSet(set);
  assert.equal(s.nextOffset, 3n);
  assert.equal(s.lastEpoch, 3);
  assert.equal(s.completeBytes, set.length);
  assert.equal(s.malformed, false);
});

test('scan of a partial tail stops before it; a lone partial batch reports its full size', () => {
  const first = batch(0n, ['a']);
  const second = batch(1n, ['b'.repeat(100)]);
  const s = scanRecordSet(Buffer.concat([first, second.subarray(0, 40)]));
  assert.equal(s.nextOffset, 1n);
  assert.equal(s.completeBytes, first.length);
  assert.equal(s.firstEntrySize, undefined);
  const lone = scanRecordSet(second.subarray(0, 40));
  assert.equal(lone.nextOffset, undefined);
  assert.equal(lone.firstEntrySize, second.length);
});

test('scan flags a malformed header instead of throwing', () => {
  const bad = batch(0n, ['a']);
  bad.writeInt32BE(-5, 8);
  assert.equal(scanRecordSet(bad).malformed, true);
});

test('a chunk\'s end walked on first use: what scan says, once; the partition\'s fetch cursor takes it when read or set', () => {
  const set = Buffer.concat([batch(0n, ['a', 'b']), batch(2n, ['c'], { epoch: 3 }), batch(3n, ['d']).subarray(0, 20)]);
  assert.equal(firstEntryComplete(set), true);
  assert.equal(firstEntryComplete(set.subarray(0, 30)), false, 'a partial first entry: scanned at once (its size is asked for)');
  const end = new ChunkEnd(set);
  const state = new PartitionState('t', 0);
  state.moveTo(0n, 0);
  state.deferCursor(end);
  assert.equal(state.fetchable, true);
  assert.equal(state.fetchOffset, 3n, 'the cursor moves to the end of the last complete batch');
  assert.equal(state.lastFetchedEpoch, 3);
  assert.equal(state.fetchHeld, false);
  assert.equal(end.endOffset, 3n);
  assert.equal(end.endEpoch, 3);
  set.fill(0); // the frame reused: the walk happened once, its result stays
  assert.equal(end.endOffset, 3n);

  // A malformed header after complete entries holds the partition once walked (as scanRecordSet's flag did on arrival).
  const bad = Buffer.concat([batch(0n, ['a']), Buffer.alloc(16)]);
  bad.writeInt32BE(2, bad.length - 8); // a length below any entry's
  assert.equal(firstEntryComplete(bad), true);
  const held = new PartitionState('t', 1);
  held.moveTo(0n, 0);
  held.deferCursor(new ChunkEnd(bad));
  held.lastFetchedEpoch = 7; // a write takes the walk first, then overrides
  assert.equal(held.fetchOffset, 1n);
  assert.equal(held.lastFetchedEpoch, 7);
  assert.equal(held.fetchHeld, true);
  assert.equal(held.fetchable, false);
  held.moveTo(1n, 0); // a seek clears it
  assert.equal(held.fetchHeld, false);
});

test('records below the fetch offset are skipped; messages carry topic, partition, offset, key, value', () => {
  const set = batch(10n, ['a', 'b', 'c', 'd']);
  const msgs = drain(new ChunkRecords('t', 2, set, 12n, plain));
  assert.deepEqual(msgs.map((m) => [m.offset, m.valueString()]), [[12n, 'c'], [13n, 'd']]);
  assert.equal(msgs[0].topic, 't');
  assert.equal(msgs[0].partition, 2);
  assert.equal(msgs[0].keyString(), 'k2');
  assert.equal(msgs[0].timestamp, 1002);
  assert.equal(msgs[0].timestampType, 'CreateTime');
});

test('control batches are never delivered', () => {
  const set = Buffer.concat([
    batch(0n, ['a'], { producerId: 7n, isTransactional: true }),
    encodeControlBatch({ baseOffset: 1n, controlType: ControlType.COMMIT, producerId: 7n, producerEpoch: 0 }),
    batch(2n, ['b']),
  ]);
  assert.deepEqual(drain(new ChunkRecords('t', 0, set, 0n, plain)).map((m) => m.offset), [0n, 2n]);
});

test('read_committed drops the batches of an aborted transaction and keeps committed and other producers', () => {
  const set = Buffer.concat([
    batch(0n, ['p1-aborted-1'], { producerId: 1n, isTransactional: true }),
    batch(1n, ['p2-committed'], { producerId: 2n, isTransactional: true }),
    batch(2n, ['p1-aborted-2'], { producerId: 1n, isTransactional: true }),
    encodeControlBatch({ baseOffset: 3n, controlType: ControlType.ABORT, producerId: 1n, producerEpoch: 0 }),
    encodeControlBatch({ baseOffset: 4n, controlType: ControlType.COMMIT, producerId: 2n, producerEpoch: 0 }),
    batch(5n, ['p1-next-txn'], { producerId: 1n, isTransactional: true }),
    batch(6n, ['plain']),
  ]);
  const aborted = [{ producerId: 1n, firstOffset: 0n }];
  const committed = drain(new ChunkRecords('t', 0, set, 0n, { checkCrcs: true, readCommitted: true, abortedTransactions: aborted }));
  assert.deepEqual(committed.map((m) => m.valueString()), ['p2-committed', 'p1-next-txn', 'plain']);
  const uncommitted = drain(new ChunkRecords('t', 0, set, 0n, plain));
  assert.deepEqual(uncommitted.map((m) => m.valueString()), ['p1-aborted-1', 'p2-committed', 'p1-aborted-2', 'p1-next-txn', 'plain']);
});

test('a corrupt batch: earlier batches are delivered, then a located CorruptRecordError', () => {
  const good = batch(0n, ['a', 'b']);
  const bad = batch(2n, ['c']);
  bad[bad.length - 1] ^= 0xff; // breaks the CRC
  const source = new ChunkRecords('t', 1, Buffer.concat([good, bad]), 0n, plain);
  assert.equal(source.next()?.offset, 0n);
  assert.equal(source.next()?.offset, 1n);
  assert.throws(() => source.next(), (err: unknown) => {
    assert.ok(err instanceof CorruptRecordError);
    assert.equal(err.topic, 't');
    assert.equal(err.partition, 1);
    assert.equal(err.baseOffset, 2n);
    return true;
  });
});

test('a delivered message is the decoded record itself: topic and partition from its batch, timestamps, helpers', () => {
  const created = encodeRecordBatch({ baseOffset: 5n, records: [{ key: 'k', value: '{"n":1}', timestamp: 1_700_000_000_123, headers: [{ key: 'h', value: 'v' }] }] });
  const appended = encodeRecordBatch({ baseOffset: 6n, records: [{ value: 'x', timestamp: 1_700_000_009_999 }, { value: 'y', timestamp: 1_700_000_009_990 }], timestampType: 'LogAppendTime' });
  const [a, b, c] = drain(new ChunkRecords('orders', 7, Buffer.concat([created, appended]), 5n, plain));
  assert.ok(a instanceof MessageClass);
  assert.equal(a.topic, 'orders');
  assert.equal(a.partition, 7);
  assert.equal(a.offset, 5n);
  assert.equal(a.nextOffset, 6n);
  assert.equal(a.timestamp, 1_700_000_000_123);
  assert.equal(a.timestampType, 'CreateTime');
  assert.deepEqual(a.valueJson(), { n: 1 });
  assert.equal(a.headerString('h'), 'v');
  assert.deepEqual(a.toJSON(), {
    topic: 'orders', partition: 7, offset: '5', timestamp: 1_700_000_000_123, timestampType: 'CreateTime',
    key: 'k', value: '{"n":1}', headers: [{ key: 'h', value: 'v' }],
  });
  assert.match(inspect(a), /topic: 'orders'/);
  // LogAppendTime: every record of the batch reads the broker's append time (the batch's maxTimestamp), whatever its
  // own delta says.
  assert.deepEqual([b.timestamp, c.timestamp], [1_700_000_009_999, 1_700_000_009_999]);
  assert.equal(c.timestampType, 'LogAppendTime');
});

test('a one-record data batch is delivered as its record alone: the same fields, its batch built from its own bytes when read', () => {
  const entries = [
    encodeRecordBatch({ baseOffset: 40n, records: [{ key: 'k', value: 'v', timestamp: 1_700_000_000_001, headers: [{ key: 'h', value: 'x' }] }], producerId: 9n, producerEpoch: 2, baseSequence: 17, partitionLeaderEpoch: 5 }),
    encodeRecordBatch({ baseOffset: 41n, records: [{ value: 'w', timestamp: 1_700_000_000_002 }], timestampType: 'LogAppendTime' }),
    // Compacted: one record left at delta 2 of a batch whose last delta is 3.
    encodeRecordBatch({ baseOffset: 42n, records: [{ value: 'c', timestamp: 1_700_000_000_003, offsetDelta: 2 }], lastOffsetDelta: 3 }),
    batch(46n, ['t'], { producerId: 3n, isTransactional: true, epoch: 5 }),
    batch(47n, ['m1', 'm2']),
  ];
  const set = Buffer.concat(entries);
  const expected = decodeRecordSet(set, { topic: 'wide', partition: 3 }).batches;
  const msgs = drain(new ChunkRecords('wide', 3, Buffer.from(set), 0n, plain));
  assert.equal(msgs.length, 6);
  const solo = msgs.slice(0, 3);
  for (const m of solo) assert.equal(m._batch, null, 'decoded without a batch object');
  assert.notEqual(msgs[3]._batch, null, 'a transactional batch keeps its object (the abort filter reads it)');
  assert.deepEqual(msgs.map((m) => m.offset), [40n, 41n, 44n, 46n, 47n, 48n]);
  assert.deepEqual(solo.map((m) => [m.topic, m.partition, m.leaderEpoch]), [['wide', 3, 5], ['wide', 3, -1], ['wide', 3, -1]]);
  assert.deepEqual(solo.map((m) => [m.timestamp, m.timestampType]), [
    [1_700_000_000_001, 'CreateTime'], [expected[1].maxTimestamp, 'LogAppendTime'], [1_700_000_000_003, 'CreateTime'],
  ]);
  assert.deepEqual(solo.map((m) => m.toJSON()), expected.slice(0, 3).map((b) => b.records[0].toJSON()));
  assert.equal(solo[0].headerString('h'), 'x');
  for (let i = 0; i < 3; i++) {
    const built = solo[i].batch;
    assert.equal(solo[i].batch, built, 'built once');
    assert.equal(built.records.length, 1);
    assert.equal(built.records[0], solo[i]);
    const { records: _r, ...fields } = built;
    const { records: _e, ...want } = expected[i];
    assert.deepEqual(fields, want);
  }
});

test('one-record batches: below the fetch offset skipped, read a batch at a time (takeInto), owning their bytes', () => {
  const set = Buffer.concat([batch(0n, ['a']), batch(1n, ['b']), batch(2n, ['c', 'd']), batch(4n, ['e']), batch(5n, ['f'])]);
  const input = Buffer.from(set);
  const source = new ChunkRecords('t', 0, input, 1n, plain);
  const out: Message[] = [];
  while (source.takeInto(out, 10) > 0);
  assert.deepEqual(out.map((m) => [m.offset, m.valueString()]), [[1n, 'b'], [2n, 'c'], [3n, 'd'], [4n, 'e'], [5n, 'f']]);
  input.fill(0); // the response frame lent again: records read their own copies
  assert.deepEqual(out.map((m) => [m.offset, m.valueString(), m.keyString(), m.timestamp]), [
    [1n, 'b', 'k0', 1000], [2n, 'c', 'k0', 1000], [3n, 'd', 'k1', 1001], [4n, 'e', 'k0', 1000], [5n, 'f', 'k0', 1000],
  ]);
  assert.deepEqual(out.map((m) => m.batch.baseOffset), [1n, 2n, 2n, 4n, 5n]);
});

test("run()'s offsets as numbers: a record decoded without its batch reads its entry's base offset, no batch built", () => {
  const set = Buffer.concat([batch(7n, ['a']), batch(8n, ['b', 'c']), encodeRecordBatch({ baseOffset: 10n, records: [{ value: 'd', offsetDelta: 1 }], lastOffsetDelta: 1 })]);
  const msgs = drain(new ChunkRecords('t', 0, set, 0n, plain));
  const reader = new OffsetReader();
  assert.deepEqual(msgs.map((m) => reader.of(m)), [7, 8, 9, 11]);
  assert.equal(msgs[0]._batch, null);
  assert.equal(msgs[3]._batch, null);
});
