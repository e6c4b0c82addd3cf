// Where decompressed batches are written, and where records' bytes live (records own their bytes: decode.ts).
//
// Why a reused area: a Java producer's batch is about 16 KiB, so 500,000 records of 1 KiB come in ~33,000 compressed
// batches. zstd frames from a streaming compressor do not declare their size, so each batch was once decompressed into
// a 64 KiB guess of its own (four times the bytes needed, an allocation rate that drove V8's external-memory heuristics
// into frequent full collections), then into regions of shared 1 MiB slabs: fresh memory the codec wrote through
// cache misses and page faults, promoted while its records were read and freed only by a full collection. Now the
// JS snappy decoder (snappy.ts) and zstd (zstd.ts, through one reused node:zlib context) write into one reused 256 KiB
// area, hot in the cache, and claimOutput() copies exactly what was produced into memory of the batch's own
// (ownedCopy: small outputs from Node's 8 KiB pool, larger ones an ArrayBuffer that dies young with the batch's
// records). Measured against the slabs (bench/README.md, "Owned record bytes"): 1 KiB zstd -12 to -14 % CPU per record
// in process. lz4 knows its output size before it decodes and keeps exact-size buffers. Outputs larger than the area
// get a buffer of their own. A record holds its batch's bytes, nothing larger.

import { Buffer } from 'node:buffer';

/** Bytes of the reused output area. */
export const SCRATCH_BYTES = 256 * 1024;

let scratch: Buffer | null = null;

/**
 * Space to decompress into when the output size is not known in advance (zstd frames of a streaming compressor
 * declare none): at least `min` bytes, at most `max`. The space is reused by the next call: claimOutput() makes the
 * output the caller's.
 */
export function outputSpace(min: number, max: number): Buffer {
  if (min > SCRATCH_BYTES) return Buffer.allocUnsafe(Math.min(min, max));
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  return scratch.subarray(0, Math.min(SCRATCH_BYTES, max));
}

/**
 * The first `bytes` of `space` (from outputSpace, or a buffer the caller grew out of it), now the caller's: copied
 * out of the reused area into memory of its own.
 */
export function claimOutput(space: Buffer, bytes: number): Buffer {
  if (scratch !== null && space.buffer === scratch.buffer) return ownedCopy(space, 0, bytes);
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
