// Codecs: round trips, the framings Kafka clients write (xerial snappy, raw snappy, LZ4 frames with and without
// checksums, KAFKA-3160's wrong header checksum), bounded output for decompression bombs, typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { CorruptRecordError, UnsupportedError } from '../../../src/errors.js';
import { codecImplementations, compress, compressionId, decompress, snappyCompressRaw, COMPRESSION_TYPES } from '../../../src/protocol/records/compression.js';
import { lz4CompressFrameJs, lz4DecompressFrame, xxh32 } from '../../../src/protocol/records/lz4.js';
import { prng } from '../../support/prng.js';

const require = createRequire(import.meta.url);
const MiB = 1024 * 1024;

function sample(size: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const words = ['kafka', 'record', 'batch', 'offset', 'partition', '{"id":', '}', ' ', '\n', 'ü'];
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const w = rnd() < 0.2 ? String(Math.floor(rnd() * 1e6)) : words[Math.floor(rnd() * words.length)];
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

test('attribute ids follow Kafka (0 none .. 4 zstd)', () => {
  assert.deepEqual(COMPRESSION_TYPES, ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
  assert.equal(compressionId('zstd'), 4);
  assert.throws(() => compressionId('brotli' as never), UnsupportedError);
  assert.throws(() => decompress(5, Buffer.alloc(4), { maxBytes: 10 }), CorruptRecordError);
});

test('every codec round-trips empty, small, multi-block and large data', () => {
  for (const size of [0, 1, 100, 32 * 1024 + 1, 200_000, 3 * MiB]) {
    const data = sample(size, size);
    for (const id of [1, 2, 3, 4]) {
      const c = compress(id, data);
      const d = decompress(id, c, { maxBytes: 4 * MiB });
      assert.ok(d.equals(data), `codec ${id}, ${size} bytes`);
    }
  }
});

test('snappy: xerial framing is written (Java reads it) and both xerial and raw blocks decode', () => {
  const data = sample(100_000);
  const x = compress(2, data);
  assert.deepEqual([...x.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
  assert.equal(x.readInt32BE(8), 1);
  assert.equal(x.readInt32BE(12), 1);
  // 32 KiB blocks, like snappy-java's default: 100,000 bytes take 4 blocks.
  let blocks = 0;
  for (let p = 16; p < x.length; blocks++) p += 4 + x.readInt32BE(p);
  assert.equal(blocks, 4);
  assert.ok(decompress(2, x, { maxBytes: MiB }).equals(data));
  const raw = snappyCompressRaw(data);
  assert.ok(decompress(2, raw, { maxBytes: MiB }).equals(data));
  // A xerial stream with zero blocks is empty data.
  assert.equal(decompress(2, x.subarray(0, 16), { maxBytes: 10 }).length, 0);
});

test('lz4: frames with block and content checksums, content size, stored blocks; KAFKA-3160 header checksum', () => {
  const lz4 = require('lz4-napi') as { compressFrameSync(b: Buffer, o?: object): Buffer };
  const data = sample(150_000);
  for (const o of [{}, { contentChecksum: true }, { blockChecksums: true }, { contentChecksum: true, blockChecksums: true }]) {
    assert.ok(decompress(3, lz4.compressFrameSync(data, o), { maxBytes: MiB }).equals(data), JSON.stringify(o));
  }
  // Like the Java producer's frame descriptor: version 01, independent blocks, no checksums. lz4_flex picks the
  // block size from the input size (64 KiB for small inputs); Java's reader takes any size the BD byte declares.
  const f = compress(3, data);
  assert.equal(f.readUInt32LE(0), 0x184d2204);
  assert.equal(f[4], 0x60);
  assert.equal(f[5], 0x50);
  assert.equal(compress(3, sample(1000))[5], 0x40);

  // Hand-built frame: content size flag, one stored (uncompressed) block, content checksum.
  const payload = Buffer.from('stored block payload');
  const desc = Buffer.alloc(10);
  desc[0] = 0x40 | 0x20 | 0x08 | 0x04; // version 01, independent, content size, content checksum
  desc[1] = 0x40;
  desc.writeBigUInt64LE(BigInt(payload.length), 2);
  const hc = (xxh32(desc, 0, 10) >>> 8) & 0xff;
  const block = Buffer.alloc(4);
  block.writeUInt32LE((0x80000000 | payload.length) >>> 0);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32LE(xxh32(payload, 0, payload.length));
  const magic = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
  const frame = Buffer.concat([magic, desc, Buffer.from([hc]), block, payload, Buffer.alloc(4), checksum]);
  assert.equal(decompress(3, frame, { maxBytes: 100 }).toString(), 'stored block payload');
  // Wrong content size in the header, wrong checksum, wrong HC.
  const badSize = Buffer.from(frame);
  badSize.writeBigUInt64LE(3n, 6);
  badSize[14] = (xxh32(badSize, 4, 14) >>> 8) & 0xff;
  assert.throws(() => decompress(3, badSize, { maxBytes: 100 }), CorruptRecordError);
  const badSum = Buffer.from(frame);
  badSum[badSum.length - 1] ^= 1;
  assert.throws(() => decompress(3, badSum, { maxBytes: 100 }), /content checksum/);
  // KAFKA-3160: magic 0 clients computed HC over the magic too; tolerated only for legacy messages.
  const oldHc = Buffer.from(frame);
  oldHc[14] = (xxh32(oldHc, 0, 14) >>> 8) & 0xff;
  assert.notEqual(oldHc[14], frame[14]);
  assert.throws(() => decompress(3, oldHc, { maxBytes: 100 }), /descriptor checksum/);
  assert.equal(decompress(3, oldHc, { maxBytes: 100, legacyLz4HeaderChecksum: true }).toString(), 'stored block payload');
});

test('lz4: a frame of one stored block decodes to a view of its bytes, checked like any other frame', () => {
  // What the Java producer writes when lz4 cannot shrink a batch (random or already compressed values): one stored
  // block. Its output is the block itself, without a copy; everything else about the frame is still checked.
  function storedFrame(payload: Buffer, flg: number, contentSize = payload.length): Buffer {
    const desc = Buffer.alloc(flg & 0x08 ? 10 : 2);
    desc[0] = flg;
    desc[1] = 0x40;
    if (flg & 0x08) desc.writeBigUInt64LE(BigInt(contentSize), 2);
    const size = Buffer.alloc(4);
    size.writeUInt32LE((0x80000000 | payload.length) >>> 0);
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(xxh32(payload, 0, payload.length));
    return Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([(xxh32(desc, 0, desc.length) >>> 8) & 0xff]),
      size, payload, flg & 0x10 ? sum : Buffer.alloc(0), Buffer.alloc(4), flg & 0x04 ? sum : Buffer.alloc(0),
    ]);
  }
  const payload = sample(15_000, 7);
  for (const flg of [0x60, 0x60 | 0x10, 0x60 | 0x04, 0x60 | 0x08, 0x60 | 0x10 | 0x04 | 0x08]) {
    const frame = storedFrame(payload, flg);
    const copy = Buffer.from(frame);
    const out = decompress(3, frame, { maxBytes: MiB });
    assert.ok(out.equals(payload), `flg ${flg.toString(16)}`);
    assert.equal(out.buffer, frame.buffer, 'a view into the input, not a copy');
    assert.ok(frame.equals(copy), 'the input is not modified');
    assert.throws(() => decompress(3, frame, { maxBytes: payload.length - 1 }), /limit of/);
    for (const cut of [frame.length - 1, frame.length - 4, 20, 11]) {
      assert.throws(() => decompress(3, frame.subarray(0, cut), { maxBytes: MiB }), CorruptRecordError, `cut at ${cut}`);
    }
  }
  const bad = (flg: number, at: (f: Buffer) => number, pattern: RegExp): void => {
    const frame = storedFrame(payload, flg);
    frame[at(frame)] ^= 1;
    assert.throws(() => decompress(3, frame, { maxBytes: MiB }), pattern, `flg ${flg.toString(16)}`);
  };
  bad(0x60 | 0x10, () => 11 + 100, /block checksum/); // a byte of the payload
  bad(0x60 | 0x04, (f) => f.length - 1, /content checksum/);
  bad(0x60 | 0x10 | 0x04, (f) => f.length - 1, /content checksum/);
  assert.throws(() => decompress(3, storedFrame(payload, 0x60 | 0x08, payload.length - 1), { maxBytes: MiB }), /content size/);
  // Two stored blocks, or a stored block in each of two frames: concatenated into one output.
  const two = Buffer.concat([storedFrame(payload.subarray(0, 100), 0x60), storedFrame(payload.subarray(100), 0x60)]);
  assert.ok(decompress(3, two, { maxBytes: MiB }).equals(payload));
});

test('lz4: every literal and match length, overlapping and distant matches, decode as the format defines', () => {
  // Blocks built sequence by sequence (token, length bytes, literals, offset), the expected output written byte by
  // byte as the format defines a match (a copy that may overlap what it writes): covers the decoder's 4-byte copies,
  // their byte tails and the long-copy calls at every boundary.
  const rnd = prng(11);
  for (let round = 0; round < 200; round++) {
    const expected: number[] = [];
    const block: number[] = [];
    const lengthBytes = (n: number): void => {
      for (; n >= 255; n -= 255) block.push(255);
      block.push(n);
    };
    const sequences = 1 + Math.floor(rnd() * 20);
    for (let s = 0; s <= sequences; s++) {
      const last = s === sequences;
      const litLen = last ? 5 + Math.floor(rnd() * 70) : (s === 0 ? 1 : 0) + Math.floor(rnd() * (rnd() < 0.9 ? 20 : 300));
      const matchLen = 4 + Math.floor(rnd() * (rnd() < 0.9 ? 20 : 300));
      block.push((Math.min(litLen, 15) << 4) | (last ? 0 : Math.min(matchLen - 4, 15)));
      if (litLen >= 15) lengthBytes(litLen - 15);
      for (let i = 0; i < litLen; i++) {
        const b = Math.floor(rnd() * 256);
        block.push(b);
        expected.push(b);
      }
      if (last) break;
      const offset = 1 + Math.floor(rnd() * Math.min(expected.length, rnd() < 0.5 ? 8 : 70_000));
      block.push(offset & 0xff, offset >>> 8);
      if (matchLen - 4 >= 15) lengthBytes(matchLen - 4 - 15);
      for (let i = 0; i < matchLen; i++) expected.push(expected[expected.length - offset]);
    }
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length);
    const desc = Buffer.from([0x60, 0x40]);
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([(xxh32(desc, 0, 2) >>> 8) & 0xff]), size,
      Buffer.from(block), Buffer.alloc(4),
    ]);
    if (expected.length > 65536) continue; // beyond the block size the frame declares
    assert.deepEqual([...lz4DecompressFrame(frame, { maxBytes: MiB })], expected, `round ${round}`);
    assert.throws(() => lz4DecompressFrame(frame, { maxBytes: expected.length - 1 }), /limit of/);
  }
});

