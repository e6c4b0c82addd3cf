// Snappy in pure JS, so that a consumer reads snappy batches, and the producer writes them, with no native package
// installed (the native `snappy`, an optional dependency, is preferred when present: compression.ts).
//
// Two framings occur in Kafka:
// - snappy-java's "xerial" stream, which Kafka's Java producer writes: an 8-byte magic, int32 version, int32
//   minimum compatible version, then blocks of [int32 BE compressed length, raw snappy block]. It is not the snappy
//   "framing format" (no CRCs, no chunk types).
// - a raw snappy block, as some non-Java clients write it.
// A raw block (https://github.com/google/snappy/blob/main/format_description.txt) is a varint preamble (the
// uncompressed length) followed by elements: literals (tag 00) and copies with 1-, 2- or 4-byte offsets (01, 10, 11).
//
// Bounded like the lz4 and zstd decoders: every block's preamble is read, and the total checked against the caller's
// limit, before anything is allocated; a block that decodes to more or less than its preamble says, a copy that
// reaches before the block's start, or input that ends inside an element is a CorruptRecordError.

import { Buffer } from 'node:buffer';
import { CorruptRecordError } from '../../errors.js';
import { decompressedTooLarge } from './lz4.js';
import { claimOutput, outputSpace } from './output-slab.js';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_LENGTH = 16;

function bad(message: string): CorruptRecordError {
  return new CorruptRecordError(`snappy: ${message}`);
}

export function isXerial(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_LENGTH) return false;
  for (let i = 0; i < 8; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/**
 * The uncompressed length a raw block `b[start, end)` declares, and where its elements start:
 * `[length, elementsStart]`. A varint of at most 5 bytes holding a uint32, as snappy's own decoder requires.
 */
export function snappyPreamble(b: Uint8Array, start: number, end: number): [number, number] {
  let result = 0;
  for (let shift = 0, i = start; shift <= 28 && i < end; shift += 7, i++) {
    const byte = b[i];
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      if (result > 0xffffffff) break;
      return [result, i + 1];
    }
  }
  throw bad('malformed block length');
}

/**
 * Decodes the elements of one raw block, `src[ip, end)`, into `out[base, base + length)`; `length` is the block's
 * preamble. Copies may only reach back to `base` (each block is independent).
 */
function decodeElements(src: Uint8Array, ip: number, end: number, out: Uint8Array, base: number, length: number): void {
  let op = base;
  const limit = base + length;
  while (ip < end) {
    const tag = src[ip++];
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        // 60..63: the literal's length - 1 follows in 1..4 little-endian bytes.
        const n = len - 59;
        if (ip + n > end) throw bad('block ends inside a literal length');
        len = 0;
        for (let k = n - 1; k >= 0; k--) len = len * 256 + src[ip + k];
        ip += n;
      }
      len += 1;
      if (len > end - ip) throw bad('literal runs past the block end');
      if (len > limit - op) throw bad('block decompresses to more than its preamble says');
      if (len < 32) {
        for (let k = 0; k < len; k++) out[op + k] = src[ip + k];
      } else {
        out.set(src.subarray(ip, ip + len), op);
      }
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (ip >= end) throw bad('block ends inside a copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip];
      ip += 1;
    } else if (type === 2) {
      if (ip + 2 > end) throw bad('block ends inside a copy');
      len = (tag >>> 2) + 1;
      offset = src[ip] | (src[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > end) throw bad('block ends inside a copy');
      len = (tag >>> 2) + 1;
      offset = (src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16) | (src[ip + 3] << 24)) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op - base) throw bad('copy offset points before the block start');
    if (len > limit - op) throw bad('block decompresses to more than its preamble says');
    let from = op - offset;
    if (offset >= len && len >= 32) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping copy (offset < length repeats a pattern): byte by byte, front to back.
      const stop = op + len;
      while (op < stop) out[op++] = out[from++];
    }
  }
  if (op !== limit) throw bad('block decompresses to less than its preamble says');
}

/**
 * Decompresses snappy data in either framing (xerial stream or one raw block) into a new buffer. Throws
 * CorruptRecordError for malformed input or when the output would exceed `maxBytes`.
 */
