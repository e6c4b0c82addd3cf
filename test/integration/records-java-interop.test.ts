// Interop with Kafka's own Java producer, no gregor network code involved: for every codec, records are written by
// Kafka's console producer (keys, headers, null markers, values up to 100 KB, so snappy and lz4 span several
// blocks) and by producer-perf-test in transactions (COMMIT markers), to the project's real 4.3.1 broker. The
// partition's log segment on disk has exactly the wire format of a Fetch response's records, so gregor decodes
// the file and compares every batch and record with Kafka's own DumpLogSegments output (offsets, timestamps,
// sizes, keys, values, header keys, producer fields, codec, control markers) and header values with the input.
// The reverse direction without a network: batches encoded by gregor, written as a segment file, are read and
// CRC-validated by DumpLogSegments (the Java client's record classes and codecs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeRecordSet,
  encodeControlBatch,
  encodeRecordBatch,
  type CompressionType,
  type RecordBatch,
} from '../../src/protocol/records/index.js';
import { createTopic, deleteTopic, ensureKafka, kafkaTool, uniqueName } from './helpers/kafka.js';

/** The broker's log directory (log.dirs of the single node), where partition directories live. */
async function dataDir(): Promise<string> {
  return (await ensureKafka()).nodes[0].dataDir;
}

async function tool(name: string, args: string[], input?: string): Promise<string> {
  return (await kafkaTool(name, args, { input, timeoutMs: 300_000 })).stdout;
}

interface DumpBatch {
  fields: Record<string, string>;
  records: Array<Record<string, string>>;
}

/** Parses DumpLogSegments --print-data-log: batch lines, then "| offset: ..." record lines. */
function parseDump(out: string): DumpBatch[] {
  const batches: DumpBatch[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('baseOffset:')) {
      const fields: Record<string, string> = {};
      for (const m of line.matchAll(/(\w+): (\S+)/g)) fields[m[1]] = m[2];
      batches.push({ fields, records: [] });
    } else if (line.startsWith('| offset:')) {
      // key and payload are printed last and may contain spaces; everything before them is "name: value".
      const m = /^\| (.*?) headerKeys: \[(.*?)\](?: key: (.*?))?(?: payload: (.*))?(?: endTxnMarker: (\w+) coordinatorEpoch: (\d+))?$/.exec(line);
      if (m === null) throw new Error(`unparsed DumpLogSegments line: ${line}`);
      const r: Record<string, string> = { headerKeys: m[2] };
      for (const f of m[1].matchAll(/(\w+): (\S+)/g)) r[f[1]] = f[2];
      if (m[3] !== undefined) r.key = m[3];
      if (m[4] !== undefined) r.payload = m[4];
      if (m[5] !== undefined) r.endTxnMarker = m[5];
      batches[batches.length - 1].records.push(r);
    }
  }
  return batches;
}

const CONTROL_NAMES = ['ABORT', 'COMMIT'];

function compareWithDump(batches: RecordBatch[], dump: DumpBatch[], codec: CompressionType): number {
  assert.equal(batches.length, dump.length, 'batch count');
  let records = 0;
  batches.forEach((b, i) => {
    const d = dump[i].fields;
    const where = `batch ${i} (offset ${b.baseOffset})`;
    assert.equal(String(b.baseOffset), d.baseOffset, where);
    assert.equal(String(b.lastOffset), d.lastOffset, where);
    assert.equal(String(b.count), d.count, where);
    assert.equal(String(b.producerId), d.producerId, where);
    assert.equal(String(b.producerEpoch), d.producerEpoch, where);
    assert.equal(String(b.baseSequence), d.baseSequence, where);
    assert.equal(String(b.partitionLeaderEpoch), d.partitionLeaderEpoch, where);
    assert.equal(String(b.isTransactional), d.isTransactional, where);
    assert.equal(String(b.isControl), d.isControl, where);
    assert.equal(String(b.sizeInBytes), d.size, where);
    assert.equal(String(b.maxTimestamp), d.CreateTime, where);
    assert.equal(d.isvalid, 'true', where);
    // Control batches are never compressed; data batches carry the producer's codec.
    assert.equal(b.compression, b.isControl ? 'none' : codec, where);
    assert.equal(d.compresscodec, b.compression, where);
    assert.equal(b.records.length, dump[i].records.length, where);
    b.records.forEach((r, j) => {
      const e = dump[i].records[j];
      const at = `${where} record ${j}`;
      assert.equal(String(r.offset), e.offset, at);
      assert.equal(String(r.timestamp), e.CreateTime, at);
      assert.equal(String(r.key === null ? -1 : r.key.length), e.keySize, at);
      assert.equal(String(r.value === null ? -1 : r.value.length), e.valueSize, at);
      assert.equal(r.headers.map((h) => h.key).join(','), e.headerKeys, at);
      if (b.isControl) {
        assert.equal(CONTROL_NAMES[b.controlType], e.endTxnMarker, at);
      } else {
        if (r.key !== null) assert.equal(r.key.toString(), e.key, at);
        if (r.value !== null) assert.equal(r.value.toString(), e.payload, at);
      }
      records++;
    });
  });
  return records;
}