test('xxh32 known values', () => {
  assert.equal(xxh32(Buffer.alloc(0), 0, 0), 0x02cc5d05);
  const abc = Buffer.from('abc');
  assert.equal(xxh32(abc, 0, 3), 0x32d153ff);
});

test('decompression bombs fail at the limit, before allocating the claimed size', () => {
  const zeros = Buffer.alloc(64 * MiB);
  for (const id of [1, 2, 3, 4]) {
    const bomb = compress(id, zeros);
    assert.ok(bomb.length < 4 * MiB, `codec ${id} bomb is small (${bomb.length})`);
    assert.throws(
      () => decompress(id, bomb, { maxBytes: MiB }),
      (e: unknown) => e instanceof CorruptRecordError && /limit of 1048576 bytes/.test(e.message),
      `codec ${id}`,
    );
  }
  // A raw snappy block that *claims* 4 GiB is refused from its preamble alone.
  const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assert.throws(() => decompress(2, claim, { maxBytes: MiB }), /limit/);
  // An LZ4 frame whose blocks could not hold its declared content size.
  const lz = compress(3, Buffer.from('x'));
  assert.ok(lz.length > 0);
  // Exactly at the limit is fine.
  const exact = sample(5000);
  for (const id of [1, 2, 3, 4]) assert.equal(decompress(id, compress(id, exact), { maxBytes: 5000 }).length, 5000);
  for (const id of [1, 2, 3, 4]) assert.throws(() => decompress(id, compress(id, exact), { maxBytes: 4999 }), /limit/);
});

