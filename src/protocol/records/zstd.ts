// zstd decoding through node:zlib (Node >= 22.15), with the frame structure checked here first.
//
// Why the check: Node 22's zstdDecompressSync returns whatever it produced from a truncated frame, without an error
// (Node 24 and 26 raise "unexpected end of file"), returns an empty buffer for empty input, and stops after the first
// of several concatenated frames. A truncated batch must be a CorruptRecordError on every supported Node, so the
// input is walked first (RFC 8878 section 3.1: frame and block headers only, no decoding), must consist of complete
// frames, and each frame is decompressed on its own (Kafka's clients write one frame per batch: the common case is
// one call).
//
// Speed: zstdDecompressSync() builds a Transform stream and a native decompression context per call and closes both
// after it; on a ~16 KiB batch that set-up cost more than the decoding (1 KiB zstd workload, 23 KiB per batch:
// 58-104 us per batch through zstdDecompressSync, 21-28 us through one reused context, Node 22 and 24). So batches are
// decoded through ONE long-lived ZstdDecompress's native handle (`_handle.writeSync`, the call node:zlib's own sync
// path makes, unchanged since Node 0.x and present on 22.15, 24 and 26) into the shared output slabs
// (output-slab.ts). Decoding is synchronous and single-threaded per isolate, so one context per thread is enough. The
// handle's `onerror` is ours: an error is seen synchronously and the context is dropped (a new one is built for the
// next batch), so a corrupt frame never leaves a half-decoded state behind and never reaches the stream's 'error'
// event. Where those internals are missing, zstdDecompressSync() per frame is used as before.

import { Buffer, kMaxLength } from 'node:buffer';
import type * as Zlib from 'node:zlib';
import { CorruptRecordError, UnsupportedError } from '../../errors.js';
import { decompressedTooLarge } from './lz4.js';
import { claimOutput, outputSpace } from './output-slab.js';

type ZlibZstd = {
  zstdDecompressSync(buf: Uint8Array, options?: { maxOutputLength?: number }): Buffer;
  zstdCompressSync(buf: Uint8Array): Buffer;
};

// node:zlib is loaded on the first zstd batch, not at import: a consumer that never sees zstd (or gzip:
// compression.ts) does not pay for it (with node:crypto, also lazy: import 48 -> 42 ms of CPU, -2.3 MiB of RSS;
// commit b7186c3).
let zlibModule: typeof Zlib | undefined;
/** node:zlib, loaded on first use. */
export function zlib(): typeof Zlib {
  return (zlibModule ??= process.getBuiltinModule('node:zlib'));
}

let zstdApi: ZlibZstd | null | undefined;
/** node:zlib when its zstd is there (Node >= 22.15 ships it with libzstd, named in process.versions.zstd). */
function zlibZstd(): ZlibZstd | undefined {
  if (zstdApi === undefined) {
    const z = process.versions.zstd === undefined ? undefined : (zlib() as unknown as Partial<ZlibZstd>);
    zstdApi = z !== undefined && typeof z.zstdDecompressSync === 'function' ? (z as ZlibZstd) : null;
  }
  return zstdApi ?? undefined;
}

/** 'node:zlib', or why zstd is unavailable (a Node older than gregor supports). */
export const zstdImplementation: string = process.versions.zstd !== undefined ? 'node:zlib' : 'unavailable (Node < 22.15)';

function missing(): UnsupportedError {
  return new UnsupportedError(`zstd needs node:zlib's zstd (Node >= 22.15); this is Node ${process.versions.node}`);
}

function bad(message: string): CorruptRecordError {
  return new CorruptRecordError(`zstd: ${message}`);
}

const FRAME_MAGIC = 0xfd2fb528;
const FCS_SIZES = [0, 2, 4, 8];
const DICT_ID_SIZES = [0, 1, 2, 4];

/**
 * Throws unless `data` is one or more complete zstd frames (skippable frames allowed); returns each (non-skippable)
 * frame's [start, end).
 */
export function zstdFrames(data: Uint8Array): Array<[number, number]> {
  const frames: Array<[number, number]> = [];
  if (data.length === 0) throw bad('empty input');
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  let p = 0;
  while (p < data.length) {
    if (p + 4 > data.length) throw bad('truncated frame header');
    const start = p;
    const magic = view.readUInt32LE(p);
    p += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (p + 4 > data.length) throw bad('truncated skippable frame');
      p += 4 + view.readUInt32LE(p);
      if (p > data.length) throw bad('truncated skippable frame');
      continue;
    }
    if (magic !== FRAME_MAGIC) throw bad('bad frame magic');
    if (p >= data.length) throw bad('truncated frame header');
    const fhd = data[p++];
    if ((fhd & 0x08) !== 0) throw bad('reserved frame header bit is set');
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >>> 6;
    const fcsSize = fcsFlag === 0 && singleSegment ? 1 : FCS_SIZES[fcsFlag];
    p += (singleSegment ? 0 : 1) + DICT_ID_SIZES[fhd & 3] + fcsSize;
    let last = false;
    while (!last) {
      if (p + 3 > data.length) throw bad('truncated frame: a block header is missing');
      const header = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16);
      p += 3;
      last = (header & 1) === 1;
      const type = (header >>> 1) & 3;
      if (type === 3) throw bad('reserved block type');
      p += type === 1 ? 1 : header >>> 3;
      if (p > data.length) throw bad('truncated frame: a block runs past the data');
    }
    if ((fhd & 0x04) !== 0) p += 4;
    if (p > data.length) throw bad('truncated frame: the content checksum is missing');
    frames.push([start, p]);
  }
  return frames;
}

