// Size-prefixed frame reassembly for the bytes a broker sends back.
//
// Every Kafka response is `int32 size` followed by `size` bytes. TCP delivers those bytes in arbitrary chunks: one
// chunk often holds many small responses, and a large Fetch response spans many chunks. The reader below hands out
// each frame (the bytes after the size prefix) as:
//   - a view (`subarray`) into the chunk when the whole frame lies inside one chunk: no copy, the common case;
//   - a buffer of exactly the frame's size, allocated once its size prefix is read, into which each chunk is copied
//     as it arrives, when the frame spans chunks. Each byte is copied once either way; copying on arrival (rather
//     than keeping the chunks and concatenating them at the end) lets every 64 KiB socket chunk die young: kept
//     until a 12 MiB Fetch response was complete, they outlived young-generation collections and piled up as
//     external memory, which drives V8's full collections (the benchmark's profile, DESIGN.md "Benchmarks").
//     That buffer comes from the connection's FramePool when one is given (frame-pool.ts): a large Fetch response
//     is received into the memory of one its consumer released, not into fresh memory.
// The declared size is checked before anything is allocated for it, so a corrupt prefix (or a TLS/plaintext
// mix-up, where the first four bytes of a TLS alert read as a huge length) fails fast instead of allocating.

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors.js';
import type { FramePool } from './frame-pool.js';

export const SIZE_PREFIX_BYTES = 4;
/** Bytes per socket read into readBuffer()'s scratch area (Node's own read size). */
export const READ_BYTES = 64 * 1024;

/** Called once per complete frame; the buffer excludes the size prefix and may be a view into a larger chunk. */
export type FrameHandler = (frame: Buffer) => void;

export class FrameReader {
  private readonly maxFrameBytes: number;
  private readonly minFrameBytes: number;
  /** The frame being assembled (its size is known), or null between frames. */
  private frame: Buffer | null = null;
  private filled = 0;
  /** Bytes of a size prefix split across chunks (0-3 held; only while `frame` is null). */
  private readonly prefix = Buffer.alloc(SIZE_PREFIX_BYTES);
  private prefixBytes = 0;
  /** readBuffer()'s reused read area (allocated on first use). */
  private scratch: Buffer | null = null;