/** Console-producer input: headers TAB key TAB value, with <NULL> markers and values of 0 B to 100 KB. */
function consoleInput(n: number): { text: string; expected: Array<{ key: string | null; value: string | null; headers: Array<[string, string | null]> }> } {
  const lines: string[] = [];
  const expected: Array<{ key: string | null; value: string | null; headers: Array<[string, string | null]> }> = [];
  for (let i = 0; i < n; i++) {
    const key = i % 17 === 5 ? null : `key-${i}`;
    const size = i % 50 === 7 ? 100_000 : i % 9 === 0 ? 0 : 20 + ((i * 37) % 400);
    const value = i % 23 === 3 ? null : `v${i}:` + 'abcdefghij'.repeat(Math.ceil(size / 10)).slice(0, size);
    const headers: Array<[string, string | null]> =
      // The console producer's reader needs at least one header per line when parse.headers is on.
      i % 4 === 0 ? [['only', null]] : [['trace', `t-${i}`], ['n', null], ...(i % 3 === 0 ? [['ü-key', 'ü-value'] as [string, string]] : [])];
    const h = headers.map(([k, v]) => `${k}:${v ?? '<NULL>'}`).join(',');
    lines.push(`${h}\t${key ?? '<NULL>'}\t${value ?? '<NULL>'}`);
    expected.push({ key, value, headers });
  }
  return { text: lines.join('\n') + '\n', expected };
}