export function snappyDecompressJs(data: Uint8Array, maxBytes: number): Buffer {
  const src = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (!isXerial(src)) {
    const [length, start] = snappyPreamble(src, 0, src.length);
    if (length > maxBytes) throw decompressedTooLarge(maxBytes);
    const out = outputSpace(length, length);
    decodeElements(src, start, src.length, out, 0, length);
    return claimOutput(out, length);
  }
  // Pass 1: block lengths and preambles, to bound and size the output before allocating it.
  const view = Buffer.from(src.buffer, src.byteOffset, src.length);
  let total = 0;
  let p = XERIAL_HEADER_LENGTH;
  while (p < src.length) {
    if (p + 4 > src.length) throw bad('xerial block length is truncated');
    const len = view.readInt32BE(p);
    p += 4;
    if (len < 0 || len > src.length - p) throw bad('xerial block runs past the data');
    total += snappyPreamble(src, p, p + len)[0];
    if (total > maxBytes) throw decompressedTooLarge(maxBytes);
    p += len;
  }
  // Pass 2: every block into its place in one output.
  const out = outputSpace(total, total);
  let op = 0;
  p = XERIAL_HEADER_LENGTH;
  while (p < src.length) {
    const len = view.readInt32BE(p);
    p += 4;
    const [length, start] = snappyPreamble(src, p, p + len);
    decodeElements(src, start, p + len, out, op, length);
    op += length;
    p += len;
  }
  return claimOutput(out, total);
}

// ---- encoding: the producer's snappy when the native package is absent ----

// 2^14 hash slots of 4-byte sequences, as snappy's reference compressor; positions are absolute and checked against
// the block's bounds and bytes before use, so the table is never cleared between blocks.
const HASH_BITS = 14;
let hashTable: Int32Array | undefined;

function readU32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

function emitLiteral(src: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const n = to - from;
  if (n === 0) return op;
  const m = n - 1;
  if (m < 60) {
    out[op++] = m << 2;
  } else {
    const bytes = m < 0x100 ? 1 : m < 0x10000 ? 2 : m < 0x1000000 ? 3 : 4;
    out[op++] = (59 + bytes) << 2;
    for (let k = 0, v = m; k < bytes; k++, v = Math.floor(v / 256)) out[op++] = v & 0xff;
  }
  out.set(src.subarray(from, to), op);
  return op + n;
}

/** Copies of `len` bytes at `offset` (<= 65535): 2-byte-offset copies of at most 64, a 1-byte-offset one when it fits. */
function emitCopy(out: Uint8Array, op: number, offset: number, len: number): number {
  while (len >= 68) {
    out[op++] = (63 << 2) | 2;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[op++] = (59 << 2) | 2;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[op++] = ((offset >>> 8) << 5) | ((len - 4) << 2) | 1;
    out[op++] = offset & 0xff;
  } else {
    out[op++] = ((len - 1) << 2) | 2;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

/** Compresses `src` into one raw snappy block (greedy matching of 4-byte sequences within a 64 KiB window). */
export function snappyCompressJs(src: Uint8Array): Buffer {
  const n = src.length;
  // snappy's MaxCompressedLength: the preamble, every byte as a literal, and literal tags.
  const out = Buffer.allocUnsafe(32 + n + Math.floor(n / 6));
  let op = 0;
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) { out[op++] = v; break; }
    out[op++] = (v & 0x7f) | 0x80;
  }
  const table = (hashTable ??= new Int32Array(1 << HASH_BITS));
  let lit = 0;
  let i = 0;
  let skip = 32;
  const limit = n - 4;
  while (i <= limit) {
    const v = readU32(src, i);
    const h = Math.imul(v, 0x1e35a7bd) >>> (32 - HASH_BITS);
    const cand = table[h];
    table[h] = i;
    if (cand >= 0 && cand < i && i - cand <= 0xffff && readU32(src, cand) === v) {
      let len = 4;
      while (i + len < n && src[cand + len] === src[i + len]) len++;
      op = emitLiteral(src, lit, i, out, op);
      op = emitCopy(out, op, i - cand, len);
      i += len;
      lit = i;
      skip = 32;
    } else {
      // Incompressible stretches are skipped through faster and faster, as snappy does.
      i += skip++ >>> 5;
    }
  }
  op = emitLiteral(src, lit, n, out, op);
  return out.subarray(0, op);
}
