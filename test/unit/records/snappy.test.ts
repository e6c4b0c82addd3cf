// The pure-JS snappy decoder (snappy.ts): every element type and length encoding, both framings, the same bounds as
// the other codecs, and a differential fuzz against the native snappy package (a devDependency-installed optional
// one): on mutated input the JS decoder returns what native returns, or a CorruptRecordError, never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CorruptRecordError } from '../../../src/errors.js';
import { compress, snappyCompressRaw } from '../../../src/protocol/records/compression.js';
import { snappyCompressJs, snappyDecompressJs } from '../../../src/protocol/records/snappy.js';
import { prng } from '../../support/prng.js';

const require = createRequire(import.meta.url);
const native = require('snappy') as { uncompressSync(b: Uint8Array, o: { asBuffer: true }): Buffer; compressSync(b: Uint8Array): Buffer };
const MiB = 1024 * 1024;

function sample(size: number, seed: number): Buffer {
  const rnd = prng(seed);
  const words = ['kafka', 'record', 'batch', '{"id":', '}', ' ', 'ü', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'];
  const parts: Buffer[] = [];
  let n = 0;
  while (n < size) {
    const r = rnd();
    // Runs of random bytes (long literals), words (short copies) and repeats (long, overlapping copies).
    const w = r < 0.1
      ? Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)))
      : Buffer.from(r < 0.2 ? String(Math.floor(rnd() * 1e9)) : words[Math.floor(rnd() * words.length)]);
    parts.push(w);
    n += w.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

test('decodes what snappy writes, raw and xerial, empty to multi-block, identically to the native decoder', () => {
  for (const size of [0, 1, 59, 60, 61, 255, 256, 65_536, 65_537, 100_000, 2 * MiB + 3]) {
    const data = sample(size, size + 1);
    for (const c of [snappyCompressRaw(data), compress(2, data)]) {
      assert.ok(snappyDecompressJs(c, 4 * MiB).equals(data), `${size} bytes, ${c[0] === 0x82 ? 'xerial' : 'raw'}`);
    }
  }
});

test('every literal length encoding and copy type, including overlapping copies', () => {
  // preamble 70; literal of 1 (tag 0x00); literal of 61 with a 1-byte length (tag 60<<2, len-1 = 60);
  // copy-1 of 4 at offset 1 (overlapping: repeats the last byte); copy-2 of 4 at offset 66.
  const lit61 = Buffer.alloc(61, 0x62);
  const block = Buffer.concat([
    Buffer.from([70, 0x00, 0x61, 60 << 2, 60]), lit61,
    Buffer.from([0x01 | (0 << 2), 1]), // copy-1: len 4, offset 1
    Buffer.from([0x02 | (3 << 2), 66, 0]), // copy-2: len 4, offset 66 (the block start)
  ]);
  const want = Buffer.concat([Buffer.from('a'), lit61, Buffer.from('bbbb'), Buffer.from('abbb')]);
  assert.ok(snappyDecompressJs(block, 100).equals(want));
  assert.ok(native.uncompressSync(block, { asBuffer: true }).equals(want));
  // Literal lengths in 2, 3 and 4 bytes (tags 61, 62, 63), and a copy with a 4-byte offset.
  for (const [tag, bytes] of [[61, 2], [62, 3], [63, 4]] as const) {
    // preamble 0xb0 0x02 = 304: a 300-byte literal, then a copy of 4 at offset 5.
    const len = 300;
    const lenBytes = Buffer.alloc(bytes);
    lenBytes.writeUIntLE(len - 1, 0, bytes);
    const b = Buffer.concat([Buffer.from([0xb0, 0x02, tag << 2]), lenBytes, Buffer.alloc(len, 7), Buffer.from([0x03 | (3 << 2), 5, 0, 0, 0])]);
    const out = snappyDecompressJs(b, 1000);
    assert.equal(out.length, 304);
    assert.ok(out.equals(native.uncompressSync(b, { asBuffer: true })));
  }
});

