// The key partitioner must put a key where the Java client puts it, and keyless records must stick to a partition
// for about batch.size bytes, then move on.
//
// The expected hashes below were computed by running the Java client itself (kafka-clients 4.3.1,
// org.apache.kafka.common.utils.Utils.murmur2 and Utils.toPositive) on these exact inputs; the integration test
// test/integration/producer/partitioner.test.ts checks the same agreement on keys placed by Kafka's console producer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StickyPartitioner, murmur2, partitionForKey, toPositive } from '../../../src/producer/partitioner.js';

// key, Utils.murmur2(key UTF-8), toPositive(h) % 7, toPositive(h) % 12
const JAVA_VECTORS: ReadonlyArray<[string, number, number, number]> = [
  ['', 275646681, 2, 9],
  ['a', -1563381124, 5, 4],
  ['ab', 316155434, 0, 2],
  ['abc', 479470107, 4, 3],
  ['abcd', -1323649548, 5, 8],
  ['abcde', 461995741, 4, 1],
  ['21', -973932308, 3, 0],
  ['foobar', -790332482, 0, 6],
  ['key-0', 29210041, 0, 1],
  ['key-42', -187086521, 3, 3],
  ['gregor', -1512854036, 1, 0],
  ['héllo wörld', 439213890, 3, 6],
  ['a-little-bit-long-string', -985981536, 1, 8],
  ['0123456789abcdefghij', 79869466, 5, 10],
];

// Bytes 0, 1, 2, ... n-1 (every byte value, high bit set included), hashed by the same Java call.
const JAVA_BYTE_VECTORS: ReadonlyArray<[number, number]> = [
  [1, 375494588], [2, -2112343979], [3, 51419311], [5, -1916494074], [255, 1542706800], [256, -1948347274],
];

test('murmur2 matches the Java client on strings of every tail length (0-3 trailing bytes)', () => {
  for (const [key, hash] of JAVA_VECTORS) assert.equal(murmur2(Buffer.from(key, 'utf8')), hash, `murmur2(${JSON.stringify(key)})`);
});

test('murmur2 matches the Java client on bytes >= 0x80 (signed bytes in Java)', () => {
  for (const [n, hash] of JAVA_BYTE_VECTORS) {
    const data = Uint8Array.from({ length: n }, (_, i) => i);
    assert.equal(murmur2(data), hash, `murmur2(bytes 0..${n - 1})`);
  }
});

test('partitionForKey = toPositive(murmur2) % partitions, as the Java client places keys', () => {
  for (const [key, , p7, p12] of JAVA_VECTORS) {
    assert.equal(partitionForKey(Buffer.from(key, 'utf8'), 7), p7, `${JSON.stringify(key)} over 7 partitions`);
    assert.equal(partitionForKey(Buffer.from(key, 'utf8'), 12), p12, `${JSON.stringify(key)} over 12 partitions`);
  }
  assert.equal(partitionForKey(Buffer.from('anything'), 1), 0);
});

test('toPositive masks the sign bit (not Math.abs: -2^31 stays non-negative)', () => {
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(5), 5);
});

test('partitionForKey refuses a partition count that is not a positive integer', () => {
  assert.throws(() => partitionForKey(Buffer.from('k'), 0), RangeError);
  assert.throws(() => partitionForKey(Buffer.from('k'), 2.5), RangeError);
});

test('sticky: one partition until batch.size bytes, then another one', () => {
  let r = 0;
  const randoms = [0.1, 0.9, 0.5, 0.3];
  const sticky = new StickyPartitioner(100, () => randoms[r++ % randoms.length]);
  const first = sticky.partition('t', 4, 40);
  assert.equal(sticky.partition('t', 4, 40), first);
  assert.equal(sticky.partition('t', 4, 40), first, '120 bytes: the third record still fits the first batch');
  const second = sticky.partition('t', 4, 40);
  assert.notEqual(second, first, 'past batch.size the partition changes');
  // Topics are independent.
  const other = sticky.partition('u', 4, 10);
  assert.ok(other >= 0 && other < 4);
  assert.equal(sticky.partition('t', 4, 10), second);
});

test('sticky: only partitions with a leader are chosen, and a sticky partition that lost its leader is left', () => {
  const sticky = new StickyPartitioner(1000, () => 0.99);
  assert.equal(sticky.partition('t', 6, 10, [2, 4]), 4);
  assert.equal(sticky.partition('t', 6, 10, [2, 3]), 3, 'partition 4 has no leader now: move (random 0.99 picks the last candidate)');
  // Nothing available: any partition (the batch waits for a leader rather than failing).
  const p = sticky.partition('t', 6, 10, []);
  assert.ok(p >= 0 && p < 6);
});

test('sticky: over many batches every partition gets some load', () => {
  const sticky = new StickyPartitioner(100);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 5000; i++) counts[sticky.partition('t', 5, 10)] += 1;
  for (const c of counts) assert.ok(c > 0, `every partition used: ${counts.join(',')}`);
});
