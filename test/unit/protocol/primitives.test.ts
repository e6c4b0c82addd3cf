// Wire primitives: round trips, boundaries, golden bytes from the protocol guide's definitions, and typed errors
// on every kind of bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, isGregorError } from '../../../src/errors.js';
import { Reader, Writer, uuidFromString, uuidToCanonicalString, uuidToKafkaString } from '../../../src/protocol/primitives.js';

const hex = (b: Buffer): string => b.toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function throwsProtocol(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProtocolError, `expected ProtocolError, got ${String(e)}`);
    assert.ok(isGregorError(e));
    assert.equal(e.code, 'ERR_PROTOCOL');
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

test('fixed-width integers are big-endian and round-trip at their limits', () => {
  const w = new Writer(1); // forces growth several times
  w.int8(-128).int8(127).uint8(255).int16(-32768).int16(32767).uint16(65535).int32(-2147483648).int32(2147483647)
    .uint32(4294967295).int64(-(1n << 63n)).int64((1n << 63n) - 1n).float64(-0.5).boolean(true).boolean(false);
  const b = w.finish();
  assert.equal(hex(b.subarray(0, 7)), '807fff80007fff');
  const r = new Reader(b);
  assert.deepEqual(
    [r.int8(), r.int8(), r.uint8(), r.int16(), r.int16(), r.uint16(), r.int32(), r.int32(), r.uint32(), r.int64(), r.int64(), r.float64(), r.boolean(), r.boolean()],
    [-128, 127, 255, -32768, 32767, 65535, -2147483648, 2147483647, 4294967295, -(1n << 63n), (1n << 63n) - 1n, -0.5, true, false],
  );
  assert.equal(r.remaining, 0);
});

test('int64 from a number matches the bigint encoding, including negatives', () => {
  for (const v of [0, -1, 1, 2 ** 32, -(2 ** 32) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_000]) {
    assert.equal(hex(new Writer().int64FromNumber(v).finish()), hex(new Writer().int64(BigInt(v)).finish()), String(v));
    assert.equal(new Reader(new Writer().int64FromNumber(v).finish()).int64AsNumber(), v);
  }
  throwsProtocol(() => new Writer().int64FromNumber(2 ** 60), /safe integer/);
  throwsProtocol(() => new Reader(new Writer().int64(1n << 60n).finish()).int64AsNumber(), /safe integer/);
});