test('truncated or garbage input gives CorruptRecordError naming the codec', () => {
  const data = sample(50_000);
  for (const [id, name] of [[1, 'gzip'], [2, 'snappy'], [3, 'lz4'], [4, 'zstd']] as const) {
    const c = compress(id, data);
    for (const cut of [0, 1, 5, 17, c.length >> 1, c.length - 1]) {
      assert.throws(
        () => decompress(id, c.subarray(0, cut), { maxBytes: MiB }),
        (e: unknown) => e instanceof CorruptRecordError && e.message.startsWith(name),
        `${name} cut at ${cut}`,
      );
    }
    const garbage = Buffer.from(c);
    for (let i = 20; i < garbage.length; i += 7) garbage[i] ^= 0x5a;
    assert.throws(() => decompress(id, garbage, { maxBytes: MiB }), CorruptRecordError, name);
  }
  // gzip: concatenated members are one stream (GZIPInputStream reads them too).
  const two = Buffer.concat([gzipSync('ab'), gzipSync('cd')]);
  assert.equal(decompress(1, two, { maxBytes: 10 }).toString(), 'abcd');
});

test('lz4 decoder rejects malformed blocks', () => {
  const good = compress(3, sample(1000));
  assert.throws(() => lz4DecompressFrame(Buffer.alloc(0), { maxBytes: 10 }), CorruptRecordError);
  const noEnd = good.subarray(0, good.length - 4);
  assert.throws(() => lz4DecompressFrame(noEnd, { maxBytes: MiB }), /EndMark/);
  const badVersion = Buffer.from(good);
  badVersion[4] = 0x20;
  assert.throws(() => lz4DecompressFrame(badVersion, { maxBytes: MiB, ignoreHeaderChecksum: true }), /version/);
  // A match offset pointing before the start of the output.
  const desc = Buffer.from([0x60, 0x40]);
  const hc = (xxh32(desc, 0, 2) >>> 8) & 0xff;
  const blockBody = Buffer.from([0x10, 0x41, 0x05, 0x00, 0x00]); // 1 literal 'A', match offset 5 (> 1 byte written)
  const size = Buffer.alloc(4);
  size.writeUInt32LE(blockBody.length);
  const frame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([hc]), size, blockBody, Buffer.alloc(4)]);
  assert.throws(() => lz4DecompressFrame(frame, { maxBytes: MiB }), /offset/);
});

