// Where decompressed batches live: consecutive regions of shared 1 MiB slabs, not one buffer per batch.
//
// Why: a Java producer's batch is about 16 KiB, so 500,000 records of 1 KiB come in ~33,000 compressed batches.
// zstd frames from a streaming compressor do not declare their size, so each batch was decompressed into a 64 KiB
// guess of its own: one ArrayBuffer per batch (a backing store outside V8's heap and a finaliser the collector must
// run), four times the bytes needed, and an allocation rate that drives V8's external-memory heuristics into frequent
// full collections. Decompressing into the free space of a slab and claiming only what was produced makes that one
// ArrayBuffer per ~60 batches (1 KiB zstd workload: -15 to -20 % CPU per record end to end). lz4 knows its output
// size before it decodes and keeps exact-size buffers: putting them in slabs was measured and changed nothing.
// The JS snappy decoder (snappy.ts) and zstd (zstd.ts, through one reused node:zlib context) decompress into slabs.
//
// Records are views into their batch's output, so a region is never handed out twice: the slab only moves forward,
// and a full slab is left to the collector, which frees it once no view into it remains. The cost is the usual one of
// zero-copy decoding, a little larger: an application that holds one record keeps its slab (1 MiB) alive, as holding
// a record of an uncompressed batch keeps its whole Fetch response alive. Outputs larger than a quarter of a slab get
// a buffer of their own, so a big batch never strands most of a slab.

import { Buffer } from 'node:buffer';

/** Bytes per slab. */
export const SLAB_BYTES = 1 << 20;
/** Larger outputs get a buffer of their own. */
const MAX_IN_SLAB = SLAB_BYTES / 4;

let slab: Buffer = Buffer.alloc(0);
let used = 0;

function align(n: number): number {
  return (n + 7) & ~7;
}

/**
 * Space to decompress into when the output size is not known in advance (zstd frames of a streaming compressor
 * declare none): at least `min` bytes, at most `max`. Nothing is claimed until `claimOutput`; until then the space may
 * be handed out again.
 */
export function outputSpace(min: number, max: number): Buffer {
  if (min > MAX_IN_SLAB) return Buffer.allocUnsafe(Math.min(min, max));
  if (slab.length - used < min) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    used = 0;
  }
  return slab.subarray(used, Math.min(slab.length, used + max));
}

/**
 * The first `bytes` of `space` (from outputSpace, or a buffer the caller grew out of it), now the caller's. When it
 * is the slab's free space, the slab moves past it.
 */
export function claimOutput(space: Buffer, bytes: number): Buffer {
  if (space.buffer === slab.buffer && space.byteOffset === slab.byteOffset + used && bytes <= slab.length - used) {
    const start = used;
    used = align(start + bytes);
    return slab.subarray(start, start + bytes);
  }
  return space.subarray(0, bytes);
}

/**
 * `buf[start, end)` copied into memory of its own. Buffer.allocUnsafe() takes small batches from Node's 8 KiB pool and
 * gives larger ones an ArrayBuffer each: memory that dies young with the batch's records.
 */
export function ownedCopy(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}
