// Compression codecs, by Kafka's attribute id (bits 0-2 of a batch's attributes): 0 none, 1 gzip, 2 snappy,
// 3 lz4, 4 zstd (KIP-110). 5-7 are unassigned.
//
// Everything here is synchronous: the consumer decodes in its fetch loop and a batch is at most a few MiB, so a
// call that blocks for the duration of one decompression (microseconds to a few ms) costs less than the promise and
// thread-pool hop of an async API (figures in DESIGN.md "Records").
//
// Every decoder bounds its output by `maxBytes` *before* allocating it, so a hostile frame that claims (or expands
// to) gigabytes fails with a CorruptRecordError instead of exhausting memory. Errors thrown here carry no location;
// the batch decoder rethrows them with topic, partition and offsets.

import { Buffer, kMaxLength } from 'node:buffer';
import { createRequire } from 'node:module';
import { CorruptRecordError, UnsupportedError } from '../../errors.js';
import { decompressedTooLarge, lz4CompressFrameJs, lz4DecompressFrame } from './lz4.js';
import { zlib, zstdCompress, zstdDecompress, zstdImplementation } from './zstd.js';
import { isXerial, snappyCompressJs, snappyDecompressJs, snappyPreamble, XERIAL_HEADER_LENGTH, XERIAL_MAGIC } from './snappy.js';

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Kafka's attribute ids, index = id. */
export const COMPRESSION_TYPES: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function compressionId(type: CompressionType): number {
  const id = COMPRESSION_TYPES.indexOf(type);
  if (id < 0) throw new UnsupportedError(`unknown compression type ${JSON.stringify(type)}`);
  return id;
}

// ---- optional native modules, each loaded on first use ----
//
// Every codec decodes without native code (node:zlib's gzip and zstd, the JS snappy and lz4 decoders, JS CRC32C),
// so an install with --omit=optional, or on a platform with no prebuilt binary, reads every batch. The native
// packages are optionalDependencies, kept only because they are measurably faster (figures in bench/README.md, "Codecs
// without native packages"):
// - snappy: decodes 2.5x faster than snappy.ts (16 KiB batch: 21 vs 53 us), and encodes faster;
// - lz4-napi: encodes faster than lz4.ts for the producer (lz4.ts always decodes: see there why);
// - @node-rs/crc32: see crc32c.ts.
// None of them runs an install script (prebuilt binaries in per-platform packages).

const require = createRequire(import.meta.url);

interface SnappyModule {
  compressSync(input: Uint8Array, options?: { copyOutputData?: boolean }): Buffer;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean; copyOutputData?: boolean }): Buffer | string;
}

// `copyOutputData: true` makes the snappy binding copy its output into an ordinary V8 buffer instead of handing
// over native memory as an "external" Buffer: external buffers are 5x slower here (measured on a 16 KiB batch:
// 60 us vs 12.5 us per decompression), because each carries a finalizer and drives V8's external-memory GC.
const SNAPPY_COPY = { asBuffer: true, copyOutputData: true } as const;
interface Lz4Module {
  compressFrameSync(data: Buffer): Buffer;
}

const NOT_LOADED = Symbol('not loaded');
const cache = new Map<string, unknown>();

/** GREGOR_DISABLE_NATIVE=snappy,lz4-napi makes the named packages count as absent (tests, benchmarks). */
function disabled(name: string): boolean {
  return process.env.GREGOR_DISABLE_NATIVE?.split(',').includes(name) === true;
}

function optional<T>(name: string): T | undefined {
  let mod: unknown = cache.has(name) ? cache.get(name) : NOT_LOADED;
  if (mod === NOT_LOADED) {
    try {
      mod = disabled(name) ? undefined : require(name);
    } catch {
      mod = undefined;
    }
    cache.set(name, mod);
  }
  return mod as T | undefined;
}

/** Which implementation each codec uses in this process (diagnostics, benchmark output). */
export function codecImplementations(): Record<Exclude<CompressionType, 'none'>, { decode: string; encode: string }> {
  const snappy = optional<SnappyModule>('snappy') !== undefined;
  return {
    gzip: { decode: 'node:zlib', encode: 'node:zlib' },
    snappy: {
      decode: snappy ? 'snappy (native)' : 'gregor snappy decoder (JS)',
      encode: snappy ? 'snappy (native), xerial framing' : 'gregor snappy encoder (JS), xerial framing',
    },
    lz4: {
      decode: 'gregor lz4 frame decoder (JS)',
      encode: optional<Lz4Module>('lz4-napi') ? 'lz4-napi (native) frame' : 'gregor lz4 frame encoder (JS)',
    },
    zstd: { decode: zstdImplementation, encode: zstdImplementation },
  };
}

function corrupt(codec: string, cause: unknown): CorruptRecordError {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new CorruptRecordError(`${codec}: cannot decompress: ${msg}`, {}, { cause });
}

// ---- decoding ----

export interface DecompressOptions {
  /** Output larger than this fails with CorruptRecordError. */
  maxBytes: number;
  /** Legacy magic 0 lz4 frames carry a wrong header checksum (KAFKA-3160): accept it. */
  legacyLz4HeaderChecksum?: boolean;
}