test('zstd decodes through node:zlib: round trip, the limit, a truncated frame', () => {
  const data = sample(300_000);
  const c = compress(4, data);
  assert.ok(decompress(4, c, { maxBytes: MiB }).equals(data));
  assert.throws(() => decompress(4, c, { maxBytes: 1000 }), (e: unknown) => e instanceof CorruptRecordError && e.code === 'ERR_CORRUPT_RECORD');
  assert.throws(() => decompress(4, c.subarray(0, c.length - 3), { maxBytes: MiB }), (e: unknown) => e instanceof CorruptRecordError && e.code === 'ERR_CORRUPT_RECORD');
  assert.deepEqual(codecImplementations().zstd, { decode: 'node:zlib', encode: 'node:zlib' });
  // The frame walk (zstd.ts) accepts concatenated frames and skippable frames, and rejects every truncation.
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const first = compress(4, Buffer.from('ab'));
  const two = Buffer.concat([first, skippable, compress(4, Buffer.from('cd'))]);
  assert.equal(decompress(4, two, { maxBytes: 10 }).toString(), 'abcd');
  const boundaries = [first.length, first.length + skippable.length];
  for (let cut = 0; cut < two.length; cut++) {
    if (boundaries.includes(cut)) assert.equal(decompress(4, two.subarray(0, cut), { maxBytes: 10 }).toString(), 'ab');
    else assert.throws(() => decompress(4, two.subarray(0, cut), { maxBytes: 10 }), CorruptRecordError, `cut at ${cut}`);
  }
});

test('zstd: one reused context decodes batch after batch; a corrupt or oversized frame leaves the next intact', () => {
  // Outputs share slabs and one native context (zstd.ts): each result must stay intact after later decodes, and a
  // failure must not leave the context half-way through a frame.
  const inputs = [sample(16_000, 1), sample(23_000, 2), sample(300_000, 3), sample(0), sample(70_000, 4)];
  const frames = inputs.map((d) => compress(4, d));
  const garbage = Buffer.from(frames[1]);
  for (let i = 20; i < garbage.length; i += 7) garbage[i] ^= 0x5a;
  const outputs: Buffer[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < frames.length; i++) {
      outputs.push(decompress(4, frames[i], { maxBytes: MiB }));
      assert.throws(() => decompress(4, garbage, { maxBytes: MiB }), CorruptRecordError);
      assert.throws(() => decompress(4, frames[2], { maxBytes: 299_999 }), /limit/);
      assert.equal(decompress(4, frames[2], { maxBytes: 300_000 }).length, 300_000);
    }
  }
  outputs.forEach((out, i) => assert.ok(out.equals(inputs[i % inputs.length]), `output ${i}`));
});

