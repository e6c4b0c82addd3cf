// The fetch buffer: delivery advances positions, paused partitions are held back, stale chunks are dropped,
// budgets are counted in bytes, and a corrupt chunk fails only its partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredChunk, FetchBuffer, type Chunk } from '../../../src/consumer/fetch-buffer.js';
import { PartitionState } from '../../../src/consumer/partition-state.js';
import { ChunkEnd, ChunkRecords } from '../../../src/consumer/record-source.js';
import { FrameLease } from '../../../src/network/frame-pool.js';
import { CorruptRecordError } from '../../../src/errors.js';
import { ControlType, encodeControlBatch, encodeRecordBatch } from '../../../src/protocol/records/index.js';

function state(topic: string, partition: number, position = 0n): PartitionState {
  const s = new PartitionState(topic, partition);
  s.moveTo(position, -1);
  return s;
}

function chunk(s: PartitionState, from: bigint, values: string[], tail: Buffer[] = []): Chunk {
  const records = Buffer.concat([
    encodeRecordBatch({ baseOffset: from, records: values.map((v) => ({ value: v })), partitionLeaderEpoch: 4 }),
    ...tail,
  ]);
  const end = from + BigInt(values.length) + BigInt(tail.length);
  return {
    state: s,
    generation: s.generation,
    bytes: records.length,
    endOffset: end,
    endEpoch: 4,
    records: new ChunkRecords(s.topic, s.partition, records, from, { checkCrcs: true, readCommitted: false, abortedTransactions: null }),
  };
}

function values(buffer: FetchBuffer): string[] {
  const out: string[] = [];
  for (let m = buffer.next(); m !== null; m = buffer.next()) out.push(`${m.topic}-${m.partition}:${m.offset}:${m.valueString()}`);
  return out;
}

test('delivery hands out chunks in arrival order and advances each position', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  const c = state('t', 1);
  b.push(chunk(a, 0n, ['x', 'y']));
  b.push(chunk(c, 0n, ['z']));
  assert.deepEqual(values(b), ['t-0:0:x', 't-0:1:y', 't-1:0:z']);
  assert.equal(a.position, 2n);
  assert.equal(a.positionEpoch, 4);
  assert.equal(c.position, 1n);
  assert.equal(b.bufferedBytes, 0);
  assert.equal(a.bufferedBytes, 0);
});

test('a chunk ending in invisible records (a commit marker) moves the position past them once drained', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  const marker = encodeControlBatch({ baseOffset: 1n, controlType: ControlType.COMMIT, producerId: 3n, producerEpoch: 0 });
  b.push(chunk(a, 0n, ['x'], [marker]));
  assert.equal(b.next()?.offset, 0n);
  assert.equal(a.position, 1n);
  assert.equal(b.next(), null);
  assert.equal(a.position, 2n, 'the position skips the control record, so lag reaches 0');
});

test('bytes are counted globally and per partition; a partition is fetched again only under its share', () => {
  const b = new FetchBuffer(1000);
  const a = state('t', 0);
  assert.equal(b.wantsMore(a, 4), true);
  const ch = chunk(a, 0n, ['x'.repeat(300)]);
  b.push(ch);
  assert.equal(b.bufferedBytes, ch.bytes);
  assert.equal(a.bufferedBytes, ch.bytes);
  assert.equal(b.budgetLeft(), 1000 - ch.bytes);
  assert.equal(b.wantsMore(a, 4), false, 'over its quarter of the budget');
  assert.equal(b.wantsMore(a, 1), true, 'alone, it may use the whole budget');
  values(b);
  assert.equal(b.budgetLeft(), 1000);
});

test('a paused partition keeps its data, others flow; resume delivers it without gap or duplicate', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  const c = state('t', 1);
  b.push(chunk(a, 0n, ['a0', 'a1', 'a2']));
  b.push(chunk(c, 0n, ['c0']));
  assert.equal(b.next()?.valueString(), 'a0');
  a.paused = true;
  b.pause(a);
  assert.deepEqual(values(b), ['t-1:0:c0']);
  assert.ok(a.bufferedBytes > 0, 'parked data is still counted');
  a.paused = false;
  b.resume(a);
  assert.deepEqual(values(b), ['t-0:1:a1', 't-0:2:a2']);
  assert.equal(a.position, 3n);
});

