// Record-batch decode throughput: records/s and MB/s for 100-byte and 1 KiB values, uncompressed and with each
// codec, CRC checked. A script, not a test:
//
//   npm run build && node dist/bench/records-decode.js [--seconds 1] [--batch-bytes 16384] [--quick]
//
// Each case builds ~1 MiB of record set (batches of about --batch-bytes uncompressed, like a Java producer with
// batch.size = 16 KiB) and decodes it repeatedly: "decode" is decodeRecordSet alone (views are lazy), "+read" also
// touches every record's key, value and offset (what a consumer that reads everything pays). MB/s counts the
// uncompressed key+value payload. Further sections: CRC32C native vs JS, lz4/snappy decoders compared, and the
// cost of a sync native call vs its async (thread-pool) variant.

import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { codecImplementations, crcImplementation, decodeRecordSet, encodeRecordBatch, type CompressionType } from '../src/protocol/records/index.js';
import { crc32cJs, crc32cOf, crcSmallImplementation, newCrcOwner } from '../src/protocol/records/crc32c.js';
import { compress, decompress } from '../src/protocol/records/compression.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
const seconds = arg('--seconds', quick ? 0.3 : 1);
const batchBytes = arg('--batch-bytes', 16384);
const require = createRequire(import.meta.url);

/** Semi-compressible text (JSON-ish with varying digits), deterministic. */
function payload(size: number, seed: number): Buffer {
  let x = seed * 2654435761 + 1;
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const s = `{"id":${x % 100000},"user":"u${x % 977}","v":${(x % 10007) / 7},"ok":${x % 2 === 0}}`;
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

function buildRecordSet(valueSize: number, compression: CompressionType, headerCount = 0, totalBytes = 1 << 20): { set: Buffer; count: number; payloadBytes: number } {
  const perBatch = Math.max(1, Math.floor(batchBytes / (valueSize + 20)));
  const batches: Buffer[] = [];
  let count = 0;
  let payloadBytes = 0;
  let offset = 0n;
  const t0 = 1_700_000_000_000;
  while (payloadBytes < totalBytes) {
    const records = [];
    for (let i = 0; i < perBatch; i++) {
      const key = Buffer.from(`key-${(count + i).toString().padStart(8, '0')}`);
      const value = payload(valueSize, count + i);
      const headers = Array.from({ length: headerCount }, (_, h) => ({ key: `header-${h}`, value: `trace-${count + i}-${h}` }));
      records.push({ key, value, headers, timestamp: t0 + count + i });
      payloadBytes += key.length + value.length;
    }
    batches.push(encodeRecordBatch({ baseOffset: offset, records, compression }));
    offset += BigInt(perBatch);
    count += perBatch;
  }
  return { set: Buffer.concat(batches), count, payloadBytes };
}

function measure(fn: () => unknown): number {
  // warm up, then run for `seconds`; returns seconds per iteration
  const warmEnd = performance.now() + Math.min(300, seconds * 300);
  while (performance.now() < warmEnd) fn();
  let iters = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    fn();
    iters++;
    now = performance.now();
  }
  return (now - start) / 1000 / iters;
}

const fmt = (n: number, d = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function decodeCases(): void {
  console.log(`\n== decodeRecordSet, CRC on, batches of ~${batchBytes} bytes uncompressed, ~1 MiB of payload per set`);
  console.log('value  codec    wire KiB  |   decode: M rec/s   MB/s  |  +read: M rec/s   MB/s');
  for (const valueSize of [100, 1024]) {
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionType[]) {
      const { set, count, payloadBytes } = buildRecordSet(valueSize, compression);
      const check = decodeRecordSet(set);
      if (check.error || check.batches.reduce((n, b) => n + b.records.length, 0) !== count) throw new Error('bad set');
      let sink = 0;
      const tDecode = measure(() => {
        const r = decodeRecordSet(set, { checkCrcs: true });
        sink += r.batches.length;
      });
      const tRead = measure(() => {
        const r = decodeRecordSet(set, { checkCrcs: true });
        for (const b of r.batches) {
          for (const rec of b.records) {
            sink += rec.value!.length + rec.key!.length + (rec.offset > 0n ? 1 : 0);
          }
        }
      });
      if (sink < 0) console.log(sink);
      console.log(
        `${String(valueSize).padStart(5)}  ${compression.padEnd(7)} ${fmt(set.length / 1024, 0).padStart(9)}  | ` +
          `${fmt(count / tDecode / 1e6, 2).padStart(16)} ${fmt(payloadBytes / tDecode / 1e6, 0).padStart(6)}  | ` +
          `${fmt(count / tRead / 1e6, 2).padStart(14)} ${fmt(payloadBytes / tRead / 1e6, 0).padStart(6)}`,
      );
      if (compression === 'none' && valueSize === 100) headerRow(sink);
    }
  }
}

/** 100-byte values with 3 headers each, uncompressed: "+read" also materialises the headers. */
function headerRow(seed: number): void {
  const { set, count, payloadBytes } = buildRecordSet(100, 'none', 3);
  let sink = seed;
  const tDecode = measure(() => {
    sink += decodeRecordSet(set).batches.length;
  });
  const tRead = measure(() => {
    for (const b of decodeRecordSet(set).batches) for (const rec of b.records) sink += rec.value!.length + rec.headers.length;
  });
  if (sink < 0) console.log(sink);
  console.log(
    `  100  none+3h ${fmt(set.length / 1024, 0).padStart(9)}  | ${fmt(count / tDecode / 1e6, 2).padStart(16)} ${fmt(payloadBytes / tDecode / 1e6, 0).padStart(6)}  | ` +
      `${fmt(count / tRead / 1e6, 2).padStart(14)} ${fmt(payloadBytes / tRead / 1e6, 0).padStart(6)}`,
  );
}

