// Record batch v2: a golden batch built byte by byte from the spec, round trips through every codec, control
// batches, offsets and timestamps, partial tails, and every kind of corruption reported as a located, typed error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError } from '../../../src/errors.js';
import {
  ControlType,
  decodeRecordSet,
  encodeControlBatch,
  encodeRecordBatch,
  type CompressionType,
  type KafkaRecord,
  type RecordToEncode,
} from '../../../src/protocol/records/index.js';
import { crc32c } from '../../../src/protocol/records/crc32c.js';

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function reseal(batch: Buffer, start = 0): Buffer {
  const size = 12 + batch.readInt32BE(start + 8);
  batch.writeUInt32BE(crc32c(batch, start + 21, start + size), start + 17);
  return batch;
}

function allRecords(set: Buffer): KafkaRecord[] {
  const r = decodeRecordSet(set);
  assert.equal(r.error, undefined, r.error?.message);
  return r.batches.flatMap((b) => b.records);
}

test('golden batch assembled by hand from the protocol guide decodes, and the encoder produces the same bytes', () => {
  const record = Buffer.from([
    0x18, // length 12, zigzag
    0x00, // attributes
    0x00, // timestampDelta 0
    0x00, // offsetDelta 0
    0x02, 0x6b, // key length 1, "k"
    0x02, 0x76, // value length 1, "v"
    0x02, // 1 header
    0x02, 0x68, 0x02, 0x78, // "h" = "x"
  ]);
  const b = Buffer.alloc(61 + record.length);
  b.writeBigInt64BE(5n, 0); // baseOffset
  b.writeInt32BE(49 + record.length, 8); // batchLength
  b.writeInt32BE(3, 12); // partitionLeaderEpoch
  b[16] = 2; // magic
  b.writeInt16BE(0, 21); // attributes
  b.writeInt32BE(0, 23); // lastOffsetDelta
  b.writeBigInt64BE(1000n, 27); // baseTimestamp
  b.writeBigInt64BE(1000n, 35); // maxTimestamp
  b.writeBigInt64BE(-1n, 43); // producerId
  b.writeInt16BE(-1, 51); // producerEpoch
  b.writeInt32BE(-1, 53); // baseSequence
  b.writeInt32BE(1, 57); // records count
  record.copy(b, 61);
  b.writeUInt32BE(crc32c(b, 21, b.length), 17);

  const r = decodeRecordSet(b);
  assert.equal(r.error, undefined);
  assert.equal(r.batches.length, 1);
  const batch = r.batches[0];
  assert.equal(batch.baseOffset, 5n);
  assert.equal(batch.lastOffset, 5n);
  assert.equal(batch.partitionLeaderEpoch, 3);
  assert.equal(batch.producerId, -1n);
  assert.equal(batch.compression, 'none');
  assert.equal(batch.sizeInBytes, b.length);
  const rec = batch.records[0];
  assert.equal(rec.offset, 5n);
  assert.equal(rec.timestamp, 1000);
  assert.equal(rec.timestampType, 'CreateTime');
  assert.equal(rec.leaderEpoch, 3);
  assert.equal(rec.key?.toString(), 'k');
  assert.equal(rec.value?.toString(), 'v');
  assert.deepEqual(rec.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);
  assert.equal(r.nextOffset, 6n);
  assert.equal(r.bytesRead, b.length);

  const encoded = encodeRecordBatch({
    baseOffset: 5n,
    partitionLeaderEpoch: 3,
    records: [{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }], timestamp: 1000 }],
  });
  assert.ok(encoded.equals(b), `encoder output differs:\n${encoded.toString('hex')}\n${b.toString('hex')}`);
});

const VARIED: RecordToEncode[] = [
  { key: 'key-0', value: 'plain', timestamp: 1_700_000_000_000 },
  { key: null, value: 'null key', timestamp: 1_700_000_000_005 },
  { key: 'null value (tombstone)', value: null, timestamp: 1_699_999_999_000 }, // negative delta
  { key: '', value: '', timestamp: 1_700_000_000_001 },
  { key: 'headers', value: 'h', timestamp: 1_700_000_000_002, headers: [
    { key: 'a', value: '1' },
    { key: 'a', value: '2' }, // keys may repeat
    { key: 'ünïcødé-ключ', value: Buffer.from([0, 255, 1]) },
    { key: 'null', value: null },
    { key: '', value: '' },
  ] },
  { key: Buffer.alloc(300, 1), value: Buffer.alloc(70_000, 2), timestamp: 1_700_000_000_000 - 86_400_000 * 365 },
  { key: 'last', value: 'x'.repeat(63), timestamp: 1_800_000_000_000 }, // far future: multi-byte varlong delta
];