test('malformed blocks are CorruptRecordErrors naming snappy', () => {
  const cases: Array<[string, number[]]> = [
    ['offset 0', [4, 0x00, 0x61, 0x01, 0]],
    ['offset before the block start', [6, 0x00, 0x61, 0x01, 2]],
    ['more output than the preamble', [1, 0x04, 0x61, 0x62]],
    ['less output than the preamble', [3, 0x04, 0x61, 0x62]],
    ['literal past the end', [5, 0x10, 0x61]],
    ['truncated literal length', [100, 63 << 2, 1]],
    ['truncated copy', [8, 0x00, 0x61, 0x02 | (3 << 2), 1]],
    ['preamble longer than 5 bytes', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    ['empty input', []],
  ];
  for (const [what, bytes] of cases) {
    assert.throws(
      () => snappyDecompressJs(Buffer.from(bytes), MiB),
      (e: unknown) => e instanceof CorruptRecordError && e.message.startsWith('snappy'),
      what,
    );
  }
  // xerial: a block length past the data, a negative one, a truncated one.
  const x = compress(2, sample(1000, 3));
  for (const bad of [x.subarray(0, x.length - 1), Buffer.concat([x.subarray(0, 16), Buffer.from([0xff, 0xff, 0xff, 0xff])]), x.subarray(0, 18)]) {
    assert.throws(() => snappyDecompressJs(bad, MiB), CorruptRecordError);
  }
});

test('bounded: the limit is checked from the preambles before anything is allocated', () => {
  const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assert.throws(() => snappyDecompressJs(claim, MiB), /limit of 1048576 bytes/);
  const zeros = compress(2, Buffer.alloc(64 * MiB));
  assert.throws(() => snappyDecompressJs(zeros, MiB), /limit of 1048576 bytes/);
  const exact = compress(2, sample(5000, 9));
  assert.equal(snappyDecompressJs(exact, 5000).length, 5000);
  assert.throws(() => snappyDecompressJs(exact, 4999), /limit/);
});

test('fuzz: 20k mutated blocks decode to what the native decoder returns, or a CorruptRecordError', () => {
  const rnd = prng(20261206);
  const seeds = [1, 2, 3, 4].map((s) => sample(200 + s * 3000, s)).flatMap((d) => [snappyCompressRaw(d), compress(2, d)]);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 20_000; i++) {
    const m = Buffer.from(seeds[Math.floor(rnd() * seeds.length)]);
    const op = rnd();
    let input: Buffer = m;
    if (op < 0.6) {
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) m[Math.floor(rnd() * m.length)] ^= 1 << Math.floor(rnd() * 8);
    } else if (op < 0.8) {
      input = m.subarray(0, Math.floor(rnd() * m.length));
    } else {
      const at = Math.floor(rnd() * m.length);
      m[at] = [0, 0xff, 0x3c << 2, 0xfc, 0x01, 0x02, 0x03][Math.floor(rnd() * 7)];
    }
    let js: Buffer | undefined;
    try {
      js = snappyDecompressJs(input, 4 * MiB);
    } catch (e) {
      assert.ok(e instanceof CorruptRecordError, `case ${i}: ${String(e)}`);
      rejected++;
      continue;
    }
    decoded++;
    // Whatever the JS decoder accepts is valid snappy: the native decoder reads the same bytes from it (a raw block;
    // xerial framing is parsed here, not by the native package).
    if (input[0] !== 0x82) assert.ok(native.uncompressSync(input, { asBuffer: true }).equals(js), `case ${i}`);
  }
  assert.ok(decoded > 500 && rejected > 5000, `decoded ${decoded}, rejected ${rejected}`);
});

test('the JS encoder writes blocks the native decoder reads, every length and copy encoding, close to native in size', () => {
  const rnd = prng(7);
  const inputs = [
    Buffer.alloc(0), Buffer.from('a'), Buffer.from('abcd'), Buffer.alloc(100_000, 0x61),
    Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(rnd() * 256))), // incompressible: long literals
    ...[10, 100, 1000, 32 * 1024, 65_536 + 7, 300_000].map((size) => sample(size, size)),
  ];
  for (const data of inputs) {
    const c = snappyCompressJs(data);
    assert.ok(native.uncompressSync(c, { asBuffer: true }).equals(data), `${data.length} bytes: native reads it`);
    assert.ok(snappyDecompressJs(c, 4 * MiB).equals(data), `${data.length} bytes: JS reads it`);
    assert.ok(c.length <= 32 + data.length + Math.floor(data.length / 6));
    if (data.length >= 1000) {
      const nativeSize = native.compressSync(data).length;
      assert.ok(c.length <= nativeSize * 1.25 + 16, `${data.length} bytes: ${c.length} vs native ${nativeSize}`);
    }
  }
  // Random inputs of random sizes, with repeats at every distance (1-byte and 2-byte offsets, overlapping copies).
  for (let i = 0; i < 300; i++) {
    const size = Math.floor(rnd() * 5000);
    const data = Buffer.alloc(size);
    for (let k = 0; k < size; k++) data[k] = k > 8 && rnd() < 0.7 ? data[k - 1 - Math.floor(rnd() * Math.min(k - 1, rnd() < 0.5 ? 8 : 4000))] : Math.floor(rnd() * 256);
    const c = snappyCompressJs(data);
    assert.ok(native.uncompressSync(c, { asBuffer: true }).equals(data), `random case ${i}`);
  }
});
