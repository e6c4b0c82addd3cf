// Size-prefixed frame reassembly for the bytes a broker sends back.
//
// Every Kafka response is `int32 size` followed by `size` bytes. TCP delivers those bytes in arbitrary chunks: one
// chunk often holds many small responses, and a large Fetch response spans many chunks. The reader below hands out
// each frame (the bytes after the size prefix) as:
//   - a view (`subarray`) into the chunk when the whole frame lies inside one chunk: no copy, the common case;
//   - one `Buffer.concat` of exactly the frame's bytes when it spans chunks: each byte is copied once, at the end,
//     instead of growing an accumulator chunk by chunk (which is quadratic for big frames).
// The declared size is checked before anything is buffered for it, so a corrupt prefix (or a TLS/plaintext
// mix-up, where the first four bytes of a TLS alert read as a huge length) fails fast instead of allocating.

import { ProtocolError } from '../errors.js';

export const SIZE_PREFIX_BYTES = 4;

/** Called once per complete frame; the buffer excludes the size prefix and may be a view into a larger chunk. */
export type FrameHandler = (frame: Buffer) => void;

export class FrameReader {
  private readonly maxFrameBytes: number;
  private readonly minFrameBytes: number;
  /** Bytes received but not yet part of an emitted frame; empty when we are between frames. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled from `pending`, or -1 while its prefix is still incomplete. */
  private expected = -1;

  /**
   * @param maxFrameBytes largest frame accepted (excluding the prefix); bigger declared sizes throw ProtocolError
   * @param minFrameBytes smallest frame accepted; a response always carries at least its 4-byte correlation id
   */
  constructor(maxFrameBytes: number, minFrameBytes = 0) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0) throw new RangeError('maxFrameBytes must be >= 0');
    this.maxFrameBytes = maxFrameBytes;
    this.minFrameBytes = minFrameBytes;
  }

  /** Bytes held for a frame that is not complete yet (for tests and memory accounting). */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds one chunk; calls `onFrame` for every frame it completes, in order. Throws ProtocolError on a size
   * outside [minFrameBytes, maxFrameBytes]; the reader is then unusable (the stream has lost its framing).
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    if (chunk.length === 0) return;
    if (this.pendingBytes > 0) {
      chunk = this.completePending(chunk, onFrame);
      if (chunk.length === 0) return;
    }
    // Fast path: we are at a frame boundary at the start of `chunk`.
    let offset = 0;
    const end = chunk.length;
    while (end - offset >= SIZE_PREFIX_BYTES) {
      const size = this.checkSize(chunk.readInt32BE(offset));
      const frameEnd = offset + SIZE_PREFIX_BYTES + size;
      if (frameEnd > end) break;
      onFrame(chunk.subarray(offset + SIZE_PREFIX_BYTES, frameEnd));
      offset = frameEnd;
    }
    if (offset < end) {
      const rest = chunk.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
      this.expected = rest.length >= SIZE_PREFIX_BYTES ? this.checkSize(rest.readInt32BE(0)) : -1;
    }
  }

  /** Drops any partial frame (after the connection closed). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.expected = -1;
  }

  /**
   * Adds `chunk` to the partial frame in `pending`. Returns the part of `chunk` after that frame when the frame was
   * completed (and emitted), or an empty buffer when `chunk` was consumed entirely.
   */
  private completePending(chunk: Buffer, onFrame: FrameHandler): Buffer {
    if (this.expected < 0) {
      // The size prefix itself was split: take just enough bytes to finish it (at most 3 bytes copied).
      const need = SIZE_PREFIX_BYTES - this.pendingBytes;
      if (chunk.length < need) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        return chunk.subarray(chunk.length);
      }
      const prefix = Buffer.concat([...this.pending, chunk.subarray(0, need)], SIZE_PREFIX_BYTES);
      this.expected = this.checkSize(prefix.readInt32BE(0));
      this.pending = [prefix];
      this.pendingBytes = SIZE_PREFIX_BYTES;
      chunk = chunk.subarray(need);
    }
    const total = SIZE_PREFIX_BYTES + this.expected;
    const missing = total - this.pendingBytes;
    if (chunk.length < missing) {
      if (chunk.length > 0) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
      return chunk.subarray(chunk.length);
    }
    this.pending.push(chunk.subarray(0, missing));
    const whole = Buffer.concat(this.pending, total);
    this.reset();
    onFrame(whole.subarray(SIZE_PREFIX_BYTES));
    return chunk.subarray(missing);
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