function checkVaried(recs: KafkaRecord[], baseOffset: bigint): void {
  assert.equal(recs.length, VARIED.length);
  recs.forEach((r, i) => {
    const want = VARIED[i];
    assert.equal(r.offset, baseOffset + BigInt(i));
    assert.equal(r.offsetDelta, i);
    assert.equal(r.timestamp, want.timestamp);
    assert.deepEqual(r.key, want.key == null ? null : Buffer.from(want.key as string));
    assert.deepEqual(r.value, want.value == null ? null : Buffer.from(want.value as string));
    const headers = (want.headers ?? []).map((h) => ({ key: h.key, value: h.value == null ? null : Buffer.from(h.value as string) }));
    assert.deepEqual(r.headers.map((h) => ({ key: h.key, value: h.value })), headers);
  });
}

test('round trip through every codec: null/empty keys and values, headers, negative and large timestamp deltas', () => {
  for (const compression of CODECS) {
    const set = encodeRecordBatch({
      baseOffset: 1n << 40n,
      records: VARIED,
      compression,
      producerId: 123456789012n,
      producerEpoch: 7,
      baseSequence: 42,
      isTransactional: true,
      partitionLeaderEpoch: 9,
    });
    const r = decodeRecordSet(set);
    assert.equal(r.error, undefined, `${compression}: ${r.error?.message}`);
    const b = r.batches[0];
    assert.equal(b.compression, compression);
    assert.equal(b.producerId, 123456789012n);
    assert.equal(b.producerEpoch, 7);
    assert.equal(b.baseSequence, 42);
    assert.equal(b.isTransactional, true);
    assert.equal(b.isControl, false);
    assert.equal(b.controlType, -1);
    assert.equal(b.partitionLeaderEpoch, 9);
    assert.equal(b.count, VARIED.length);
    assert.equal(b.baseTimestamp, VARIED[0].timestamp);
    assert.equal(b.maxTimestamp, 1_800_000_000_000);
    assert.equal(b.lastOffset, (1n << 40n) + BigInt(VARIED.length - 1));
    assert.equal(r.nextOffset, b.lastOffset + 1n);
    checkVaried(b.records, 1n << 40n);
  }
});

test('keys, values and header values are the batch\'s own bytes, not views into the input, and memoised', () => {
  const set = encodeRecordBatch({ records: [{ key: 'k', value: 'value', headers: [{ key: 'h', value: 'hv' }] }] });
  const rec = decodeRecordSet(set).batches[0].records[0];
  // The input may be reused (a pooled Fetch response frame) before the lazy fields are read: they do not change.
  set.fill(0);
  // Small buffers may share Node's 8 KiB pool with the input: what must not be shared is the bytes.
  const overlaps = (a: Buffer | null | undefined): boolean =>
    a != null && a.buffer === set.buffer && a.byteOffset < set.byteOffset + set.length && set.byteOffset < a.byteOffset + a.length;
  assert.equal(overlaps(rec.value), false);
  assert.equal(overlaps(rec.key), false);
  assert.equal(overlaps(rec.headers[0].value), false);
  assert.equal(rec.value?.toString(), 'value');
  assert.equal(rec.key?.toString(), 'k');
  assert.equal(rec.headers[0].key, 'h');
  assert.equal(rec.headers[0].value?.toString(), 'hv');
  assert.equal(rec.value, rec.value);
  assert.equal(rec.key, rec.key);
  assert.equal(rec.headers, rec.headers);
  assert.equal(rec.offset, rec.offset);
});

test('LogAppendTime batches give every record the max timestamp', () => {
  const set = encodeRecordBatch({
    timestampType: 'LogAppendTime',
    records: [{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 30 }, { value: 'c', timestamp: 20 }],
  });
  const b = decodeRecordSet(set).batches[0];
  assert.equal(b.timestampType, 'LogAppendTime');
  assert.deepEqual(b.records.map((r) => [r.timestamp, r.timestampType]), [[30, 'LogAppendTime'], [30, 'LogAppendTime'], [30, 'LogAppendTime']]);
});

test('compacted batches: offset gaps, lastOffset beyond the last record, delete horizon, empty batches', () => {
  const set = Buffer.concat([
    encodeRecordBatch({
      baseOffset: 100n,
      records: [{ value: 'a', offsetDelta: 0 }, { value: 'c', offsetDelta: 2 }, { value: 'f', offsetDelta: 5 }],
      lastOffsetDelta: 9,
      deleteHorizonMs: 1234,
    }),
    encodeRecordBatch({ baseOffset: 110n, records: [], lastOffsetDelta: 4 }),
  ]);
  const r = decodeRecordSet(set);
  assert.equal(r.error, undefined);
  const [b, empty] = r.batches;
  assert.deepEqual(b.records.map((x) => x.offset), [100n, 102n, 105n]);
  assert.equal(b.lastOffset, 109n);
  assert.equal(b.hasDeleteHorizonMs, true);
  assert.equal(b.baseTimestamp, 1234);
  assert.equal(empty.records.length, 0);
  assert.equal(empty.count, 0);
  assert.equal(r.nextOffset, 115n);
});

