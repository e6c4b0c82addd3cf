// zstd decoding through node:zlib (Node >= 22.15), with the frame structure checked here first.
//
// Why the check: Node 22's zstdDecompressSync returns whatever it produced from a truncated frame, without an error
// (Node 24 and 26 raise "unexpected end of file"), returns an empty buffer for empty input, and stops after the first
// of several concatenated frames. A truncated batch must be a CorruptRecordError on every supported Node, so the
// input is walked first (RFC 8878 section 3.1: frame and block headers only, no decoding), must consist of complete
// frames, and each frame is decompressed on its own (Kafka's clients write one frame per batch: the common case is
// one call).
//
// Speed: node:zlib builds a decompression context per call, where the native zstd-napi (dropped: it needed an install
// script) reused one; 16 KiB batches decode at ~330 MB/s instead of ~900 (bench/README.md "Codecs").

import { Buffer, kMaxLength } from 'node:buffer';
import * as zlib from 'node:zlib';
import { CorruptRecordError, UnsupportedError } from '../../errors.js';
import { decompressedTooLarge } from './lz4.js';

type ZlibZstd = {
  zstdDecompressSync(buf: Uint8Array, options?: { maxOutputLength?: number }): Buffer;
  zstdCompressSync(buf: Uint8Array): Buffer;
};

const zlibZstd: ZlibZstd | undefined =
  typeof (zlib as unknown as Partial<ZlibZstd>).zstdDecompressSync === 'function' ? (zlib as unknown as ZlibZstd) : undefined;

/** 'node:zlib', or why zstd is unavailable (a Node older than gregor supports). */
export const zstdImplementation: string = zlibZstd !== undefined ? 'node:zlib' : 'unavailable (Node < 22.15)';

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
  if (zlibZstd === undefined) throw missing();
  const frames = zstdFrames(data);
  if (frames.length === 1 && frames[0][1] - frames[0][0] === data.length) {
    return decompressFrame(zlibZstd, data, maxBytes, maxBytes);
  }
  // Several frames (or skippable ones): each frame alone, within what the limit leaves.
  const parts: Buffer[] = [];
  let total = 0;
  for (const [start, end] of frames) {
    const part = decompressFrame(zlibZstd, data.subarray(start, end), maxBytes - total, maxBytes);
    parts.push(part);
    total += part.length;
  }
  return Buffer.concat(parts, total);
}

function decompressFrame(zlibZstd: ZlibZstd, frame: Uint8Array, remaining: number, maxBytes: number): Buffer {
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

/** zstd compression (the producer): what Kafka's Java client reads. */
export function zstdCompress(data: Buffer): Buffer {
  if (zlibZstd === undefined) throw missing();
  return zlibZstd.zstdCompressSync(data);
}
