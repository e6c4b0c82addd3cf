// RecordSetReader: the record set one entry at a time, as the consumer decodes it. Same results as decodeRecordSet,
// a partial last entry is the end (not an error), and a bad entry is thrown after every earlier one, on every call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError } from '../../../src/errors.js';
import { decodeRecordSet, encodeRecordBatch, RecordSetReader, type RecordBatch } from '../../../src/protocol/records/index.js';

const one = (base: bigint, values: string[]): Buffer =>
  encodeRecordBatch({ baseOffset: base, records: values.map((value, i) => ({ value, timestamp: 1_700_000_000_000 + i })) });

function all(reader: RecordSetReader): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let b = reader.next(); b !== null; b = reader.next()) out.push(b);
  return out;
}

test('entry by entry, with topic and partition on each batch; a partial tail ends the set', () => {
  const set = Buffer.concat([one(0n, ['a', 'b']), one(2n, ['c']), one(3n, ['d'])]);
  const cut = set.subarray(0, set.length - 5);
  const reader = new RecordSetReader(cut, { topic: 't', partition: 4 });
  const batches = all(reader);
  assert.deepEqual(batches.map((b) => b.records.map((r) => r.valueString())), [['a', 'b'], ['c']]);
  assert.deepEqual(batches.map((b) => [b.topic, b.partition]), [['t', 4], ['t', 4]]);
  assert.equal(batches[1].records[0].topic, 't');
  assert.equal(reader.incompleteTail, true);
  assert.equal(reader.firstEntrySize, undefined);
  assert.equal(reader.bytesRead, decodeRecordSet(cut).bytesRead);
  assert.equal(reader.next(), null, 'stays at the end');
});

test('a set that holds only part of its first entry says how large that entry is', () => {
  const b = one(0n, ['x'.repeat(500)]);
  const reader = new RecordSetReader(b.subarray(0, 100));
  assert.equal(reader.next(), null);
  assert.equal(reader.firstEntrySize, b.length);
});

test('a corrupt entry is thrown, located, after the good ones, and again on every later call', () => {
  const bad = one(2n, ['c']);
  bad[bad.length - 1] ^= 0xff;
  const reader = new RecordSetReader(Buffer.concat([one(0n, ['a', 'b']), bad, one(3n, ['d'])]), { topic: 't', partition: 1 });
  assert.equal(reader.next()?.baseOffset, 0n);
  for (let i = 0; i < 2; i++) {
    assert.throws(() => reader.next(), (e: unknown) => e instanceof CorruptRecordError && e.baseOffset === 2n && /t-1/.test(e.message));
  }
});