test('control batches expose the marker type and producer fields', () => {
  const set = Buffer.concat([
    encodeRecordBatch({ baseOffset: 0n, producerId: 77n, producerEpoch: 2, isTransactional: true, records: [{ value: 'in tx' }] }),
    encodeControlBatch({ baseOffset: 1n, controlType: ControlType.ABORT, producerId: 77n, producerEpoch: 2, coordinatorEpoch: 5 }),
    encodeControlBatch({ baseOffset: 2n, controlType: ControlType.COMMIT, producerId: 78n, producerEpoch: 0 }),
  ]);
  const r = decodeRecordSet(set);
  assert.equal(r.error, undefined);
  const [data, abort, commit] = r.batches;
  assert.equal(data.isControl, false);
  assert.equal(abort.isControl, true);
  assert.equal(abort.isTransactional, true);
  assert.equal(abort.controlType, ControlType.ABORT);
  assert.equal(abort.producerId, 77n);
  assert.equal(abort.records[0].value?.readInt32BE(2), 5); // coordinator epoch in the marker value
  assert.equal(commit.controlType, ControlType.COMMIT);
  assert.equal(commit.producerId, 78n);
});

test('minOffset skips records before the fetch offset without dropping the batch', () => {
  const set = encodeRecordBatch({ baseOffset: 50n, records: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
  const r = decodeRecordSet(set, { minOffset: 56n });
  assert.deepEqual(r.batches[0].records.map((x) => x.offset), [56n, 57n, 58n, 59n]);
  assert.equal(r.nextOffset, 60n);
  assert.equal(decodeRecordSet(set, { minOffset: 1000n }).batches[0].records.length, 0);
});

test('a partial last batch is an incomplete tail, never an error; a partial first batch reports its size', () => {
  const b1 = encodeRecordBatch({ baseOffset: 0n, records: [{ value: 'one' }, { value: 'two' }] });
  const b2 = encodeRecordBatch({ baseOffset: 2n, records: [{ value: 'three' }], compression: 'lz4' });
  const set = Buffer.concat([b1, b2]);
  for (let cut = 0; cut <= set.length; cut++) {
    const r = decodeRecordSet(set.subarray(0, cut));
    assert.equal(r.error, undefined, `cut ${cut}`);
    const complete = cut >= b1.length + b2.length ? 2 : cut >= b1.length ? 1 : 0;
    assert.equal(r.batches.length, complete, `cut ${cut}`);
    assert.equal(r.incompleteTail, cut !== 0 && cut !== b1.length && cut !== set.length, `cut ${cut}`);
    assert.equal(r.bytesRead, complete === 0 ? 0 : complete === 1 ? b1.length : set.length);
    // The first entry's size is known once its 12-byte header is there.
    assert.equal(r.firstBatchSize, cut >= 12 && cut < b1.length ? b1.length : undefined, `cut ${cut}`);
    assert.equal(r.nextOffset, complete === 0 ? undefined : complete === 1 ? 2n : 3n);
  }
  assert.deepEqual(decodeRecordSet(Buffer.alloc(0)), {
    batches: [], bytesRead: 0, nextOffset: undefined, incompleteTail: false, firstBatchSize: undefined, error: undefined,
  });
});

test('a CRC mismatch is a CorruptRecordError naming topic, partition and offsets; earlier batches are kept', () => {
  const b1 = encodeRecordBatch({ baseOffset: 10n, records: [{ value: 'good' }] });
  const b2 = encodeRecordBatch({ baseOffset: 11n, records: [{ value: 'flipped' }, { value: 'x' }] });
  const set = Buffer.concat([b1, b2]);
  set[b1.length + b2.indexOf('flipped')] ^= 0x20;
  const r = decodeRecordSet(set, { topic: 'orders', partition: 4 });
  assert.equal(r.batches.length, 1);
  assert.equal(r.nextOffset, 11n);
  assert.ok(r.error instanceof CorruptRecordError);
  const e = r.error as CorruptRecordError;
  assert.equal(e.code, 'ERR_CORRUPT_RECORD');
  assert.equal(e.topic, 'orders');
  assert.equal(e.partition, 4);
  assert.equal(e.baseOffset, 11n);
  assert.equal(e.lastOffset, 12n);
  assert.match(e.message, /^orders-4 batch at offset 11\.\.12 .*CRC32C mismatch/);
  // With checkCrcs off the (structurally valid) batch decodes, with the damaged value.
  const unchecked = decodeRecordSet(set, { checkCrcs: false });
  assert.equal(unchecked.error, undefined);
  assert.equal(unchecked.batches[1].records[0].value?.toString(), 'Flipped');
});

test('structural corruption behind a valid CRC is caught: counts, lengths, trailing bytes, magic, codec', () => {
  const base = encodeRecordBatch({ baseOffset: 0n, records: [{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }] }, { value: 'w' }] });
  const cases: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
    ['count too high', (b) => (b.writeInt32BE(3, 57), b), /truncated|cannot fit|out of bounds/],
    ['count too low', (b) => (b.writeInt32BE(1, 57), b), /bytes after the last of 1 records/],
    ['negative count', (b) => (b.writeInt32BE(-1, 57), b), /negative record count/],
    ['codec 6', (b) => (b.writeInt16BE(6, 21), b), /unknown compression codec id 6/],
    ['record length too long', (b) => (b[61] = 0x7e, b), /out of bounds/],
    ['key length -2', (b) => (b[65] = 0x03, b), /key length -2/],
    // The header count follows the value 'v' of record 0: found as key 'k', value length 1 (varint 0x02), 'v' inside
    // the records (from byte 61), never by a bare indexOf('v'), which hits a timestamp byte 0x76 now and then.
    ['header count negative', (b) => (b[base.indexOf(Buffer.from('k\x02v', 'latin1'), 61) + 3] = 0x01, b), /header count -1/],
    ['negative lastOffsetDelta', (b) => (b.writeInt32BE(-1, 23), b), /negative lastOffsetDelta -1/],
    ['offset beyond lastOffsetDelta', (b) => (b.writeInt32BE(0, 23), b), /record 1: offset delta 1 .* beyond lastOffsetDelta 0/],
  ];
  for (const [name, mutate, expected] of cases) {
    const r = decodeRecordSet(reseal(mutate(Buffer.from(base))));
    assert.ok(r.error instanceof CorruptRecordError, name);
    assert.match(r.error!.message, expected, name);
    assert.equal(r.batches.length, 0, name);
  }
  const trailing = Buffer.concat([base.subarray(0, 61), base.subarray(61), Buffer.from([0])]);
  trailing.writeInt32BE(trailing.length - 12, 8);
  assert.match(decodeRecordSet(reseal(trailing)).error!.message, /1 bytes after the last of 2 records/);
  const magic3 = Buffer.from(base);
  magic3[16] = 3;
  assert.match(decodeRecordSet(magic3).error!.message, /unknown magic 3/);
  const negative = Buffer.from(base);
  negative.writeInt32BE(-5, 8);
  assert.match(decodeRecordSet(negative).error!.message, /negative batch length -5/);
  const short = Buffer.from(base.subarray(0, 40));
  short.writeInt32BE(28, 8);
  assert.match(decodeRecordSet(short).error!.message, /smaller than a v2 batch header/);
  const unordered = encodeRecordBatch({ records: [{ value: 'a', offsetDelta: 1 }, { value: 'b', offsetDelta: 0 }] });
  assert.match(decodeRecordSet(unordered).error!.message, /record 1: offset delta 0 out of order/);
  // A control batch whose record key is too short to hold [version][type].
  const ctl = encodeRecordBatch({ records: [{ key: 'ab', value: 'x' }] });
  ctl.writeInt16BE(0x30, 21);
  assert.match(decodeRecordSet(reseal(ctl)).error!.message, /control record key/);
});

