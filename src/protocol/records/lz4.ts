// LZ4 frame decoding, in pure JS.
//
// Kafka compresses with the LZ4 *frame* format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md):
// magic 0x184D2204, a frame descriptor (FLG, BD, optional content size and dictionary id, HC checksum byte), then
// blocks (int32 LE size, high bit = stored uncompressed), an EndMark (size 0) and an optional content checksum.
// The Java producer writes version 01, independent blocks, 64 KiB maximum block size, no checksums.
//
// Why not the native `lz4-napi` for decoding (it is used for encoding):
// - its frame decoder accepts a frame with no EndMark (a truncated batch would decode "successfully");
// - it always checks the HC byte, which Kafka clients before 0.10 computed wrongly (KAFKA-3160): magic 0 message
//   sets compressed with lz4 carry a bad HC that must be tolerated, as the Java client does;
// - it cannot be told an output limit; here the output is bounded by the block count times the declared maximum
//   block size, and by the caller's limit, before anything is allocated.
// Block decoding in JS is fast enough for this role (figures in DESIGN.md "Records").

import { Buffer } from 'node:buffer';
import { CorruptRecordError } from '../../errors.js';

const LZ4_MAGIC = 0x184d2204;
// BD bits 6-4: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB.
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 65536, 262144, 1048576, 4194304];