function crcCases(): void {
  console.log(`\n== CRC32C (this process uses: ${crcImplementation}; below the native threshold: ${crcSmallImplementation()})`);
  console.log('ns per checksum of each batch of a 256 KiB record set cut into batches of the size shown, by each implementation');
  console.log('(wasm: crc32cOf with the record set as owner, as RecordSetReader calls it; wasm, copied per call: no owner)');
  const native = require('@node-rs/crc32') as { crc32c(b: Uint8Array): number };
  const set = payload(256 * 1024, 7);
  for (const size of [64, 150, 256, 384, 512, 768, 1024, 4096, 16384]) {
    const n = Math.floor(set.length / size);
    const each = (f: (s: number, e: number) => number) => () => {
      let x = 0;
      for (let i = 0; i < n; i++) x ^= f(i * size, i * size + size);
      return x;
    };
    let owner = newCrcOwner();
    const perSet = each((s, e) => crc32cOf(owner, set, s, e));
    // A new owner per pass, as each record set is a reader of its own: its first batch fills the copy window.
    const tw = measure(() => {
      owner = newCrcOwner();
      return perSet();
    }) / n;
    const tc = measure(each((s, e) => crc32cOf(0, set, s, e))) / n;
    const tn = measure(each((s, e) => native.crc32c(set.subarray(s, e)))) / n;
    const tj = measure(each((s, e) => crc32cJs(set, s, e))) / n;
    console.log(`${String(size).padStart(6)} B: wasm ${fmt(tw * 1e9, 0).padStart(6)}  wasm, copied per call ${fmt(tc * 1e9, 0).padStart(6)}  native ${fmt(tn * 1e9, 0).padStart(6)}  js ${fmt(tj * 1e9, 0).padStart(6)}`);
  }
}

function codecCases(): void {
  console.log('\n== codec decoders on one ~16 KiB batch body (100-byte values)');
  const impl = codecImplementations();
  const lz4 = require('lz4-napi') as { decompressFrameSync(b: Buffer): Buffer; decompressFrame(b: Buffer): Promise<Buffer> };
  const snappy = require('snappy') as {
    uncompressSync(b: Buffer, o?: object): Buffer;
    uncompress(b: Buffer, o?: object): Promise<Buffer>;
  };
  const body = Buffer.concat(Array.from({ length: 150 }, (_, i) => payload(110, i)));
  for (const [id, name] of [[1, 'gzip'], [2, 'snappy'], [3, 'lz4'], [4, 'zstd']] as const) {
    const c = compress(id, body);
    const t = measure(() => decompress(id, c, { maxBytes: 1 << 24 }));
    console.log(`${name.padEnd(7)} ${String(c.length).padStart(6)} B compressed  ${fmt(t * 1e6, 1).padStart(6)} us  ${fmt(body.length / t / 1e6, 0).padStart(5)} MB/s  (${impl[name].decode})`);
  }
  const lz4Frame = compress(3, body);
  const tNative = measure(() => lz4.decompressFrameSync(lz4Frame));
  console.log(`lz4-napi decompressFrameSync for comparison: ${fmt(tNative * 1e6, 1)} us  ${fmt(body.length / tNative / 1e6, 0)} MB/s`);
  const raw = (require('snappy') as { compressSync(b: Buffer): Buffer }).compressSync(body);
  const tRaw = measure(() => decompress(2, raw, { maxBytes: 1 << 24 }));
  console.log(`snappy raw (unframed) block: ${fmt(tRaw * 1e6, 1)} us`);
  return void asyncCases(lz4, snappy, lz4Frame, raw);
}

async function asyncCases(
  lz4: { decompressFrame(b: Buffer): Promise<Buffer>; decompressFrameSync(b: Buffer): Buffer },
  snappy: { uncompress(b: Buffer, o?: object): Promise<Buffer>; uncompressSync(b: Buffer, o?: object): Buffer },
  lz4Frame: Buffer,
  raw: Buffer,
): Promise<void> {
  console.log('\n== sync vs async native call, same ~16 KiB batch, 2000 sequential calls');
  for (const [name, sync, asyncFn] of [
    // As gregor calls it: copyOutputData (see compression.ts).
    ['snappy', () => snappy.uncompressSync(raw, { copyOutputData: true }), () => snappy.uncompress(raw, { copyOutputData: true })],
    ['lz4-napi', () => lz4.decompressFrameSync(lz4Frame), () => lz4.decompressFrame(lz4Frame)],
  ] as const) {
    const n = 2000;
    let t = performance.now();
    for (let i = 0; i < n; i++) sync();
    const ts = (performance.now() - t) / n;
    t = performance.now();
    for (let i = 0; i < n; i++) await asyncFn();
    const ta = (performance.now() - t) / n;
    console.log(`${name.padEnd(9)} sync ${fmt(ts * 1000, 1)} us/call   async ${fmt(ta * 1000, 1)} us/call`);
  }
}

console.log(`node ${process.version}, ${process.arch}; codecs: ${JSON.stringify(codecImplementations())}`);
decodeCases();
crcCases();
codecCases();