  /**
   * @param maxFrameBytes largest frame accepted (excluding the prefix); bigger declared sizes throw ProtocolError
   * @param minFrameBytes smallest frame accepted; a response always carries at least its 4-byte correlation id
   * @param pool where frames that span socket reads are assembled (else each gets a fresh buffer)
   */
  constructor(maxFrameBytes: number, minFrameBytes = 0, private readonly pool: FramePool | null = null) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0) throw new RangeError('maxFrameBytes must be >= 0');
    this.maxFrameBytes = maxFrameBytes;
    this.minFrameBytes = minFrameBytes;
  }

  /** Bytes received for a frame that is not complete yet, its size prefix included (for tests and accounting). */
  get bufferedBytes(): number {
    return this.frame !== null ? SIZE_PREFIX_BYTES + this.filled : this.prefixBytes;
  }

  /**
   * For a socket's `onread` option (`net.connect({ onread: { buffer: () => reader.readBuffer(), callback: (n, buf)
   * => reader.pushRead(n, buf, onFrame) } })`): where the next read should land. While a frame of at least
   * READ_BYTES more is being assembled, the rest of that frame itself, so the kernel's bytes land in place: no chunk
   * allocated per read, nothing copied. Otherwise one scratch buffer this reader reuses; frames read into it are
   * copied out (they are small: a large frame continues in a frame buffer of its own).
   *
   * connection.ts passes these to net.connect and tls.connect. Measured (3 interleaved runs, load ~11, see DESIGN.md):
   * CPU s per M records 100 B 0.72 -> 0.68, 1 KiB lz4 3.90 -> 3.24, 1 KiB zstd 3.60 -> 3.30.
   */
  readBuffer(): Buffer {
    const frame = this.frame;
    if (frame !== null && frame.length - this.filled >= READ_BYTES) return frame.subarray(this.filled);
    return (this.scratch ??= Buffer.allocUnsafeSlow(READ_BYTES));
  }

  /** For `onread`'s callback: `bytes` were read into `buffer`, which readBuffer() returned. */
  pushRead(bytes: number, buffer: Buffer, onFrame: FrameHandler): void {
    if (bytes <= 0) return;
    const frame = this.frame;
    if (frame !== null && buffer.buffer === frame.buffer && buffer.byteOffset === frame.byteOffset + this.filled) {
      this.filled += bytes;
      if (this.filled === frame.length) {
        this.frame = null;
        this.filled = 0;
        onFrame(frame);
      }
      return;
    }
    const reused = this.scratch !== null && buffer.buffer === this.scratch.buffer;
    this.feed(buffer.subarray(0, bytes), onFrame, reused);
  }

  /**
   * Feeds one chunk; calls `onFrame` for every frame it completes, in order. Throws ProtocolError on a size
   * outside [minFrameBytes, maxFrameBytes]; the reader is then unusable (the stream has lost its framing).
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    this.feed(chunk, onFrame, false);
  }

  /** push(), with `copyFrames` when the chunk's memory is reused afterwards (frames inside it are copied out). */
  private feed(chunk: Buffer, onFrame: FrameHandler, copyFrames: boolean): void {
    if (chunk.length === 0) return;
    let offset = 0;
    if (this.prefixBytes > 0) {
      // The size prefix itself was split: take just enough bytes to finish it.
      offset = Math.min(SIZE_PREFIX_BYTES - this.prefixBytes, chunk.length);
      chunk.copy(this.prefix, this.prefixBytes, 0, offset);
      this.prefixBytes += offset;
      if (this.prefixBytes < SIZE_PREFIX_BYTES) return;
      this.prefixBytes = 0;
      this.begin(this.checkSize(this.prefix.readInt32BE(0)));
    }
    const end = chunk.length;
    const frame = this.frame;
    if (frame !== null) {
      const missing = frame.length - this.filled;
      if (end - offset < missing) {
        chunk.copy(frame, this.filled, offset);
        this.filled += end - offset;
        return;
      }
      chunk.copy(frame, this.filled, offset, offset + missing);
      this.frame = null;
      this.filled = 0;
      offset += missing;
      onFrame(frame);
    }
    // At a frame boundary: frames wholly inside the chunk are views.
    while (end - offset >= SIZE_PREFIX_BYTES) {
      const size = this.checkSize(chunk.readInt32BE(offset));
      const frameEnd = offset + SIZE_PREFIX_BYTES + size;
      if (frameEnd > end) {
        this.begin(size);
        chunk.copy(this.frame!, 0, offset + SIZE_PREFIX_BYTES);
        this.filled = end - offset - SIZE_PREFIX_BYTES;
        return;
      }
      const view = chunk.subarray(offset + SIZE_PREFIX_BYTES, frameEnd);
      onFrame(copyFrames ? Buffer.from(view) : view);
      offset = frameEnd;
    }
    if (offset < end) {
      chunk.copy(this.prefix, 0, offset);
      this.prefixBytes = end - offset;
    }
  }

  /** Drops any partial frame (after the connection closed). */
  reset(): void {
    this.frame = null;
    this.filled = 0;
    this.prefixBytes = 0;
  }

  /** Starts assembling a frame of `size` bytes (already checked). */
  private begin(size: number): void {
    this.frame = this.pool !== null ? this.pool.acquire(size) : Buffer.allocUnsafe(size);
    this.filled = 0;
  }

  private checkSize(size: number): number {
    if (size < this.minFrameBytes || size > this.maxFrameBytes) {
      // Reset so that a caller that ignores the error cannot feed more bytes into a desynchronised stream.
      this.reset();
      throw new ProtocolError(
        size < 0 || size < this.minFrameBytes
          ? `invalid response size ${size} in the frame prefix (the byte stream is corrupt or not Kafka)`
          : `response size ${size} exceeds the maximum of ${this.maxFrameBytes} bytes (receive.message.max.bytes); ` +
            'the byte stream is corrupt, or the listener speaks another protocol (TLS vs plaintext?)',
      );
    }
    return size;
  }
}
