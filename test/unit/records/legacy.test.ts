// Legacy message sets (magic 0 and 1), built by hand per the pre-KIP-98 format: plain and compressed wrappers,
// relative inner offsets (KIP-31), LogAppendTime wrappers (KIP-32), the KAFKA-3160 lz4 header, CRC32 checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError } from '../../../src/errors.js';
import { compress } from '../../../src/protocol/records/compression.js';
import { decodeRecordSet, encodeRecordBatch } from '../../../src/protocol/records/index.js';
import { xxh32 } from '../../../src/protocol/records/lz4.js';
import { crc32 } from '../../../src/protocol/records/crc32c.js';
import { legacyMessage } from '../../../bench/fuzz-records.js';

const b = (s: string): Buffer => Buffer.from(s);

test('hand-built magic 0 message: layout and plain CRC32 as the spec defines them', () => {
  const m = legacyMessage({ offset: 3n, magic: 0, key: b('k'), value: b('v') });
  // offset(8) size(4) crc(4) magic(1) attributes(1) keyLen(4) "k" valueLen(4) "v"
  assert.equal(m.toString('hex'), '0000000000000003' + '00000010' + m.subarray(12, 16).toString('hex') + '00' + '00' + '00000001' + '6b' + '00000001' + '76');
  assert.equal(m.readUInt32BE(12), crc32(m, 16, m.length));
});

test('uncompressed magic 0 and magic 1 messages decode, one batch per message', () => {
  const set = Buffer.concat([
    legacyMessage({ offset: 0n, magic: 0, key: b('k0'), value: b('v0') }),
    legacyMessage({ offset: 1n, magic: 1, timestamp: 1_500_000_000_000, key: null, value: b('v1') }),
    legacyMessage({ offset: 2n, magic: 1, attributes: 0x08, timestamp: 1_500_000_000_001, key: b(''), value: null }),
  ]);
  const r = decodeRecordSet(set);
  assert.equal(r.error, undefined);
  assert.equal(r.batches.length, 3);
  const [m0, m1, m2] = r.batches;
  assert.equal(m0.magic, 0);
  assert.equal(m0.timestampType, 'NoTimestampType');
  assert.equal(m0.records[0].timestamp, -1);
  assert.equal(m0.records[0].key?.toString(), 'k0');
  assert.equal(m0.producerId, -1n);
  assert.equal(m0.isTransactional, false);
  assert.equal(m1.magic, 1);
  assert.equal(m1.records[0].timestamp, 1_500_000_000_000);
  assert.equal(m1.records[0].key, null);
  assert.equal(m1.records[0].offset, 1n);
  assert.equal(m2.timestampType, 'LogAppendTime');
  assert.equal(m2.records[0].value, null);
  assert.deepEqual(m2.records[0].key, Buffer.alloc(0));
  assert.deepEqual(m2.records[0].headers, []);
  assert.equal(r.nextOffset, 3n);
});

test('compressed magic 1 wrappers: relative inner offsets, every codec, LogAppendTime from the wrapper', () => {
  const inner = Buffer.concat([
    legacyMessage({ offset: 0n, magic: 1, timestamp: 100, key: b('a'), value: b('one') }),
    legacyMessage({ offset: 1n, magic: 1, timestamp: 300, key: b('b'), value: b('two') }),
    legacyMessage({ offset: 2n, magic: 1, timestamp: 200, key: null, value: b('three') }),
  ]);
  for (const codec of [1, 2, 3, 4]) {
    // The wrapper carries the offset of the last inner message (KIP-31): 52 -> inner 50, 51, 52.
    const set = legacyMessage({ offset: 52n, magic: 1, attributes: codec, timestamp: 300, key: null, value: compress(codec, inner) });
    const r = decodeRecordSet(set);
    assert.equal(r.error, undefined, `codec ${codec}: ${r.error?.message}`);
    const batch = r.batches[0];
    assert.equal(batch.baseOffset, 50n);
    assert.equal(batch.lastOffset, 52n);
    assert.equal(batch.count, 3);
    assert.deepEqual(batch.records.map((x) => [x.offset, x.timestamp, x.key?.toString() ?? null, x.value?.toString()]), [
      [50n, 100, 'a', 'one'],
      [51n, 300, 'b', 'two'],
      [52n, 200, null, 'three'],
    ]);
    const logAppend = legacyMessage({ offset: 52n, magic: 1, attributes: codec | 0x08, timestamp: 999, key: null, value: compress(codec, inner) });
    assert.deepEqual(decodeRecordSet(logAppend).batches[0].records.map((x) => x.timestamp), [999, 999, 999]);
    assert.deepEqual(decodeRecordSet(set, { minOffset: 51n }).batches[0].records.map((x) => x.offset), [51n, 52n]);
  }
});