test('a chunk whose end is walked on first use: used up, the position moves to its end; dropped, it is walked before its frame is released', () => {
  const b = new FetchBuffer(1 << 20);
  const s = state('t', 0);
  const deferred = (from: bigint, values: string[]): { chunk: DeferredChunk; frame: Buffer } => {
    const frame = Buffer.concat([
      encodeRecordBatch({ baseOffset: from, records: values.map((v) => ({ value: v })), partitionLeaderEpoch: 4 }),
      encodeControlBatch({ baseOffset: from + BigInt(values.length), controlType: ControlType.COMMIT, producerId: 1n, producerEpoch: 0, partitionLeaderEpoch: 5 }),
    ]);
    const end = new ChunkEnd(frame);
    s.deferCursor(end);
    const records = new ChunkRecords(s.topic, s.partition, frame, from, { checkCrcs: true, readCommitted: false, abortedTransactions: null });
    return { chunk: new DeferredChunk(s, s.generation, frame.length, records, new FrameLease(frame).hold(), end), frame };
  };
  const first = deferred(0n, ['a', 'b']);
  b.push(first.chunk);
  assert.deepEqual(values(b), ['t-0:0:a', 't-0:1:b']);
  assert.equal(s.position, 3n, 'past the control record: the end the walk found');
  assert.equal(s.positionEpoch, 5);
  assert.equal(s.fetchOffset, 3n);

  // Dropped before anyone asked for its end: the walk happens while the bytes are still the chunk's.
  const second = deferred(3n, ['c']);
  b.push(second.chunk);
  let zeroedBeforeWalk = false;
  const done = FrameLease.prototype.done;
  second.chunk.lease.done = function (this: FrameLease) {
    second.frame.fill(0); // what a reused frame would hold
    zeroedBeforeWalk = true;
    done.call(this);
  };
  b.dropPartition(s);
  assert.equal(zeroedBeforeWalk, true);
  assert.equal(s.fetchOffset, 5n, 'the cursor read after the frame was reused is the walk\'s, not the new bytes\'');
  assert.equal(s.lastFetchedEpoch, 5);
});

test('a seek makes buffered chunks stale: they are dropped and their bytes released', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  let released = 0;
  b.onRelease = () => released++;
  b.push(chunk(a, 0n, ['x', 'y']));
  b.dropPartition(a);
  a.moveTo(100n, -1);
  assert.equal(b.next(), null);
  assert.equal(b.bufferedBytes, 0);
  assert.equal(a.position, 100n);
  assert.ok(released > 0);
  // A chunk fetched before the seek but pushed after it is ignored too.
  const old = chunk(a, 0n, ['late']);
  a.moveTo(5n, -1);
  b.push(old);
  assert.equal(b.next(), null);
  assert.equal(a.position, 5n);
});

test('dropPartitions drops the current, queued and parked chunks and the errors of exactly those partitions', () => {
  const b = new FetchBuffer(1 << 20);
  const states = Array.from({ length: 6 }, (_, i) => state('t', i));
  for (const s of states) b.push(chunk(s, 0n, [`a${s.partition}`, `b${s.partition}`]));
  assert.equal(b.next()?.valueString(), 'a0'); // partition 0's chunk is now the current one
  states[3].paused = true;
  b.pause(states[3]); // parked
  const err = new CorruptRecordError('bad', { topic: 't', partition: 4, baseOffset: 0n });
  const kept = new CorruptRecordError('bad', { topic: 't', partition: 5, baseOffset: 0n });
  b.pushError(err);
  b.pushError(kept);
  const before = b.bufferedBytes;
  b.dropPartitions([states[0], states[3], states[4]]);
  assert.ok(b.bufferedBytes < before);
  assert.equal(b.takeError(), kept, "only the dropped partitions' errors go");
  assert.equal(b.takeError(), undefined);
  states[3].paused = false;
  b.resume(states[3]);
  assert.deepEqual(values(b), ['t-1:0:a1', 't-1:1:b1', 't-2:0:a2', 't-2:1:b2', 't-5:0:a5', 't-5:1:b5']);
  assert.equal(b.bufferedBytes, 0);
});

test('a corrupt batch fails its partition at the bad offset; other partitions keep flowing', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  const c = state('t', 1);
  const bad = encodeRecordBatch({ baseOffset: 1n, records: [{ value: 'bad' }] });
  bad[bad.length - 1] ^= 1;
  b.push(chunk(a, 0n, ['ok'], [bad]));
  b.push(chunk(c, 0n, ['fine']));
  assert.equal(b.next()?.valueString(), 'ok');
  assert.throws(() => b.next(), CorruptRecordError);
  assert.equal(a.position, 1n, 'not advanced past the corrupt batch');
  assert.equal(a.phase, 'failed');
  assert.equal(a.fetchable, false);
  assert.deepEqual(values(b), ['t-1:0:fine']);
  a.moveTo(2n, -1);
  assert.equal(a.fetchable, true, 'a seek clears the failure');
});