const P1 = 2654435761 | 0;
const P2 = 2246822519 | 0;
const P3 = 3266489917 | 0;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function readU32LE(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** xxHash32 of `b[start, end)` with seed `seed`, unsigned: LZ4 frame header, block and content checksums. */
export function xxh32(b: Uint8Array, start: number, end: number, seed = 0): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (i <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(readU32LE(b, i), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(readU32LE(b, i + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(readU32LE(b, i + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(readU32LE(b, i + 12), P2)) | 0, 13), P1);
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  while (i + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(readU32LE(b, i), P3)) | 0, 17), P4);
    i += 4;
  }
  while (i < end) {
    h = Math.imul(rotl((h + Math.imul(b[i], P5)) | 0, 11), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

export function decompressedTooLarge(maxBytes: number): CorruptRecordError {
  return new CorruptRecordError(
    `decompressed batch exceeds the limit of ${maxBytes} bytes (maxDecompressedBytes): corrupt or hostile data, ` +
      'or raise the limit',
  );
}

/** Thrown inside this module; the caller turns it into a CorruptRecordError with topic/partition/offsets. */
function bad(message: string): CorruptRecordError {
  return new CorruptRecordError(`lz4: ${message}`);
}

/**
 * Decodes one LZ4 block `src[ip, ipEnd)` into `out` at `op`, never writing at or past `opLimit`.
 * `windowStart` is the lowest output position a match may reference (the block start for independent blocks).
 * `srcView` and `outView` are DataViews of `src` and `out`. Returns the new output position, or -1 when the output
 * would pass `opLimit`.
 *
 * Short literals and matches (a few bytes to a few dozen, most of them on JSON-like data) are copied 4 bytes at a
 * time through the DataViews: a call to set() or copyWithin() costs more than the copy itself at these lengths, and
 * byte-by-byte loops cost one bounds-checked load and store per byte. A match whose offset is below 4 overlaps the
 * bytes it is writing (a repeated pattern) and goes byte by byte, front to back.
 */
function decodeBlock(
  src: Uint8Array,
  srcView: DataView,
  ip: number,
  ipEnd: number,
  out: Uint8Array,
  outView: DataView,
  op: number,
  opLimit: number,
  windowStart: number,
): number {
  while (true) {
    if (ip >= ipEnd) throw bad('block ends inside a sequence');
    const token = src[ip++];
    let litLen = token >>> 4;
    if (litLen !== 0) {
      if (litLen === 15) {
        let b: number;
        do {
          if (ip >= ipEnd) throw bad('block ends inside a literal length');
          b = src[ip++];
          litLen += b;
        } while (b === 255);
      }
      if (ip + litLen > ipEnd) throw bad('literals run past the block end');
      if (op + litLen > opLimit) return -1;
      if (litLen < 64) {
        const litEnd = ip + litLen;
        while (ip + 4 <= litEnd) {
          outView.setUint32(op, srcView.getUint32(ip));
          ip += 4;
          op += 4;
        }
        while (ip < litEnd) out[op++] = src[ip++];
      } else {
        out.set(src.subarray(ip, ip + litLen), op);
        ip += litLen;
        op += litLen;
      }
    }
    // The last sequence of a block holds literals only.
    if (ip === ipEnd) return op;
    if (ip + 2 > ipEnd) throw bad('block ends inside a match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    let from = op - offset;
    if (offset === 0 || from < windowStart) throw bad('match offset points before the window');
    let matchLen = (token & 15) + 4;
    if (matchLen === 19) {
      let b: number;
      do {
        if (ip >= ipEnd) throw bad('block ends inside a match length');
        b = src[ip++];
        matchLen += b;
      } while (b === 255);
    }
    const matchEnd = op + matchLen;
    if (matchEnd > opLimit) return -1;
    if (matchLen >= 64 && offset >= matchLen) {
      out.copyWithin(op, from, from + matchLen);
      op = matchEnd;
      continue;
    }
    if (offset >= 4) {
      // Each 4-byte read lies wholly before the write position: it only reads bytes already written.
      while (op + 4 <= matchEnd) {
        outView.setUint32(op, outView.getUint32(from));
        op += 4;
        from += 4;
      }
    }
    while (op < matchEnd) out[op++] = out[from++];
  }
}

export interface Lz4DecodeOptions {
  /** Output larger than this raises a CorruptRecordError naming the limit. */
  maxBytes: number;
  /** Skip the frame-descriptor checksum: legacy magic 0 messages carry a wrong one (KAFKA-3160). */
  ignoreHeaderChecksum?: boolean;
}

/**
 * Decodes one or more concatenated LZ4 frames. Throws CorruptRecordError for malformed input or when the output
 * would exceed `maxBytes`.
 */
export function lz4DecompressFrame(src: Uint8Array, opts: Lz4DecodeOptions): Buffer {
  // Pass 1: walk frame and block headers to validate the structure and bound the output size, allocating nothing.
  let bound = 0;
  let ip = 0;
  let frames = 0;
  let blocks = 0;
  let lastWord = 0;
  let lastFrame: FrameHeader | undefined;
  while (ip < src.length) {
    const f = parseFrameHeader(src, ip, opts.ignoreHeaderChecksum === true);
    lastFrame = f;
    frames++;
    ip = f.dataStart;
    let frameBound = 0;
    while (true) {
      if (ip + 4 > src.length) throw bad('frame ends without an EndMark');
      const word = readU32LE(src, ip);
      ip += 4;
      if (word === 0) break;
      blocks++;
      lastWord = word;
      const size = word & 0x7fffffff;
      const stored = word >>> 31 === 1;
      if (size > f.blockMax) throw bad(`block of ${size} bytes exceeds the frame's ${f.blockMax}-byte maximum`);
      if (ip + size + (f.blockChecksum ? 4 : 0) > src.length) throw bad('block runs past the end of the data');
      frameBound += stored ? size : f.blockMax;
      ip += size + (f.blockChecksum ? 4 : 0);
    }
    if (f.contentChecksum) ip += 4;
    if (ip > src.length) throw bad('frame ends inside its content checksum');
    if (f.contentSize >= 0) {
      if (f.contentSize > frameBound) throw bad('declared content size exceeds what the blocks can hold');
      frameBound = f.contentSize;
    }
    bound += frameBound;
  }
  if (src.length === 0) throw bad('empty input');
  if (frames === 1 && blocks === 1 && lastWord >>> 31 === 1) {
    return storedBlockView(src, lastFrame!, lastWord & 0x7fffffff, opts.maxBytes);
  }

  const limit = Math.min(bound, opts.maxBytes);
  // Decode into a reused scratch area, then copy out exactly the bytes produced: the bound is often 4x the real
  // size (one 64 KiB block holding a 16 KiB batch), and the result's records keep their buffer alive. (Decoding
  // into the shared output slab that zstd uses, output-slab.ts, was measured twice: no change in CPU per record end to
  // end, and -2 to +8 % per call on compressible 16 KiB batches, within the noise; so lz4 keeps exact-size buffers,
  // which a held record does not make outlive their batch.) Plain Uint8Arrays rather than Buffers: element access on
  // them is ~20% faster in this loop (measured).
  const out = limit <= SCRATCH_MAX ? scratch(limit) : new Uint8Array(limit);
  const src8 = new Uint8Array(src.buffer, src.byteOffset, src.length);
  const srcView = new DataView(src.buffer, src.byteOffset, src.length);
  const outView = new DataView(out.buffer, out.byteOffset, out.length);
  let op = 0;
  ip = 0;
  // Pass 2: decode.
  while (ip < src8.length) {
    const f = parseFrameHeader(src8, ip, true);
    ip = f.dataStart;
    const frameStart = op;
    while (true) {
      const word = readU32LE(src8, ip);
      ip += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      const blockStart = op;
      if (f.blockChecksum && xxh32(src8, ip, ip + size) !== readU32LE(src8, ip + size)) {
        throw bad('block checksum mismatch');
      }
      if (word >>> 31 === 1) {
        if (op + size > limit) throw tooLarge(opts.maxBytes, bound);
        out.set(src8.subarray(ip, ip + size), op);
        op += size;
      } else {
        op = decodeBlock(src8, srcView, ip, ip + size, out, outView, op, limit, f.independent ? blockStart : frameStart);
        if (op < 0) throw tooLarge(opts.maxBytes, bound);
      }
      ip += size + (f.blockChecksum ? 4 : 0);
    }
    if (f.contentChecksum) {
      if (xxh32(out, frameStart, op) !== readU32LE(src8, ip)) throw bad('content checksum mismatch');
      ip += 4;
    }
    if (f.contentSize >= 0 && op - frameStart !== f.contentSize) throw bad('content size does not match its header');
  }
  if (out === scratchArea) {
    const result = Buffer.allocUnsafe(op);
    result.set(out.subarray(0, op));
    return result;
  }
  return Buffer.from(out.buffer, out.byteOffset, op);
}

/**
 * The output of a frame that is one stored block: the block's bytes themselves, as a view into `src` (checked as the
 * decoding path checks them). A Java producer stores a block whose compressed form would not be smaller (random or
 * already compressed values), so a whole batch often comes this way; a view makes it cost what an uncompressed batch
 * costs (no output buffer, no copy), and its records keep the Fetch response alive as uncompressed records do.
 */
function storedBlockView(src: Uint8Array, f: FrameHeader, size: number, maxBytes: number): Buffer {
  const start = f.dataStart + 4;
  const end = start + size;
  if (size > maxBytes) throw decompressedTooLarge(maxBytes);
  if (f.contentSize >= 0 && f.contentSize !== size) throw bad('content size does not match its header');
  if (f.blockChecksum && xxh32(src, start, end) !== readU32LE(src, end)) throw bad('block checksum mismatch');
  if (f.contentChecksum && xxh32(src, start, end) !== readU32LE(src, end + (f.blockChecksum ? 4 : 0) + 4)) {
    throw bad('content checksum mismatch');
  }
  return Buffer.from(src.buffer, src.byteOffset + start, size);
}

// 4 MiB: the largest LZ4 block size, so any single-block frame (the common case) decodes in scratch.
const SCRATCH_MAX = 4 * 1024 * 1024;
let scratchArea: Uint8Array | undefined;

function scratch(size: number): Uint8Array {
  if (scratchArea === undefined || scratchArea.length < size) {
    scratchArea = new Uint8Array(Math.max(size, 64 * 1024));
  }
  return scratchArea;
}

function tooLarge(maxBytes: number, bound: number): Error {
  // Hitting the caller's limit is a size problem; hitting our own bound means the blocks lied about their size.
  return bound > maxBytes
    ? decompressedTooLarge(maxBytes)
    : bad('a block decompresses to more than the maximum block size');
}

interface FrameHeader {
  dataStart: number;
  blockMax: number;
  independent: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  contentSize: number;
}

function parseFrameHeader(src: Uint8Array, start: number, ignoreChecksum: boolean): FrameHeader {
  if (start + 7 > src.length) throw bad('frame header is truncated');
  if (readU32LE(src, start) !== LZ4_MAGIC) throw bad('bad frame magic');
  const flg = src[start + 4];
  const bd = src[start + 5];
  if (flg >>> 6 !== 1) throw bad(`unsupported frame version ${flg >>> 6}`);
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw bad('reserved frame descriptor bits are set');
  if ((flg & 0x01) !== 0) throw bad('frames with a dictionary id are not supported');
  const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
  if (blockMax === 0) throw bad('invalid block maximum size');
  let p = start + 6;
  let contentSize = -1;
  if ((flg & 0x08) !== 0) {
    if (p + 9 > src.length) throw bad('frame header is truncated');
    const lo = readU32LE(src, p);
    const hi = readU32LE(src, p + 4);
    // Anything beyond 2^53 cannot be held in memory anyway; treat it as corrupt rather than lose precision.
    if (hi > 0x1fffff) throw bad('declared content size is implausibly large');
    contentSize = hi * 0x100000000 + lo;
    p += 8;
  }
  if (!ignoreChecksum) {
    const hc = (xxh32(src, start + 4, p) >>> 8) & 0xff;
    if (hc !== src[p]) throw bad('frame descriptor checksum mismatch');
  }
  p += 1;
  return {
    dataStart: p,
    blockMax,
    independent: (flg & 0x20) !== 0,
    blockChecksum: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    contentSize,
  };
}

// ---- encoding: the producer's lz4 when the native lz4-napi is absent ----
//
// The frame the Java producer writes: version 01, independent blocks of at most 64 KiB, no block or content
// checksum, no content size; a block that does not shrink is stored uncompressed (high bit of its size). Blocks are
// compressed greedily (4-byte sequences hashed into 2^14 slots, a 64 KiB window), respecting the format's end rules:
// the last 5 bytes of a block are literals, and no match starts within its last 12 bytes.

const ENC_BLOCK = 64 * 1024;
const ENC_HASH_BITS = 14;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
let encTable: Int32Array | undefined;
let encScratch: Uint8Array | undefined;

function writeLength(out: Uint8Array, op: number, n: number): number {
  while (n >= 255) {
    out[op++] = 255;
    n -= 255;
  }
  out[op++] = n;
  return op;
}

function emitSequence(src: Uint8Array, lit: number, litEnd: number, out: Uint8Array, op: number, offset: number, matchLen: number): number {
  const litLen = litEnd - lit;
  const ml = matchLen - MIN_MATCH;
  out[op++] = (Math.min(litLen, 15) << 4) | Math.min(ml, 15);
  if (litLen >= 15) op = writeLength(out, op, litLen - 15);
  out.set(src.subarray(lit, litEnd), op);
  op += litLen;
  out[op++] = offset & 0xff;
  out[op++] = offset >>> 8;
  if (ml >= 15) op = writeLength(out, op, ml - 15);
  return op;
}

/** Compresses `src[start, end)` as one independent LZ4 block into `out` at `op`; returns the new output position. */
function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  const table = (encTable ??= new Int32Array(1 << ENC_HASH_BITS));
  let anchor = start;
  let i = start;
  let skip = 64;
  const matchEnd = end - LAST_LITERALS;
  while (i + MF_LIMIT <= end) {
    const v = readU32LE(src, i);
    const h = Math.imul(v, 2654435761) >>> (32 - ENC_HASH_BITS);
    const cand = table[h];
    table[h] = i;
    // Positions are absolute: a candidate from another block or buffer is used only if it lies in this block before
    // i and its bytes match.
    if (cand >= start && cand < i && i - cand <= 0xffff && readU32LE(src, cand) === v) {
      let len = MIN_MATCH;
      while (i + len < matchEnd && src[cand + len] === src[i + len]) len++;
      op = emitSequence(src, anchor, i, out, op, i - cand, len);
      i += len;
      anchor = i;
      skip = 64;
    } else {
      i += skip++ >>> 6;
    }
  }
  const litLen = end - anchor;
  out[op++] = Math.min(litLen, 15) << 4;
  if (litLen >= 15) op = writeLength(out, op, litLen - 15);
  out.set(src.subarray(anchor, end), op);
  return op + litLen;
}

/** `data` as one LZ4 frame in the Java producer's format (see above). */
export function lz4CompressFrameJs(data: Uint8Array): Buffer {
  const blocks = Math.ceil(data.length / ENC_BLOCK);
  // Header 7, per block a size word and at most its bytes (a block that does not shrink is stored), EndMark 4.
  const out = Buffer.allocUnsafe(7 + blocks * 4 + data.length + 4);
  out.writeUInt32LE(LZ4_MAGIC, 0);
  out[4] = 0x60; // FLG: version 01, independent blocks
  out[5] = 0x40; // BD: 64 KiB maximum block size
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff;
  let op = 7;
  // Worst case of a compressed block: its literals plus one length byte per 255 and a token.
  const scratchOut = (encScratch ??= new Uint8Array(ENC_BLOCK + Math.ceil(ENC_BLOCK / 255) + 16));
  for (let p = 0; p < data.length; p += ENC_BLOCK) {
    const end = Math.min(data.length, p + ENC_BLOCK);
    const size = compressBlock(data, p, end, scratchOut, 0);
    if (size < end - p) {
      out.writeUInt32LE(size, op);
      out.set(scratchOut.subarray(0, size), op + 4);
      op += 4 + size;
    } else {
      out.writeUInt32LE((end - p) + 0x80000000, op);
      out.set(data.subarray(p, end), op + 4);
      op += 4 + (end - p);
    }
  }
  out.writeUInt32LE(0, op);
  return out.subarray(0, op + 4);
}
