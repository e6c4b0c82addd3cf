// Commit metadata of run(): round trips (fixed cases and seeded random sets), the size limit, foreign metadata.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCompleted, encodeCompleted, METADATA_PREFIX, type OffsetRange } from '../../../src/consumer/runner/metadata.js';
import { prng as rng } from '../../support/prng.js';

function randomRanges(random: () => number, committed: bigint, count: number, maxGap: number): OffsetRange[] {
  const out: OffsetRange[] = [];
  let next = committed + BigInt(Math.floor(random() * 3));
  for (let i = 0; i < count; i++) {
    const start = next;
    const end = start + BigInt(Math.floor(random() * 20));
    out.push({ start, end });
    next = end + 2n + BigInt(Math.floor(random() * maxGap));
  }
  return out;
}

test('no completions encode to an empty string and decode to none', () => {
  assert.deepEqual(encodeCompleted(10n, [], 4096), { metadata: '', complete: true, ranges: 0 });
  assert.deepEqual(decodeCompleted(10n, ''), []);
  assert.deepEqual(decodeCompleted(10n, null), []);
});

test('fixed ranges round-trip and the format is versioned and ASCII', () => {
  const ranges = [{ start: 100n, end: 100n }, { start: 102n, end: 110n }, { start: 5000n, end: 5000n }];
  const enc = encodeCompleted(100n, ranges, 4096);
  assert.equal(enc.complete, true);
  assert.equal(enc.ranges, 3);
  assert.ok(enc.metadata.startsWith(METADATA_PREFIX));
  assert.match(enc.metadata, /^g1:[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCompleted(100n, enc.metadata), ranges);
});

test('seeded random sets round-trip, including offsets near 2^53', () => {
  const random = rng(42);
  for (let i = 0; i < 500; i++) {
    const committed = i % 10 === 0 ? BigInt(Number.MAX_SAFE_INTEGER) - 100_000n : BigInt(Math.floor(random() * 1e12));
    const ranges = randomRanges(random, committed, 1 + Math.floor(random() * 40), i % 10 === 0 ? 100 : 100_000);
    const enc = encodeCompleted(committed, ranges, 100_000);
    assert.equal(enc.complete, true, `case ${i}`);
    assert.deepEqual(decodeCompleted(committed, enc.metadata), ranges, `case ${i}`);
  }
});

test('the size limit keeps the leading ranges that fit and says the list was cut', () => {
  const random = rng(7);
  for (const limit of [16, 64, 100, 4096]) {
    const ranges = randomRanges(random, 1000n, 5000, 1000);
    const enc = encodeCompleted(1000n, ranges, limit);
    assert.ok(enc.metadata.length <= limit, `${enc.metadata.length} > ${limit}`);
    assert.equal(enc.complete, false);
    assert.ok(enc.ranges > 0 || limit < 8);
    assert.deepEqual(decodeCompleted(1000n, enc.metadata), ranges.slice(0, enc.ranges));
    // One more range would not have fitted: the cut is the longest prefix.
    if (enc.ranges > 0) {
      const longer = encodeCompleted(1000n, ranges.slice(0, enc.ranges + 1), 1_000_000);
      assert.ok(longer.metadata.length > limit);
    }
  }
});

test('alternating completions: about 1,500 ranges fit in the default 4096 characters', () => {
  const ranges: OffsetRange[] = [];
  for (let i = 0; i < 3000; i++) ranges.push({ start: 1n + 2n * BigInt(i), end: 1n + 2n * BigInt(i) });
  const enc = encodeCompleted(0n, ranges, 4096);
  assert.ok(enc.ranges >= 1500, `only ${enc.ranges} ranges`);
  assert.ok(enc.metadata.length <= 4096);
});

test('foreign or malformed metadata decodes to no completions', () => {
  for (const m of ['hello', 'g2:AAAA', 'g1:!!!!', 'g1:gA', 'g1:AA', 'g1:' + Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0]).toString('base64url')]) {
    assert.deepEqual(decodeCompleted(5n, m), [], m);
  }
});

test('encoding refuses ranges below the committed offset', () => {
  assert.throws(() => encodeCompleted(10n, [{ start: 5n, end: 6n }], 4096), RangeError);
});