/** The segment once its last batch is a control batch (the final transaction's marker has been written). */
async function settledSegment(file: string, topic: string): Promise<Buffer> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const segment = readFileSync(file);
    const r = decodeRecordSet(segment, { checkCrcs: true, topic, partition: 0 });
    if (r.error === undefined && r.batches.length > 0 && r.batches[r.batches.length - 1].isControl) return segment;
    if (Date.now() > deadline) throw new Error(`${file}: no COMMIT marker after the last transaction within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

test('records written by the Java producer decode identically to DumpLogSegments, every codec', { timeout: 15 * 60_000 }, async (t) => {
  const env = await ensureKafka();
  const logDir = await dataDir();
  for (const codec of CODECS) {
    await t.test(codec, async () => {
      const topic = uniqueName(`records-interop-${codec}`);
      await createTopic(topic, 1);
      const { text, expected } = consoleInput(600);
      const start = Date.now();
      // Not helpers/kafka.ts produce(): console-producer's --compression-codec (default none) overrides a
      // compression.type given as a property, so the codec must be passed with that flag.
      await tool(
        'console-producer',
        [
          '--bootstrap-server', env.bootstrap, '--topic', topic, '--compression-codec', codec,
          '--command-property', 'linger.ms=200', '--command-property', 'batch.size=1000000',
          '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true',
          '--reader-property', 'null.marker=<NULL>', '--request-timeout-ms', '30000',
        ],
        text,
      );
      const end = Date.now();
      await tool('producer-perf-test', [
        '--bootstrap-server', env.bootstrap, '--topic', topic, '--num-records', '3000',
        '--record-size', '300', '--throughput', '-1', '--transactional-id', uniqueName(`records-interop-tx-${codec}`),
        // One --command-property with several values: in this tool, repeating the flag keeps only the last one.
        '--transaction-duration-ms', '200', '--command-property', `compression.type=${codec}`, 'linger.ms=20', 'batch.size=65536',
      ]);

      const file = join(logDir, `${topic}-0`, '00000000000000000000.log');
      assert.ok(existsSync(file), file);
      // commitTransaction() returns once the coordinator logged PrepareCommit; the COMMIT marker reaches the
      // partition afterwards. Read the segment only once its last batch is that marker, so gregor and
      // DumpLogSegments see the same file (a CI run read 19 batches where DumpLogSegments then saw 20).
      const segment = await settledSegment(file, topic);
      const r = decodeRecordSet(segment, { checkCrcs: true, topic, partition: 0 });
      assert.equal(r.error, undefined, r.error?.message);
      assert.equal(r.incompleteTail, false);
      assert.equal(r.bytesRead, segment.length);
      const dump = parseDump(await tool('dump-log', ['--files', file, '--print-data-log']));
      const records = compareWithDump(r.batches, dump, codec);

      // The console producer's records, in order: keys, values, header keys *and values*, timestamps in range.
      const data = r.batches.filter((b) => !b.isControl).flatMap((b) => b.records);
      assert.ok(records >= 3600);
      const consoleRecords = data.slice(0, expected.length);
      consoleRecords.forEach((rec, i) => {
        const want = expected[i];
        assert.equal(rec.key?.toString() ?? null, want.key, `record ${i} key`);
        assert.equal(rec.value?.toString() ?? null, want.value, `record ${i} value`);
        assert.deepEqual(rec.headers.map((h) => [h.key, h.value?.toString() ?? null]), want.headers, `record ${i} headers`);
        assert.ok(rec.timestamp >= start - 1000 && rec.timestamp <= end + 1000, `record ${i} timestamp ${rec.timestamp}`);
        assert.equal(rec.timestampType, 'CreateTime');
      });
      // Batching happened (several records per batch), and the perf-test transactions ended in COMMIT markers.
      assert.ok(r.batches.length < records / 2, `${r.batches.length} batches for ${records} records`);
      const markers = r.batches.filter((b) => b.isControl);
      assert.ok(markers.length >= 1);
      assert.ok(markers.every((m) => m.controlType === 1 && m.isTransactional));
      const perf = data.slice(expected.length);
      assert.equal(perf.length, 3000);
      assert.ok(perf.every((p) => p.value?.length === 300 && p.key === null));
      const txBatches = r.batches.filter((b) => b.isTransactional && !b.isControl);
      assert.ok(txBatches.length >= 1 && txBatches.every((b) => b.producerId >= 0n));
      t.diagnostic(`${codec}: ${r.batches.length} batches (${markers.length} commit markers), ${records} records, ${segment.length} bytes`);
      await deleteTopic(topic);
    });
  }
});

test('batches encoded by gregor are valid to Kafka: DumpLogSegments reads them, every codec', { timeout: 5 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-records-'));
  try {
    const partitionDir = join(dir, 'gregor-encoded-0');
    mkdirSync(partitionDir);
    const batches: Buffer[] = [];
    let offset = 0n;
    const t0 = 1_700_000_000_000;
    for (const compression of CODECS) {
      const records = Array.from({ length: 50 }, (_, i) => ({
        key: i % 10 === 3 ? null : `${compression}-key-${i}`,
        // One 150 KB value per batch: several snappy (32 KiB) and lz4 blocks.
        value: i === 7 ? 'x'.repeat(150_000) : i % 13 === 4 ? null : `${compression}-value-${i}-` + 'abc'.repeat(i),
        headers: i % 2 === 0 ? [{ key: 'h', value: `${i}` }, { key: 'n', value: null }] : [],
        timestamp: t0 + i * 10 - (i % 3) * 25,
      }));
      batches.push(encodeRecordBatch({
        baseOffset: offset, records, compression, producerId: 1000n, producerEpoch: 3, baseSequence: Number(offset),
        isTransactional: compression === 'zstd', partitionLeaderEpoch: 0,
      }));
      offset += 50n;
    }
    batches.push(encodeControlBatch({ baseOffset: offset, controlType: 1, producerId: 1000n, producerEpoch: 3, partitionLeaderEpoch: 0, timestamp: t0 }));
    const file = join(partitionDir, '00000000000000000000.log');
    writeFileSync(file, Buffer.concat(batches));
    const out = await tool('dump-log', ['--files', file, '--print-data-log']);
    const dump = parseDump(out);
    assert.equal(dump.length, CODECS.length + 1, out.slice(0, 2000));
    assert.ok(dump.every((d) => d.fields.isvalid === 'true'), 'Kafka validated every CRC');
    assert.deepEqual(dump.map((d) => d.fields.compresscodec), [...CODECS, 'none']);
    assert.equal(dump[dump.length - 1].records[0].endTxnMarker, 'COMMIT');
    // And what Kafka read matches what gregor decodes, field by field.
    const r = decodeRecordSet(readFileSync(file));
    assert.equal(r.error, undefined);
    let n = 0;
    CODECS.forEach((codec, i) => {
      n += compareWithDump([r.batches[i]], [dump[i]], codec);
      assert.equal(dump[i].records[7].valueSize, '150000');
    });
    assert.equal(n, 250);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
