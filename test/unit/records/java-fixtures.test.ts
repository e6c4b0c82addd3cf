// Golden bytes captured from the real broker: log segments written by Kafka 4.3.1's console producer (20 records
// with keys, headers and null markers) and a transactional producer-perf-test (30 records of 40 random capital
// letters, then a COMMIT marker), one file per codec. Segment files have the Fetch response's record-set layout.
// The integration test regenerates such data on every run; these fixtures keep the check in the broker-free suite.
// (Named .bin: each is a copy of a partition's 00000000000000000000.log, and *.log is gitignored.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlType, decodeRecordSet, type CompressionType } from '../../../src/protocol/records/index.js';

// dist/test/unit/records -> repository root
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'unit', 'records', 'fixtures');

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionType[]) {
  test(`Java producer segment, ${codec}`, () => {
    const set = readFileSync(join(FIXTURES, `java-${codec}.bin`));
    const r = decodeRecordSet(set, { checkCrcs: true, topic: 'fixture', partition: 0 });
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(r.incompleteTail, false);
    assert.equal(r.bytesRead, set.length);
    const [consoleBatch, txBatch, marker] = r.batches;
    assert.equal(r.batches.length, 3);

    assert.equal(consoleBatch.compression, codec);
    assert.equal(consoleBatch.isTransactional, false);
    assert.ok(consoleBatch.producerId >= 0n); // idempotence is on by default since Kafka 3.0
    assert.equal(consoleBatch.baseSequence, 0);
    assert.equal(consoleBatch.records.length, 20);
    consoleBatch.records.forEach((rec, i) => {
      assert.equal(rec.offset, BigInt(i));
      assert.equal(rec.key?.toString() ?? null, i === 4 ? null : `key-${i}`);
      assert.equal(rec.value?.toString() ?? null, i === 9 ? null : `value-${i}-` + 'abc'.repeat(i));
      const headers = rec.headers.map((h) => [h.key, h.value?.toString() ?? null]);
      assert.deepEqual(headers, i % 3 ? [['trace', `t-${i}`], ['n', null]] : [['only', null]]);
      assert.equal(rec.timestampType, 'CreateTime');
      assert.ok(rec.timestamp >= consoleBatch.baseTimestamp && rec.timestamp <= consoleBatch.maxTimestamp);
    });

    assert.equal(txBatch.compression, codec);
    assert.equal(txBatch.isTransactional, true);
    assert.equal(txBatch.baseOffset, 20n);
    assert.equal(txBatch.records.length, 30);
    assert.ok(txBatch.records.every((rec) => rec.key === null && /^[A-Z]{40}$/.test(rec.value!.toString())));

    assert.equal(marker.isControl, true);
    assert.equal(marker.controlType, ControlType.COMMIT);
    assert.equal(marker.producerId, txBatch.producerId);
    assert.equal(marker.compression, 'none');
    assert.equal(r.nextOffset, marker.lastOffset + 1n);
  });
}
