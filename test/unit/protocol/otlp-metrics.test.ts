// The protobuf writer and the OTLP MetricsData encoder (KIP-714 payloads), read back by a schema-less wire-format
// reader: field numbers, wire types, proto3 defaults left out, oneof members kept even when zero. Java's reading of the
// same bytes is checked against the real broker (test/integration/telemetry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoWriter } from '../../../src/protocol/protobuf.js';
import { AggregationTemporality, encodeMetricsData } from '../../../src/protocol/otlp-metrics.js';
import { otlpMetrics, readFields } from '../../support/protobuf-reader.js';

test('ProtoWriter: varints, fixed64, doubles, strings and nested messages in wire format', () => {
  const w = new ProtoWriter().uint(1, 150).uint(2, 0).uint(3, true).int64(4, -1n).fixed64(5, 1n).double(6, 0)
    .string(7, 'testing').string(8, '').message(9, new ProtoWriter().uint(1, 1)).uint(10, 0, true);
  const bytes = w.finish();
  // 150 is the protobuf guide's example: 08 96 01.
  assert.deepEqual([...bytes.subarray(0, 3)], [0x08, 0x96, 0x01]);
  const fields = readFields(bytes);
  assert.deepEqual(fields.map((f) => f.field), [1, 3, 4, 5, 6, 7, 9, 10], 'defaults (0, empty string) are not written unless asked');
  assert.equal(fields[1].value, 1n);
  assert.equal(fields[2].value, (1n << 64n) - 1n, 'int64 -1 is ten bytes of two\'s complement');
  assert.equal(fields[3].wireType, 1);
  assert.equal(fields[4].value, 0n, 'a double 0 is written (oneof member)');
  assert.equal((fields[5].value as Buffer).toString(), 'testing');
  assert.deepEqual(readFields(fields[6].value as Buffer), [{ field: 1, wireType: 0, value: 1n }]);
  assert.equal(fields[7].value, 0n);
  assert.throws(() => new ProtoWriter().uint(1, -1), RangeError);
});

test('ProtoWriter grows past its first buffer', () => {
  const big = 'x'.repeat(10_000);
  const fields = readFields(new ProtoWriter().string(1, big).uint(2, 2 ** 40).finish());
  assert.equal((fields[0].value as Buffer).length, 10_000);
  assert.equal(fields[1].value, BigInt(2 ** 40));
});

test('encodeMetricsData: one resource, one scope, sums with temporality and gauges with attributes', () => {
  const payload = encodeMetricsData({
    resource: { group_id: 'g', flag: true, n: 3, ratio: 0.5 },
    scope: { name: 'gregor', version: '1.2.3' },
    metrics: [
      { name: 'a.total', description: 'A', kind: 'sum', temporality: AggregationTemporality.DELTA, monotonic: true,
        points: [{ startTimeUnixNano: 10n, timeUnixNano: 20n, value: 0 }] },
      { name: 'b.lag', unit: 'records', kind: 'gauge',
        points: [{ attributes: { topic: 't', partition: 0 }, startTimeUnixNano: 0n, timeUnixNano: 20n, value: 7n }, { attributes: { topic: 't', partition: 1 }, startTimeUnixNano: 0n, timeUnixNano: 20n, value: 1.5 }] },
      { name: 'c.total', kind: 'sum', temporality: AggregationTemporality.CUMULATIVE, monotonic: false, points: [] },
    ],
  });
  const d = otlpMetrics(payload);
  assert.deepEqual(d.resource, { group_id: 'g', flag: true, n: 3n, ratio: 0.5 });
  assert.deepEqual(d.scope, { name: 'gregor', version: '1.2.3' });
  assert.deepEqual(d.metrics, [
    { name: 'a.total', description: 'A', unit: '', kind: 'sum', temporality: 1, monotonic: true, points: [{ start: 10n, time: 20n, value: 0, attributes: {} }] },
    { name: 'b.lag', description: '', unit: 'records', kind: 'gauge', points: [
      { start: 0n, time: 20n, value: 7n, attributes: { topic: 't', partition: 0n } },
      { start: 0n, time: 20n, value: 1.5, attributes: { topic: 't', partition: 1n } },
    ] },
    { name: 'c.total', description: '', unit: '', kind: 'sum', temporality: 2, monotonic: false, points: [] },
  ]);
});
