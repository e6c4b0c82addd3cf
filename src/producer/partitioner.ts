// Choosing a partition for a record, compatible with the Java client's default so that a key written by gregor and
// the same key written by a Java producer land in the same partition (and so stay in order for their consumers).
//
// Keyed records: murmur2 of the key bytes (MurmurHash2, 32-bit, seed 0x9747b28c, Kafka's variant), the sign bit
// masked off (not Math.abs: abs(-2^31) is still negative), modulo the topic's partition count. Every partition counts,
// available or not, exactly as in Java: a key's partition must not depend on which leaders are up.
//
// Keyless records: sticky partitioning (KIP-480, refined by KIP-794): all keyless records of a topic go to one
// partition until about batch.size bytes were sent there, then another partition is picked at random among those
// with a leader. Batches fill up instead of being spread one record per partition, which is what made round-robin
// slow; over time the load evens out. (Java 3.3+ weighs the choice by queue sizes; gregor picks uniformly.)

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 of `data`, as the signed 32-bit integer the Java client's Utils.murmur2 returns.
 * MurmurHash2 by Austin Appleby: 4-byte little-endian blocks mixed with the constant 0x5bd1e995 and shift 24; the
 * 1-3 trailing bytes mixed in last; a final avalanche with shifts 13 and 15. Arithmetic is mod 2^32 (Math.imul).
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length - (length % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The 1-3 trailing bytes, highest first (the reference implementation's fall-through switch).
  const rest = length % 4;
  if (rest === 3) h ^= data[blocks + 2] << 16;
  if (rest >= 2) h ^= data[blocks + 1] << 8;
  if (rest >= 1) {
    h ^= data[blocks];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Clears the sign bit, as Java's Utils.toPositive: a non-negative int for any input (unlike Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition of a keyed record: Java's BuiltInPartitioner.partitionForKey. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new RangeError(`partitionForKey: the partition count must be a positive integer, got ${String(numPartitions)}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}

/** Sticky choice of partition for keyless records (KIP-480 / KIP-794), one sticky partition per topic. */
export class StickyPartitioner {
  private readonly batchSize: number;
  private readonly random: () => number;
  private readonly sticky = new Map<string, { partition: number; bytes: number }>();

  /** `batchSize`: bytes written to a partition before moving on (batch.size). `random` is replaceable for tests. */
  constructor(batchSize: number, random: () => number = Math.random) {
    this.batchSize = Math.max(1, batchSize);
    this.random = random;
  }

  /**
   * The partition for a keyless record of `size` bytes. `available` lists partitions with a leader (all of them when
   * empty or undefined). The sticky partition is kept while it is available and has taken fewer than batch.size bytes.
   */
  partition(topic: string, numPartitions: number, size: number, available?: readonly number[]): number {
    let s = this.sticky.get(topic);
    const usable = (p: number): boolean => p < numPartitions && (available === undefined || available.length === 0 || available.includes(p));
    if (s === undefined || s.bytes >= this.batchSize || !usable(s.partition)) {
      s = { partition: this.next(numPartitions, available, s?.partition), bytes: 0 };
      this.sticky.set(topic, s);
    }
    s.bytes += size;
    return s.partition;
  }

  private next(numPartitions: number, available: readonly number[] | undefined, previous: number | undefined): number {
    let candidates = available !== undefined && available.length > 0 ? available.filter((p) => p < numPartitions) : [];
    if (candidates.length === 0) candidates = Array.from({ length: numPartitions }, (_, i) => i);
    // Moving on means another partition when there is one: the point is to spread the load.
    if (candidates.length > 1 && previous !== undefined) candidates = candidates.filter((p) => p !== previous);
    return candidates[Math.floor(this.random() * candidates.length) % candidates.length];
  }
}