/** Decompresses zstd frames into at most `maxBytes`; CorruptRecordError for bad, truncated or oversized input. */
export function zstdDecompress(data: Uint8Array, maxBytes: number): Buffer {
  const z = zlibZstd();
  if (z === undefined) throw missing();
  const frames = zstdFrames(data);
  if (frames.length === 1 && frames[0][1] - frames[0][0] === data.length) {
    return decompressFrame(z, data, maxBytes, maxBytes);
  }
  // Several frames (or skippable ones): each frame alone, within what the limit leaves.
  const parts: Buffer[] = [];
  let total = 0;
  for (const [start, end] of frames) {
    const part = decompressFrame(z, data.subarray(start, end), maxBytes - total, maxBytes);
    parts.push(part);
    total += part.length;
  }
  return Buffer.concat(parts, total);
}

function decompressFrame(zlibZstd: ZlibZstd, frame: Uint8Array, remaining: number, maxBytes: number): Buffer {
  const reused = reusedDecoder();
  if (reused !== null) return reused.decompress(frame, remaining, maxBytes);
  let out: Buffer;
  try {
    // node:zlib's maxOutputLength must lie in [1, kMaxLength].
    out = zlibZstd.zstdDecompressSync(frame, { maxOutputLength: Math.max(1, Math.min(remaining, kMaxLength)) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw decompressedTooLarge(maxBytes);
    const msg = e instanceof Error ? e.message : String(e);
    throw new CorruptRecordError(`zstd: cannot decompress: ${msg}`, {}, { cause: e });
  }
  if (out.length > remaining) throw decompressedTooLarge(maxBytes);
  return out;
}

/** The native handle of a node:zlib ZstdDecompress (what its synchronous path calls). */
interface ZstdHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  close(): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

/** First output space asked of the slab: a Java producer's batch is ~16 KiB before compression. */
const FIRST_OUTPUT = 64 * 1024;

/** One reused decompression context (see the file comment). */
class ReusedZstd {
  private failure: Error | null = null;

  constructor(
    private readonly handle: ZstdHandle,
    /** [output bytes left, input bytes left] after each writeSync. */
    private readonly state: Uint32Array,
  ) {
    handle.onerror = (message, errno, code) => {
      this.failure = Object.assign(new Error(message), { errno, code });
    };
  }

  decompress(frame: Uint8Array, remaining: number, maxBytes: number): Buffer {
    const limit = Math.min(remaining, kMaxLength);
    let space = outputSpace(Math.min(FIRST_OUTPUT, Math.max(1, limit)), Math.max(1, limit));
    let produced = 0;
    let inOff = 0;
    for (;;) {
      const room = space.length - produced;
      this.handle.writeSync(ZSTD_E_END, frame, inOff, frame.length - inOff, space, produced, room);
      if (this.failure !== null) {
        const e = this.failure;
        this.drop();
        throw new CorruptRecordError(`zstd: cannot decompress: ${e.message}`, {}, { cause: e });
      }
      const outLeft = this.state[0];
      inOff = frame.length - this.state[1];
      produced += room - outLeft;
      if (outLeft > 0) break; // the frame is done (the frame walk made sure it is whole)
      if (produced >= limit) {
        // Out of room at the limit: more output means the batch is too large.
        this.handle.writeSync(ZSTD_E_END, frame, inOff, frame.length - inOff, Buffer.allocUnsafe(1), 0, 1);
        if (this.failure !== null || this.state[0] === 0) {
          this.drop();
          throw decompressedTooLarge(maxBytes);
        }
        inOff = frame.length - this.state[1];
        break;
      }
      const grown = Buffer.allocUnsafe(Math.min(limit, space.length * 2));
      space.copy(grown, 0, 0, produced);
      space = grown;
    }
    if (inOff !== frame.length) {
      this.drop();
      throw new CorruptRecordError('zstd: cannot decompress: data after the end of the frame');
    }
    return claimOutput(space, produced);
  }

  /** Forgets this context: the next batch gets a fresh one. */
  private drop(): void {
    if (decoder === this) decoder = undefined;
    try {
      this.handle.close();
    } catch {
      // Already closed: nothing to release.
    }
  }
}

/** ZSTD_e_end of node:zlib's constants (read when the reused context is built). */
let ZSTD_E_END = 2;

/** undefined: not built yet (or dropped after an error); null: node:zlib's internals are not as expected. */
let decoder: ReusedZstd | null | undefined;

function reusedDecoder(): ReusedZstd | null {
  if (decoder !== undefined) return decoder;
  decoder = null;
  const z = zlib();
  const create = (z as unknown as { createZstdDecompress?: () => unknown }).createZstdDecompress;
  if (typeof create !== 'function') return null;
  ZSTD_E_END = (z.constants as unknown as Record<string, number>).ZSTD_e_end ?? 2;
  const engine = create() as { _handle?: Partial<ZstdHandle>; _writeState?: unknown };
  const handle = engine._handle;
  const state = engine._writeState;
  if (handle === undefined || typeof handle.writeSync !== 'function' || typeof handle.close !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
    return null;
  }
  decoder = new ReusedZstd(handle as ZstdHandle, state);
  return decoder;
}

/** zstd compression (the producer): what Kafka's Java client reads. */
export function zstdCompress(data: Buffer): Buffer {
  const z = zlibZstd();
  if (z === undefined) throw missing();
  return z.zstdCompressSync(data);
}
