// The commit metadata of run(): which offsets beyond the committed one are already completed.
//
// Kafka commits one offset per partition: "everything before this is done". Under concurrent processing the
// committed offset is the first offset NOT completed, and records after it may be done already; without more
// information a restart (or the next owner after a rebalance) handles them again. OffsetCommit carries a free-form
// metadata string per partition, stored with the offset and returned by OffsetFetch, so the completions beyond the
// gap go there.
//
// Format (version 1):  "g1:" + base64url(varints)
//   The completed offsets are a list of ranges [start, end] (inclusive, ascending, disjoint, start >= committed).
//   Varints (unsigned LEB128, values up to 2^53) in pairs, each relative to the one before:
//     first pair:  start0 - committed,       end0 - start0
//     next pairs:  start(i) - end(i-1) - 2,   end(i) - start(i)
//   (consecutive ranges are separated by at least one offset that is not completed, hence the -2).
// A range may cover offsets that do not exist (compacted away, transaction markers): they are never delivered, so
// calling them completed costs nothing and keeps the list short.
//
// Anything else in the metadata (another client's text, an empty string, a future version) decodes to "no
// completions": the records are handled again, which is what at-least-once allows.
//
// The broker rejects metadata longer than offset.metadata.max.bytes (default 4096 characters) with
// OFFSET_METADATA_TOO_LARGE. encodeCompleted() cuts the list to fit and says so: dropped ranges are only handled
// again after a crash, never lost, and the runner pauses the partition until the list fits again.

export const METADATA_PREFIX = 'g1:';

/** Completed offsets as inclusive ranges. */
export interface OffsetRange {
  start: bigint;
  end: bigint;
}

export interface EncodedCompletions {
  metadata: string;
  /** False when ranges had to be left out to stay within the size limit. */
  complete: boolean;
  /** How many ranges were written. */
  ranges: number;
}

function writeVarint(out: number[], value: number): void {
  // Numbers up to 2^53: bit operators would truncate to 32 bits, so divide.
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function varintSize(value: number): number {
  let n = 1;
  let v = value;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function base64Length(bytes: number): number {
  // base64url without padding.
  return Math.floor(bytes / 3) * 4 + [0, 2, 3][bytes % 3];
}

function delta(a: bigint, b: bigint): number {
  const d = a - b;
  if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`commit metadata: offset delta ${d} out of range`);
  return Number(d);
}

/**
 * Encodes `ranges` (ascending, disjoint, separated by at least one offset, all >= committed) relative to
 * `committed`, keeping as many leading ranges as fit in `maxChars` characters. An empty list encodes to ''.
 */
export function encodeCompleted(committed: bigint, ranges: readonly OffsetRange[], maxChars: number): EncodedCompletions {
  if (ranges.length === 0) return { metadata: '', complete: true, ranges: 0 };
  const budget = maxChars - METADATA_PREFIX.length;
  const bytes: number[] = [];
  let written = 0;
  let prevEnd = -1n;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    const first = i === 0 ? delta(r.start, committed) : delta(r.start, prevEnd + 2n);
    const length = delta(r.end, r.start);
    if (base64Length(bytes.length + varintSize(first) + varintSize(length)) > budget) break;
    writeVarint(bytes, first);
    writeVarint(bytes, length);
    prevEnd = r.end;
    written++;
  }
  if (written === 0) return { metadata: '', complete: false, ranges: 0 };
  return {
    metadata: METADATA_PREFIX + Buffer.from(bytes).toString('base64url'),
    complete: written === ranges.length,
    ranges: written,
  };
}

/**
 * The completed ranges recorded in `metadata` for a partition committed at `committed`; [] for metadata that is
 * not ours (null, empty, another format) or malformed (the records are then handled again: at least once).
 */
export function decodeCompleted(committed: bigint, metadata: string | null): OffsetRange[] {
  if (metadata === null || !metadata.startsWith(METADATA_PREFIX)) return [];
  const body = metadata.slice(METADATA_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return [];
  const bytes = Buffer.from(body, 'base64url');
  const values: number[] = [];
  let v = 0;
  let scale = 1;
  for (const b of bytes) {
    v += (b & 0x7f) * scale;
    if (!Number.isSafeInteger(v)) return [];
    if (b & 0x80) {
      scale *= 0x80;
      continue;
    }
    values.push(v);
    v = 0;
    scale = 1;
  }
  if (scale !== 1 || values.length % 2 !== 0) return [];
  const out: OffsetRange[] = [];
  let prevEnd = -1n;
  for (let i = 0; i < values.length; i += 2) {
    const start = i === 0 ? committed + BigInt(values[i]) : prevEnd + 2n + BigInt(values[i]);
    const end = start + BigInt(values[i + 1]);
    out.push({ start, end });
    prevEnd = end;
  }
  return out;
}