/**
 * Decompresses `data` compressed with codec `id` (1-4). Synchronous. Throws CorruptRecordError for bad or
 * oversized input, UnsupportedError for an unknown id or a codec whose package is missing.
 */
export function decompress(id: number, data: Uint8Array, opts: DecompressOptions): Buffer {
  switch (id) {
    case 1:
      return gunzip(data, opts.maxBytes);
    case 2:
      return snappyDecompress(data, opts.maxBytes);
    case 3:
      return lz4DecompressFrame(data, {
        maxBytes: opts.maxBytes,
        ignoreHeaderChecksum: opts.legacyLz4HeaderChecksum === true,
      });
    case 4:
      return zstdDecompress(data, opts.maxBytes);
    default:
      throw new CorruptRecordError(`unknown compression codec id ${id}`);
  }
}

function isTooLarge(e: unknown): boolean {
  return (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

/** node:zlib's maxOutputLength must lie in [1, kMaxLength]. */
function zlibLimit(maxBytes: number): number {
  return Math.max(1, Math.min(maxBytes, kMaxLength));
}

function gunzip(data: Uint8Array, maxBytes: number): Buffer {
  let out: Buffer;
  try {
    out = zlib().gunzipSync(data, { maxOutputLength: zlibLimit(maxBytes) });
  } catch (e) {
    if (isTooLarge(e)) throw decompressedTooLarge(maxBytes);
    throw corrupt('gzip', e);
  }
  if (out.length > maxBytes) throw decompressedTooLarge(maxBytes);
  return out;
}

function snappyNativeBlock(snappy: SnappyModule, block: Uint8Array, remaining: number, maxBytes: number): Buffer {
  const [declared] = snappyPreamble(block, 0, block.length);
  if (declared > remaining) throw decompressedTooLarge(maxBytes);
  let out: Buffer;
  try {
    out = snappy.uncompressSync(block, SNAPPY_COPY) as Buffer;
  } catch (e) {
    throw corrupt('snappy', e);
  }
  if (out.length !== declared) throw new CorruptRecordError('snappy: block length does not match its preamble');
  return out;
}

function snappyDecompress(data: Uint8Array, maxBytes: number): Buffer {
  const snappy = optional<SnappyModule>('snappy');
  if (snappy === undefined) return snappyDecompressJs(data, maxBytes);
  if (!isXerial(data)) return snappyNativeBlock(snappy, data, maxBytes, maxBytes);
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const blocks: Buffer[] = [];
  let total = 0;
  let p = XERIAL_HEADER_LENGTH;
  while (p < data.length) {
    if (p + 4 > data.length) throw new CorruptRecordError('snappy: xerial block length is truncated');
    const len = view.readInt32BE(p);
    p += 4;
    if (len < 0 || p + len > data.length) throw new CorruptRecordError('snappy: xerial block runs past the data');
    const block = snappyNativeBlock(snappy, view.subarray(p, p + len), maxBytes - total, maxBytes);
    blocks.push(block);
    total += block.length;
    p += len;
  }
  return blocks.length === 1 ? blocks[0] : Buffer.concat(blocks, total);
}

// ---- encoding (the minimal producer and tests) ----

/** Compresses `data` with codec `id` (0-4) in the format Kafka's Java client reads. */
export function compress(id: number, data: Buffer): Buffer {
  switch (id) {
    case 0:
      return data;
    case 1:
      return zlib().gzipSync(data);
    case 2:
      return snappyCompressXerial(data);
    case 3: {
      const lz4 = optional<Lz4Module>('lz4-napi');
      // lz4_flex's defaults match the Java client's frames: version 01, independent 64 KiB blocks, no checksums; so
      // does lz4.ts's encoder, used when the native package is absent.
      return lz4 === undefined ? lz4CompressFrameJs(data) : lz4.compressFrameSync(data);
    }
    case 4:
      return zstdCompress(data);
    default:
      throw new UnsupportedError(`unknown compression codec id ${id}`);
  }
}

// snappy-java's default block size; the Java reader accepts any.
const XERIAL_BLOCK_SIZE = 32 * 1024;

/** One raw snappy block: the native package when installed (faster), else snappy.ts's encoder. */
function snappyBlockCompress(data: Buffer): Buffer {
  const snappy = optional<SnappyModule>('snappy');
  return snappy === undefined ? snappyCompressJs(data) : snappy.compressSync(data, SNAPPY_COPY);
}

function snappyCompressXerial(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_LENGTH);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  parts.push(header);
  let total = XERIAL_HEADER_LENGTH;
  for (let p = 0; p < data.length; p += XERIAL_BLOCK_SIZE) {
    const block = snappyBlockCompress(data.subarray(p, Math.min(data.length, p + XERIAL_BLOCK_SIZE)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** Raw (unframed) snappy, as some non-Java clients write it; the decoder accepts both. */
export function snappyCompressRaw(data: Buffer): Buffer {
  return snappyBlockCompress(data);
}