test('without the optional native packages every codec decodes and encodes (JS snappy and lz4 encoders)', () => {
  const mod = fileURLToPath(new URL('../../../src/protocol/records/compression.js', import.meta.url));
  const script = `
    import * as m from ${JSON.stringify(mod)};
    for (const id of [2, 3]) { try { m.compress(id, Buffer.from('x')); console.log('no error'); } catch (e) { console.log(e.code, e.message); } }
    import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    const input = JSON.parse(readFileSync(0, 'utf8'));
    const data = Buffer.from(input.data, 'base64');
    for (const [id, c] of input.encoded) console.log(id, m.decompress(id, Buffer.from(c, 'base64'), { maxBytes: 1 << 20 }).equals(data));
    console.log(JSON.stringify(m.codecImplementations()));
    // What the JS encoder wrote, read by the native decoder (loaded here directly: gregor was told it is absent).
    const native = createRequire(${JSON.stringify(mod)})('snappy');
    const x = m.compress(2, data);
    let p = 16, ok = true;
    const parts = [];
    while (p < x.length) { const len = x.readInt32BE(p); parts.push(native.uncompressSync(x.subarray(p + 4, p + 4 + len), { asBuffer: true })); p += 4 + len; }
    console.log(Buffer.concat(parts).equals(data), x.length < data.length);
    // And what the JS lz4 encoder wrote, read by lz4-napi.
    const lz = m.compress(3, data);
    console.log(createRequire(${JSON.stringify(mod)})('lz4-napi').decompressFrameSync(lz).equals(data), lz.length < data.length);`;
  const data = sample(70_000);
  const encoded = [1, 2, 3, 4].map((id) => [id, compress(id, data).toString('base64')]);
  encoded.push([2, snappyCompressRaw(data).toString('base64')]);
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify({ data: data.toString('base64'), encoded }),
    env: { ...process.env, GREGOR_DISABLE_NATIVE: 'snappy,lz4-napi' },
    encoding: 'utf8',
  }).trim().split('\n');
  assert.equal(out[0], 'no error');
  assert.equal(out[1], 'no error');
  assert.deepEqual(out.slice(2, 7), ['1 true', '2 true', '3 true', '4 true', '2 true']);
  const impl = JSON.parse(out[7]) as Record<string, { decode: string; encode: string }>;
  assert.equal(impl.snappy.decode, 'gregor snappy decoder (JS)');
  assert.equal(impl.snappy.encode, 'gregor snappy encoder (JS), xerial framing');
  assert.equal(impl.lz4.encode, 'gregor lz4 frame encoder (JS)');
  assert.equal(out[8], 'true true');
  assert.equal(out[9], 'true true');
});

test('lz4: the JS frame encoder writes what lz4-napi and lz4.ts read: Java\'s frame format, stored blocks, end rules', () => {
  const lz4 = require('lz4-napi') as { decompressFrameSync(b: Buffer): Buffer; compressFrameSync(b: Buffer): Buffer };
  const rnd = prng(11);
  const random = Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(rnd() * 256)));
  const inputs = [Buffer.from('a'), Buffer.from('abcdefghijkl'), Buffer.alloc(13, 0x61), Buffer.alloc(200_000, 0x62), random,
    ...[100, 5000, 65_536, 65_537, 300_000].map((size) => sample(size, size))];
  for (const data of inputs) {
    const f = lz4CompressFrameJs(data);
    // The Java producer's descriptor: version 01, independent blocks, 64 KiB blocks, no checksums, correct HC.
    assert.deepEqual([...f.subarray(0, 6)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]);
    assert.ok(lz4.decompressFrameSync(f).equals(data), `${data.length} bytes: lz4-napi reads it`);
    assert.ok(lz4DecompressFrame(f, { maxBytes: MiB }).equals(data), `${data.length} bytes: lz4.ts reads it`);
    if (data.length >= 5000) {
      const nativeSize = lz4.compressFrameSync(data).length;
      assert.ok(f.length <= nativeSize * 1.25 + 16, `${data.length} bytes: ${f.length} vs native ${nativeSize}`);
    }
  }
  // Incompressible data is stored: each block's size word has the high bit.
  const stored = lz4CompressFrameJs(random);
  assert.equal(stored.readUInt32LE(7) >>> 31, 1);
  for (let i = 0; i < 300; i++) {
    const size = Math.floor(rnd() * 5000);
    const data = Buffer.alloc(size);
    for (let k = 0; k < size; k++) data[k] = k > 8 && rnd() < 0.7 ? data[k - 1 - Math.floor(rnd() * Math.min(k - 1, rnd() < 0.5 ? 8 : 4000))] : Math.floor(rnd() * 256);
    assert.ok(lz4.decompressFrameSync(lz4CompressFrameJs(data)).equals(data), `random case ${i}`);
  }
});
