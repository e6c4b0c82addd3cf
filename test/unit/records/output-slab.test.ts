// The JS snappy decoder and zstd decompress into one reused area (output-slab.ts) and claimOutput() copies each result
// out of it: every earlier result (and every record view into it) keeps its bytes however many batches are
// decompressed after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compress } from '../../../src/protocol/records/compression.js';
import { snappyDecompressJs } from '../../../src/protocol/records/snappy.js';
import { claimOutput, outputSpace, SCRATCH_BYTES } from '../../../src/protocol/records/output-slab.js';
import { prng } from '../../support/prng.js';

function sample(size: number, seed: number): Buffer {
  const rnd = prng(seed);
  const out = Buffer.allocUnsafe(size);
  // Compressible but distinct per seed: runs of a few letters.
  for (let i = 0; i < size; i++) out[i] = 97 + Math.floor(rnd() * 6);
  return out;
}

test('snappy (JS decoder) results stay intact while many more batches are decompressed into the same area', () => {
  const kept: { original: Buffer; result: Buffer }[] = [];
  // ~3 MiB of output in batches of 1-40 KiB, all through the reused area.
  for (let i = 0; i < 150; i++) {
    const original = sample(1024 + ((i * 7919) % 40_000), i + 1);
    const result = snappyDecompressJs(compress(2, original), 1 << 24);
    assert.equal(result.length, original.length);
    kept.push({ original, result });
  }
  for (const [i, k] of kept.entries()) assert.ok(k.result.equals(k.original), `batch ${i} was overwritten`);
  const area = outputSpace(1, 1).buffer;
  assert.ok(kept.every((k) => k.result.buffer !== area), 'no result is a view into the reused area');
});

test('claimed output is the caller\'s: the area offered next leaves it alone; larger outputs get a buffer of their own', () => {
  const space = outputSpace(4096, 1 << 30);
  assert.ok(space.length >= 4096);
  space.fill(7, 0, 10);
  const claimed = claimOutput(space, 10);
  assert.deepEqual([...claimed], Array(10).fill(7));
  const next = outputSpace(16, 1 << 30);
  assert.ok(next.buffer !== claimed.buffer || next.byteOffset >= claimed.byteOffset + 10 || claimed.byteOffset >= next.byteOffset + next.length, 'claimed bytes are not offered again');
  next.fill(9);
  assert.deepEqual([...claimed], Array(10).fill(7), 'writing the next space leaves the claimed region alone');
  const big = outputSpace(SCRATCH_BYTES * 2, 1 << 30);
  assert.notEqual(big.buffer, claimed.buffer);
  assert.notEqual(big.buffer, next.buffer);
  assert.equal(big.length, SCRATCH_BYTES * 2);
  // A space that was outgrown (the caller copied into its own buffer) is returned as it is.
  const own = Buffer.alloc(32, 1);
  assert.equal(claimOutput(own, 20).length, 20);
  assert.equal(claimOutput(own, 20).buffer, own.buffer);
});

test('the space offered is bounded by max (a decompression limit below the slab size is honoured)', () => {
  const space = outputSpace(100, 101);
  assert.equal(space.length, 101);
});