test('a compressed batch that would exceed maxDecompressedBytes fails instead of allocating', () => {
  const big = encodeRecordBatch({ records: [{ value: Buffer.alloc(8 * 1024 * 1024) }], compression: 'zstd' });
  assert.ok(big.length < 64 * 1024);
  const r = decodeRecordSet(big, { maxDecompressedBytes: 1024 * 1024, topic: 't', partition: 0 });
  assert.ok(r.error instanceof CorruptRecordError);
  assert.match(r.error.message, /limit of 1048576 bytes \(maxDecompressedBytes\)/);
  assert.equal(decodeRecordSet(big).batches[0].records[0].value?.length, 8 * 1024 * 1024);
});

test('multi-byte record lengths and many records in one batch', () => {
  const records = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(i % 200), timestamp: 1000 + (i % 7) - 3 }));
  for (const compression of CODECS) {
    const recs = allRecords(encodeRecordBatch({ baseOffset: 7n, records, compression }));
    assert.equal(recs.length, 5000);
    for (let i = 0; i < 5000; i += 499) {
      assert.equal(recs[i].key?.toString(), `k${i}`);
      assert.equal(recs[i].value?.length, i % 200);
      assert.equal(recs[i].timestamp, 1000 + (i % 7) - 3);
      assert.equal(recs[i].offset, 7n + BigInt(i));
    }
  }
});