test('unsigned varints: golden bytes and boundaries', () => {
  const cases: [number, string][] = [
    [0, '00'], [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'],
    [2 ** 21 - 1, 'ffff7f'], [2 ** 28 - 1, 'ffffff7f'], [2 ** 28, '8080808001'], [2 ** 32 - 1, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(new Writer().uvarint(v).finish()), h, `encode ${v}`);
    const r = new Reader(bytes(h));
    assert.equal(r.uvarint(), v, `decode ${h}`);
    assert.equal(r.remaining, 0);
  }
  throwsProtocol(() => new Writer().uvarint(-1), /out of range/);
  throwsProtocol(() => new Writer().uvarint(2 ** 32), /out of range/);
  throwsProtocol(() => new Reader(bytes('ffffffff1f')).uvarint(), /longer than 32 bits/);
  throwsProtocol(() => new Reader(bytes('ffffffffff01')).uvarint(), /longer than 32 bits/);
  throwsProtocol(() => new Reader(bytes('80')).uvarint(), /truncated unsigned varint at byte 0/);
});

test('zigzag varints: golden bytes and the int32 limits', () => {
  const cases: [number, string][] = [[0, '00'], [-1, '01'], [1, '02'], [-2, '03'], [63, '7e'], [-64, '7f'], [64, '8001'], [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f']];
  for (const [v, h] of cases) {
    assert.equal(hex(new Writer().varint(v).finish()), h, `encode ${v}`);
    assert.equal(new Reader(bytes(h)).varint(), v, `decode ${h}`);
  }
  throwsProtocol(() => new Writer().varint(2147483648), /int32/);
  throwsProtocol(() => new Writer().varint(1.5), /int32/);
});

test('zigzag varlongs: bigint and number paths agree up to the int64 limits', () => {
  const values = [0n, -1n, 1n, 63n, -64n, 64n, (1n << 31n), -(1n << 31n) - 1n, (1n << 53n) - 1n, -(1n << 53n) + 1n, (1n << 62n), (1n << 63n) - 1n, -(1n << 63n)];
  for (const v of values) {
    const b = new Writer().varlong(v).finish();
    const r = new Reader(b);
    assert.equal(r.varlong(), v, `bigint ${v}`);
    assert.equal(r.remaining, 0);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
      assert.equal(hex(new Writer().varlongFromNumber(Number(v)).finish()), hex(b), `number ${v}`);
      assert.equal(new Reader(b).varlongAsNumber(), Number(v));
    } else {
      throwsProtocol(() => new Reader(b).varlongAsNumber(), /safe integer/);
    }
  }
  assert.equal(hex(new Writer().varlong(-(1n << 63n)).finish()), 'ffffffffffffffffff01');
  throwsProtocol(() => new Reader(bytes('ffffffffffffffffff03')).varlong(), /longer than 64 bits/);
  throwsProtocol(() => new Reader(bytes('ffffffffffffffffff8001')).varlong(), /longer than 64 bits/);
  throwsProtocol(() => new Reader(bytes('ffff')).varlong(), /truncated varlong/);
  throwsProtocol(() => new Writer().varlong(1n << 63n), /int64/);
});

test('strings: classic, nullable, compact; empty is not null; UTF-8 lengths are in bytes', () => {
  const w = new Writer();
  w.string('').nullableString(null).nullableString('').compactString('').compactNullableString(null).compactNullableString('é');
  w.string('größe');
  const b = w.finish();
  assert.equal(hex(b.subarray(0, 11)), '0000' + 'ffff' + '0000' + '01' + '00' + '03c3a9');
  const r = new Reader(b);
  assert.deepEqual([r.string(), r.nullableString(), r.nullableString(), r.compactString(), r.compactNullableString(), r.compactNullableString(), r.string()], ['', null, '', '', null, 'é', 'größe']);
  throwsProtocol(() => new Reader(bytes('ffff')).string('topic name'), /null topic name at byte 0/);
  throwsProtocol(() => new Reader(bytes('00')).compactString(), /null compact string/);
  throwsProtocol(() => new Reader(bytes('fffe')).nullableString(), /invalid length -2/);
  throwsProtocol(() => new Reader(bytes('000568')).string('group id'), /truncated group id at byte 2: need 5 bytes, 1 left/);
  throwsProtocol(() => new Writer().string('x'.repeat(40000)), /too long/);
});

test('bytes are views into the input, never copies', () => {
  const b = new Writer().bytes(Buffer.from('abc')).compactBytes(Buffer.from('de')).nullableBytes(null).compactNullableBytes(null).finish();
  const r = new Reader(b);
  const v1 = r.bytes();
  const v2 = r.compactBytes();
  assert.equal(v1.toString(), 'abc');
  assert.equal(v2.toString(), 'de');
  assert.equal(r.nullableBytes(), null);
  assert.equal(r.compactNullableBytes(), null);
  b[4] = 0x7a; // 'z' over the 'a'
  assert.equal(v1.toString(), 'zbc', 'the view shares memory with the frame');
  assert.equal(v1.buffer, b.buffer);
  throwsProtocol(() => new Reader(bytes('ffffffff')).bytes(), /null bytes/);
  throwsProtocol(() => new Reader(bytes('fffffff0')).nullableBytes(), /invalid length/);
  throwsProtocol(() => new Reader(bytes('7fffffff00')).bytes('record batch'), /truncated record batch at byte 4/);
});

test('array lengths: classic -1 and compact 0 mean null; impossible counts are rejected before allocating', () => {
  const b = new Writer().arrayLength(null).arrayLength(0).arrayLength(2).compactArrayLength(null).compactArrayLength(0).compactArrayLength(3).finish();
  assert.equal(hex(b), 'ffffffff' + '00000000' + '00000002' + '00' + '01' + '04');
  const r = new Reader(Buffer.concat([b, Buffer.alloc(8)]));
  assert.deepEqual([r.arrayLength(), r.arrayLength(), r.arrayLength(), r.compactArrayLength(), r.compactArrayLength(), r.compactArrayLength()], [null, 0, 2, null, 0, 3]);
  throwsProtocol(() => new Reader(bytes('7fffffff0000')).arrayLength('partitions', 4), /partitions at byte 0 claims 2147483647 elements but only 2 bytes are left/);
  throwsProtocol(() => new Reader(bytes('fffffffe')).arrayLength('topics'), /invalid length -2 for topics/);
});

test('tagged fields: sorted on write, read with a callback, unknown ones returned as views', () => {
  const w = new Writer().taggedFields([{ tag: 3, data: Buffer.from([1, 2]) }, { tag: 0, data: Buffer.from([9]) }]);
  const b = w.finish();
  assert.equal(hex(b), '02' + '00' + '01' + '09' + '03' + '02' + '0102');
  const seen: number[] = [];
  const unknown = new Reader(b).taggedFields((tag, r) => {
    if (tag !== 0) return false;
    seen.push(r.int8());
    return true;
  });
  assert.deepEqual(seen, [9]);
  assert.deepEqual(unknown?.map((f) => [f.tag, hex(f.data)]), [[3, '0102']]);
  assert.equal(new Writer().emptyTaggedFields().finish()[0], 0);
  const r2 = new Reader(b);
  r2.skipTaggedFields();
  assert.equal(r2.remaining, 0);
  throwsProtocol(() => new Reader(bytes('02 03 00 01 00')).taggedFields(), /not in ascending order/);
  throwsProtocol(() => new Reader(bytes('01 00 05 01')).taggedFields(), /truncated tagged field 0/);
  throwsProtocol(() => new Reader(bytes('01 00 02 0102')).taggedFields(() => {
    return true; // claims the field but reads nothing
  }), /2 bytes left/);
  throwsProtocol(() => new Writer().taggedFields([{ tag: 1, data: Buffer.alloc(0) }, { tag: 1, data: Buffer.alloc(0) }]), /duplicate/);
});

test('back-patching a size prefix and a CRC', () => {
  const w = new Writer(4);
  const size = w.reserve();
  w.string('hello');
  const crc = w.reserve();
  w.int8(1);
  w.fillLength(size).fillUInt32(crc, 0xdeadbeef);
  assert.equal(hex(w.finish()), '0000000c' + '000568656c6c6f' + 'deadbeef' + '01');
  throwsProtocol(() => w.fillInt32(w.length - 2, 0), /outside written bytes/);
  const v = w.view(4, 11);
  assert.equal(v.toString('latin1', 2), 'hello');
});

test('finish() returns a view and reset() leaves it intact', () => {
  const w = new Writer();
  w.int32(7);
  const first = w.finish();
  w.reset();
  w.int32(8);
  assert.equal(first.readInt32BE(0), 7);
  assert.equal(w.finish().readInt32BE(0), 8);
});

test('UUIDs: canonical and Kafka base64 forms, 16 raw bytes on the wire', () => {
  const canonical = '4b2f4d1a-9c3e-4e5f-8a7b-0123456789ab';
  const raw = uuidFromString(canonical);
  assert.equal(raw.length, 16);
  const kafka = uuidToKafkaString(raw);
  assert.equal(kafka.length, 22);
  assert.deepEqual(uuidFromString(kafka), raw);
  assert.equal(uuidToCanonicalString(raw), canonical);
  const b = new Writer().uuid(canonical).uuid(kafka).uuid(raw).uuid(null).finish();
  const r = new Reader(b);
  assert.deepEqual([r.uuid(), r.uuid(), r.uuid()], [raw, raw, raw]);
  assert.equal(uuidToKafkaString(r.uuid()), 'AAAAAAAAAAAAAAAAAAAAAA');
  throwsProtocol(() => uuidFromString('not-a-uuid'), /not a UUID/);
  throwsProtocol(() => new Writer().uuid(Buffer.alloc(3)), /16 bytes/);
  throwsProtocol(() => new Reader(Buffer.alloc(10)).uuid('topic id'), /truncated topic id at byte 0/);
});

test('every read past the end is a ProtocolError naming the offset, never a RangeError', () => {
  const reads: [string, (r: Reader) => unknown][] = [
    ['int8', (r) => r.int8()], ['int16', (r) => r.int16()], ['int32', (r) => r.int32()], ['int64', (r) => r.int64()],
    ['uint32', (r) => r.uint32()], ['float64', (r) => r.float64()], ['boolean', (r) => r.boolean()],
    ['uvarint', (r) => r.uvarint()], ['varint', (r) => r.varint()], ['varlong', (r) => r.varlong()],
    ['string', (r) => r.string()], ['compactString', (r) => r.compactString()], ['bytes', (r) => r.bytes()],
    ['uuid', (r) => r.uuid()], ['raw', (r) => r.raw(3)], ['skip', (r) => r.skip(3)],
  ];
  for (const [name, read] of reads) {
    const r = new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), 5); // nothing left
    throwsProtocol(() => read(r), /at byte 5/);
    assert.equal(r.offset, 5, name);
    // One byte left, 0xff: too short for everything wider, or a continuation bit with nothing after it.
    if (!['int8', 'boolean'].includes(name)) throwsProtocol(() => read(new Reader(Buffer.from([0, 0, 0, 0, 0xff]), 4)), /at byte 4/);
  }
  throwsProtocol(() => new Reader(Buffer.alloc(2), 3), /outside/);
  throwsProtocol(() => new Reader(Buffer.alloc(4)).raw(-1), /negative length/);
  throwsProtocol(() => new Reader(Buffer.alloc(3)).expectEnd('the body'), /3 unexpected bytes after the body/);
});

test('a Reader confined to a window does not read beyond its end', () => {
  const buf = bytes('00000001 00000002');
  const r = new Reader(buf, 0, 4);
  assert.equal(r.int32(), 1);
  throwsProtocol(() => r.int32(), /need 4 bytes, 0 left/);
});
