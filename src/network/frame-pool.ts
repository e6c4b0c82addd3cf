// Reused memory for large response frames (Fetch responses of 1-50 MiB), with explicit ownership.
//
// Why: a fresh 12 MiB buffer per Fetch response is external memory that lives while the response is drained, is
// promoted, and is freed only by a full collection; those buffers paced 8-12 full collections per 2 M-records run,
// held tens of MiB at the RSS peak, and cost a page fault per 4 KiB of fresh memory (bench/README.md, "Owned record
// bytes and reused receive buffers"). Records no longer point into a response (records/decode.ts copies each batch's
// bytes out), so a response's end of life is known: when the code that drains it says so.
//
// Ownership rules (DESIGN.md, "Who owns a response"):
// - A frame is *lent* by its connection's FramePool to whoever decodes the response. Only frames of
//   MIN_POOLED_BYTES to MAX_POOLED_BYTES come from the pool; smaller and larger ones are plain buffers.
// - A lent frame returns to its pool only through `releaseFrame()`, called once by the code that drained it
//   (fetcher.ts's FrameLease, once every chunk of the response is decoded or dropped). A frame nobody releases is
//   simply left to the collector: forgetting a release costs memory, never correctness.
// - Releasing twice, or releasing a frame that was not lent (a view into a small response, a plain buffer) does
//   nothing; a frame released after its pool closed (the connection went away) is dropped, not kept.
// - The pool keeps at most MAX_IDLE_FRAMES idle frames and MAX_IDLE_BYTES of them; the rest go to the collector.
//   Per fetch connection that is one being received while one is drained, plus one spare.

import { Buffer } from 'node:buffer';

/** Frames below this size are not pooled (small responses arrive inside one socket read and are copied out). */
export const MIN_POOLED_BYTES = 256 * 1024;
/** Frames above this size are not pooled (`fetch.max.bytes` is 50 MiB by default; larger responses are rare). */
export const MAX_POOLED_BYTES = 64 * 1024 * 1024;
/** Idle frames kept per pool, at most. */
export const MAX_IDLE_FRAMES = 2;
/** Idle bytes kept per pool, at most. */
export const MAX_IDLE_BYTES = 64 * 1024 * 1024;
/** Pooled frames are allocated in steps of this much, so that responses of slightly different sizes share them. */
const STEP_BYTES = 1024 * 1024;

/** Process-wide counts of pooled frames handed out and of those that reused released memory (tests, benchmarks). */
export const framePoolStats = { acquired: 0, reused: 0 };

/** Which pool lent a frame's memory, while it is lent (weak: a frame nobody releases is collected as usual). */
const lent = new WeakMap<ArrayBufferLike, FramePool>();

export class FramePool {
  private idle: ArrayBuffer[] = [];
  private idleBytes = 0;
  private closed = false;
  /** Frames handed out and frames taken from the idle list (reused), for tests and the benchmark's figures. */
  acquired = 0;
  reused = 0;

  /**
   * A buffer of exactly `size` bytes for a frame. From the pool (lent, see the file comment) when `size` is within
   * the pooled range, else a fresh one.
   */
  acquire(size: number): Buffer {
    if (size < MIN_POOLED_BYTES || size > MAX_POOLED_BYTES || this.closed) return Buffer.allocUnsafe(size);
    this.acquired++;
    framePoolStats.acquired++;
    let memory: ArrayBuffer | undefined;
    // The smallest idle frame that fits.
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const cap = this.idle[i].byteLength;
      if (cap >= size && (best < 0 || cap < this.idle[best].byteLength)) best = i;
    }
    if (best >= 0) {
      memory = this.idle[best];
      this.idle.splice(best, 1);
      this.idleBytes -= memory.byteLength;
      this.reused++;
      framePoolStats.reused++;
    } else {
      // allocUnsafeSlow: an ArrayBuffer of its own, never a slice of Node's shared pool.
      memory = Buffer.allocUnsafeSlow(Math.ceil(size / STEP_BYTES) * STEP_BYTES).buffer as ArrayBuffer;
    }
    lent.set(memory, this);
    return Buffer.from(memory, 0, size);
  }

  /** @internal takes back lent memory: only releaseFrame() calls this */
  giveBack(memory: ArrayBuffer): void {
    if (this.closed) return;
    const bytes = memory.byteLength;
    // Over the bound: keep the larger frames (a smaller one cannot hold the next large response).
    while (this.idle.length > 0 && (this.idle.length >= MAX_IDLE_FRAMES || this.idleBytes + bytes > MAX_IDLE_BYTES)) {
      let smallest = 0;
      for (let i = 1; i < this.idle.length; i++) if (this.idle[i].byteLength < this.idle[smallest].byteLength) smallest = i;
      if (this.idle[smallest].byteLength > bytes) return; // the released frame is the smallest: drop it
      this.idleBytes -= this.idle[smallest].byteLength;
      this.idle.splice(smallest, 1);
    }
    if (bytes > MAX_IDLE_BYTES) return;
    this.idle.push(memory);
    this.idleBytes += bytes;
  }

  /** Idle frames and their bytes (tests, metrics). */
  get idleFrames(): number {
    return this.idle.length;
  }

  get idleByteCount(): number {
    return this.idleBytes;
  }

  /** Drops the idle frames; frames still lent are dropped when released. */
  close(): void {
    this.closed = true;
    this.idle = [];
    this.idleBytes = 0;
  }
}

/**
 * Returns a lent frame (any view into it) to its pool: the caller promises that nothing reads or keeps a view into
 * the frame any more. Returns whether it was lent (false: never lent, or released already, which does nothing).
 */
export function releaseFrame(frame: Uint8Array): boolean {
  const memory = frame.buffer;
  const pool = lent.get(memory);
  if (pool === undefined) return false;
  lent.delete(memory);
  pool.giveBack(memory as ArrayBuffer);
  return true;
}

/**
 * Counts the holders of one response frame (one per buffered chunk of a Fetch response) and releases the frame once
 * the response has been handled (`seal()`) and every holder is done.
 */
export class FrameLease {
  private holders = 0;
  private sealed = false;

  constructor(private readonly frame: Uint8Array) {}

  /** One more holder; returns the lease for it. */
  hold(): this {
    this.holders++;
    return this;
  }

  /** A holder is done with the frame (its chunk was decoded to the end or dropped). */
  done(): void {
    if (this.holders === 0) return;
    if (--this.holders === 0 && this.sealed) releaseFrame(this.frame);
  }

  /** No more holders will be added: the response has been handled. */
  seal(): void {
    this.sealed = true;
    if (this.holders === 0) releaseFrame(this.frame);
  }
}