test('compressed magic 0 wrappers: absolute inner offsets; lz4 with the KAFKA-3160 header checksum', () => {
  const inner = Buffer.concat([
    legacyMessage({ offset: 70n, magic: 0, key: null, value: b('x') }),
    legacyMessage({ offset: 71n, magic: 0, key: null, value: b('y') }),
  ]);
  const gz = decodeRecordSet(legacyMessage({ offset: 71n, magic: 0, attributes: 1, key: null, value: compress(1, inner) }));
  assert.deepEqual(gz.batches[0].records.map((x) => x.offset), [70n, 71n]);
  // Pre-0.10 clients computed the lz4 frame descriptor checksum over the magic number too.
  const frame = compress(3, inner);
  frame[6] = (xxh32(frame, 0, 6) >>> 8) & 0xff;
  const lz = decodeRecordSet(legacyMessage({ offset: 71n, magic: 0, attributes: 3, key: null, value: frame }));
  assert.equal(lz.error, undefined, lz.error?.message);
  assert.deepEqual(lz.batches[0].records.map((x) => x.value?.toString()), ['x', 'y']);
  // The same frame inside a magic 1 wrapper is corrupt: magic 1 clients write the correct checksum.
  const innerV1 = Buffer.concat([legacyMessage({ offset: 0n, magic: 1, key: null, value: b('x') })]);
  const f1 = compress(3, innerV1);
  f1[6] = (xxh32(f1, 0, 6) >>> 8) & 0xff;
  const bad = decodeRecordSet(legacyMessage({ offset: 0n, magic: 1, attributes: 3, key: null, value: f1 }));
  assert.ok(bad.error instanceof CorruptRecordError);
  assert.match(bad.error.message, /descriptor checksum/);
});

test('legacy and v2 entries may follow each other in one record set', () => {
  const set = Buffer.concat([
    legacyMessage({ offset: 0n, magic: 1, timestamp: 1, key: null, value: b('old') }),
    encodeRecordBatch({ baseOffset: 1n, records: [{ value: 'new', timestamp: 2 }] }),
  ]);
  const r = decodeRecordSet(set);
  assert.deepEqual(r.batches.map((x) => [x.magic, x.records[0].value?.toString()]), [[1, 'old'], [2, 'new']]);
});

test('legacy corruption: CRC32, lengths, nested compression, empty wrappers, partial tails', () => {
  const good = legacyMessage({ offset: 5n, magic: 1, timestamp: 1, key: b('k'), value: b('value') });
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1] ^= 1;
  const r = decodeRecordSet(flipped, { topic: 't', partition: 1 });
  assert.ok(r.error instanceof CorruptRecordError);
  assert.match(r.error.message, /^t-1 batch at offset 5 .*CRC32 mismatch in a magic 1 message/);
  assert.equal((r.error as CorruptRecordError).baseOffset, 5n);
  assert.equal(decodeRecordSet(flipped, { checkCrcs: false }).batches[0].records[0].value?.toString(), 'valud');

  const fix = (m: Buffer): Buffer => (m.writeUInt32BE(crc32(m, 16, m.length), 12), m);
  const badKey = Buffer.from(good);
  badKey.writeInt32BE(1000, 26);
  assert.match(decodeRecordSet(fix(badKey)).error!.message, /bad key length 1000/);
  const badValue = Buffer.from(good);
  badValue.writeInt32BE(2, 31);
  assert.match(decodeRecordSet(fix(badValue)).error!.message, /does not match the message size/);

  const compressedInner = legacyMessage({ offset: 0n, magic: 1, attributes: 1, key: null, value: compress(1, good) });
  const nested = legacyMessage({ offset: 0n, magic: 1, attributes: 1, key: null, value: compress(1, compressedInner) });
  assert.match(decodeRecordSet(nested).error!.message, /nested compression/);
  const empty = legacyMessage({ offset: 0n, magic: 1, attributes: 2, key: null, value: compress(2, Buffer.alloc(0)) });
  assert.match(decodeRecordSet(empty).error!.message, /holds no messages/);
  const nullWrapper = legacyMessage({ offset: 0n, magic: 1, attributes: 1, key: null, value: null });
  assert.match(decodeRecordSet(nullWrapper).error!.message, /null value/);
  const truncatedInner = legacyMessage({ offset: 0n, magic: 1, attributes: 1, key: null, value: compress(1, good.subarray(0, 20)) });
  assert.match(decodeRecordSet(truncatedInner).error!.message, /compressed message set ends inside/);

  const tail = Buffer.concat([good, good.subarray(0, 20)]);
  const t = decodeRecordSet(tail);
  assert.equal(t.batches.length, 1);
  assert.equal(t.incompleteTail, true);
  assert.equal(t.error, undefined);
});