test('nextMany() takes what next() would, a decoded batch at a time, up to max; positions advance alike', () => {
  const fill = (b: FetchBuffer, a: PartitionState, c: PartitionState): void => {
    // chunk() counts one offset per tail entry: a second batch of one record, then a commit marker (offsets 3, 4).
    const second = encodeRecordBatch({ baseOffset: 3n, records: [{ value: 'd' }], partitionLeaderEpoch: 4 });
    const marker = encodeControlBatch({ baseOffset: 4n, controlType: ControlType.COMMIT, producerId: 3n, producerEpoch: 0 });
    b.push(chunk(a, 0n, ['a', 'b', 'c'], [second, marker]));
    b.push(chunk(c, 0n, ['z']));
  };
  const one = new FetchBuffer(1 << 20);
  const [a1, c1] = [state('t', 0), state('t', 1)];
  fill(one, a1, c1);
  const many = new FetchBuffer(1 << 20);
  const [a2, c2] = [state('t', 0), state('t', 1)];
  fill(many, a2, c2);
  const show = (m: { topic: string; partition: number; offset: bigint; valueString(): string | null }): string => `${m.topic}-${m.partition}:${m.offset}:${m.valueString()}`;
  const batches: string[][] = [];
  for (;;) {
    const out: Parameters<FetchBuffer['nextMany']>[0] = [];
    many.nextMany(out, 2);
    if (out.length === 0) break;
    batches.push(out.map(show));
    // After each run the position is the last message's offset + 1, as after the same messages through next().
    const last = out[out.length - 1];
    assert.equal((last.partition === 0 ? a2 : c2).position, last.offset + 1n);
  }
  assert.deepEqual(batches, [['t-0:0:a', 't-0:1:b'], ['t-0:2:c', 't-0:3:d'], ['t-1:0:z']]);
  assert.deepEqual(batches.flat(), values(one));
  for (const [x, y] of [[a1, a2], [c1, c2]]) {
    assert.equal(y.position, x.position);
    assert.equal(y.positionEpoch, x.positionEpoch);
    assert.equal(y.consumedMessages, x.consumedMessages);
    assert.equal(y.consumedBytes, x.consumedBytes);
  }
  assert.equal(a2.position, 5n, 'past the commit marker once drained');
  assert.equal(many.bufferedBytes, 0);
});

test('nextMany(): a corrupt batch after some messages fails its partition; its error waits for the next poll', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  const bad = encodeRecordBatch({ baseOffset: 2n, records: [{ value: 'bad' }] });
  bad[bad.length - 1] ^= 1;
  b.push(chunk(a, 0n, ['x', 'y'], [bad]));
  const out: Parameters<FetchBuffer['nextMany']>[0] = [];
  b.nextMany(out, 10);
  assert.deepEqual(out.map((m) => m.valueString()), ['x', 'y'], 'the messages before the corrupt batch are delivered');
  assert.equal(a.position, 2n);
  assert.equal(a.phase, 'failed');
  assert.ok(b.hasError);
  assert.ok(b.takeError() instanceof CorruptRecordError);
  const more: typeof out = [];
  b.nextMany(more, 10);
  assert.equal(more.length, 0);
});

test('onData listeners fire once on push and can be cancelled', () => {
  const b = new FetchBuffer(1 << 20);
  let fired = 0;
  b.onData(() => fired++);
  const cancel = b.onData(() => fired += 10);
  cancel();
  b.push(chunk(state('t', 0), 0n, ['x']));
  b.push(chunk(state('t', 1), 0n, ['y']));
  assert.equal(fired, 1);
});

test('every waiting listener fires on a wake; one that registers again while called waits for the next', () => {
  const b = new FetchBuffer(1 << 20);
  const calls: string[] = [];
  const again = (): void => {
    calls.push('again');
    b.onData(again);
  };
  b.onData(() => calls.push('a'));
  b.onData(again);
  b.onData(() => calls.push('c'));
  b.wake();
  assert.deepEqual(calls, ['a', 'again', 'c']);
  b.wake();
  assert.deepEqual(calls, ['a', 'again', 'c', 'again']);
});

test('a consumed chunk is not kept reachable by the queue while new chunks keep arriving', () => {
  const b = new FetchBuffer(1 << 24);
  const a = state('t', 0);
  let next = 0n;
  for (let round = 0; round < 200; round++) {
    b.push(chunk(a, next, ['x', 'y']));
    next += 2n;
    assert.equal(b.next()?.valueString(), 'x');
    assert.equal(b.next()?.valueString(), 'y');
  }
  const queue = (b as unknown as { queue: unknown[] }).queue;
  assert.ok(queue.filter((c) => c !== undefined).length <= 1, `queue holds ${queue.filter((c) => c !== undefined).length} chunks`);
});

test('a used-up chunk leaves no delivered message reachable from its partition; position and epoch stay', () => {
  const b = new FetchBuffer(1 << 20);
  const a = state('t', 0);
  b.push(chunk(a, 0n, ['x', 'y']));
  assert.equal(b.next()?.valueString(), 'x');
  assert.equal(b.next()?.valueString(), 'y');
  const held = (): unknown => (a as unknown as { delivered: unknown }).delivered;
  assert.notEqual(held(), null, 'mid-chunk the position is derived from the last message (no BigInt per message)');
  assert.equal(b.next(), null);
  assert.equal(held(), null, 'the last message (and its decoded batch) is not kept alive by the partition');
  assert.equal(a.position, 2n);
  assert.equal(a.positionEpoch, 4);
});
