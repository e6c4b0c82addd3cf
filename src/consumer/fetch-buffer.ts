// Fetched data waiting for the application, bounded in bytes.
//
// Fetchers push one chunk per partition per Fetch response; the application pulls messages synchronously from the
// head chunk (no promise per message). The buffer counts the raw bytes of undelivered chunks, globally and per
// partition; fetchers ask `budgetLeft()` and `wantsMore(state)` before fetching, so memory stays bounded while the
// application is slower than the broker (see DESIGN.md, "Consumer memory").
//
// Delivery order: chunks are consumed in arrival order, one chunk at a time; within a chunk, records in offset order.
// A paused partition's chunks are parked (kept, not delivered) and return to the front on resume.

import type { FrameLease } from '../cluster/client.js';
import type { GregorError } from '../errors.js';
import type { Message } from './message.js';
import { partitionKey, type PartitionState } from './partition-state.js';
import { ConsumerMeter } from './metrics.js';
import type { ChunkEnd } from './record-source.js';

/** Produces a chunk's visible messages in offset order; null when exhausted. May throw a GregorError (corrupt batch). */
export interface RecordSource {
  next(): Message | null;
  /**
   * The messages next() would return next, as many as are decoded already (the rest of a decoded batch, else the
   * next batch with visible records), appended to `out` until it holds `max`; how many were appended, 0 when
   * exhausted. Throws as next() does.
   */
  takeInto(out: Message[], max: number): number;
}

export interface Chunk {
  readonly state: PartitionState;
  /** The partition's generation when the fetch was sent; a mismatch means the chunk is stale. */
  readonly generation: number;
  /** Raw fetched bytes this chunk holds (counted against the budget until the chunk is drained or dropped). */
  readonly bytes: number;
  /** Offset after the chunk's last complete batch: the position once the chunk is fully consumed. */
  readonly endOffset: bigint;
  /** Leader epoch of the chunk's last batch. */
  readonly endEpoch: number;
  readonly records: RecordSource;
  /**
   * The Fetch response frame the chunk's bytes are a view into: told once the chunk is decoded to its end or dropped
   * (`release()`), so that the frame can be reused (DESIGN.md, "Who owns a response").
   */
  readonly lease?: FrameLease;
  /** Set when endOffset and endEpoch come from a walk done on first use (walked before the chunk is released). */
  readonly end?: ChunkEnd;
}

/** A chunk whose end is found on first use rather than on arrival (ChunkEnd, PartitionState.deferCursor). */
export class DeferredChunk implements Chunk {
  constructor(
    readonly state: PartitionState,
    readonly generation: number,
    readonly bytes: number,
    readonly records: RecordSource,
    readonly lease: FrameLease,
    readonly end: ChunkEnd,
  ) {}

  get endOffset(): bigint {
    return this.end.endOffset;
  }

  get endEpoch(): number {
    return this.end.endEpoch;
  }
}

export class FetchBuffer {
  private queue: Chunk[] = [];
  private head = 0;
  private parked = new Map<string, Chunk[]>();
  private current: Chunk | null = null;
  private totalBytes = 0;
  /** Per-partition errors waiting for the application, surfaced by the next poll. */
  private errors: GregorError[] = [];
  /**
   * Polls waiting for data. An array emptied in place, not a Set: V8's Set.prototype.clear() leaves the cleared table
   * holding its entries and a pointer to its replacement (OrderedHashTable::Clear, for iterators still on it), and
   * allocates the replacement in the old generation once the table is there. Each wake() then left a dead old table
   * that kept the next table, its waiters and what they resolved (records, and through them each response's memory)
   * alive across scavenges until a full collection: at 50,000 records/s, array buffers climbed ~12 MB/s and a full
   * collection came every 1-2.5 s (bench/README.md, "Waiters in a Set").
   */
  private readonly waiters: (() => void)[] = [];
  /** Called when bytes are released (a fetcher may have budget again). */
  onRelease: () => void = () => {};
  /** The consumer's counters: the buffer is what every layer of the consumer shares (fetchers, offsets, delivery). */
  readonly meter = new ConsumerMeter();

  constructor(readonly budgetBytes: number) {}

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  /** Bytes a new Fetch may still bring in. */
  budgetLeft(): number {
    return Math.max(0, this.budgetBytes - this.totalBytes);
  }

  /**
   * Whether a partition may be fetched again: it has nothing buffered, or less than its share of the budget. Every
   * partition may always hold one chunk, so a partition never starves because others filled the buffer.
   */
  wantsMore(state: PartitionState, partitionCount: number): boolean {
    if (state.bufferedBytes === 0) return true;
    return state.bufferedBytes < this.budgetBytes / Math.max(1, partitionCount);
  }

  push(chunk: Chunk): void {
    this.meter.fetchBytes += chunk.bytes;
    chunk.state.bufferedBytes += chunk.bytes;
    this.totalBytes += chunk.bytes;
    if (chunk.state.paused) {
      const list = this.parked.get(chunk.state.key);
      if (list === undefined) this.parked.set(chunk.state.key, [chunk]);
      else list.push(chunk);
    } else {
      this.queue.push(chunk);
    }
    this.wake();
  }

  /** Queues a per-partition error for the application (thrown by the next poll or iteration step). */
  pushError(error: GregorError): void {
    this.errors.push(error);
    this.wake();
  }

  takeError(): GregorError | undefined {
    return this.errors.shift();
  }

  get hasError(): boolean {
    return this.errors.length > 0;
  }

  /**
   * The next deliverable message, or null when nothing is buffered. Advances the partition's position. Throws when
   * a batch turns out corrupt: the partition is failed at the bad batch, other partitions keep flowing.
   */
  next(): Message | null {
    for (let chunk = this.liveChunk(); chunk !== null; chunk = this.liveChunk()) {
      let message: Message | null;
      try {
        message = chunk.records.next();
      } catch (err) {
        this.failChunk(chunk, err as GregorError);
        throw err;
      }
      if (message !== null) {
        chunk.state.advance(message);
        chunk.state.consumedMessages++;
        return message;
      }
      this.exhausted(chunk);
    }
    return null;
  }

  /**
   * Appends deliverable messages to `out` until it holds `max` (pollBatch()): what next() would return one by one,
   * taken a decoded batch at a time, the position advanced once per run instead of per message (batches() at 100 B:
   * see bench/README.md). Stops early at an error waiting for the application; a batch that turns out corrupt fails
   * its partition as in next(), and its error waits for the next poll, after the messages appended before it.
   */
  nextMany(out: Message[], max: number): void {
    while (out.length < max && this.errors.length === 0) {
      const chunk = this.liveChunk();
      if (chunk === null) return;
      let added: number;
      try {
        added = chunk.records.takeInto(out, max);
      } catch (err) {
        this.failChunk(chunk, err as GregorError);
        this.errors.push(err as GregorError);
        return;
      }
      if (added > 0) {
        chunk.state.advance(out[out.length - 1]);
        chunk.state.consumedMessages += added;
      } else {
        this.exhausted(chunk);
      }
    }
  }

  /** The chunk to deliver from: the current one, or the next live one (stale chunks released, paused ones parked). */
  private liveChunk(): Chunk | null {
    for (;;) {
      let chunk = this.current;
      if (chunk === null) {
        chunk = this.takeChunk();
        if (chunk === null) return null;
        this.current = chunk;
      }
      const state = chunk.state;
      if (state.generation === chunk.generation && !state.paused) return chunk;
      // Stale (seek, reset, revoke) or paused since the chunk became current.
      this.current = null;
      if (state.paused && state.generation === chunk.generation) this.park(chunk, true);
      else this.release(chunk);
    }
  }

  /** A corrupt batch: the partition fails at it (nothing after it is delivered), the chunk's bytes are released. */
  private failChunk(chunk: Chunk, err: GregorError): void {
    this.current = null;
    this.release(chunk);
    chunk.state.fail(err);
  }

  /**
   * The current chunk has nothing more to deliver: what remains up to endOffset was invisible (control records,
   * aborted transactions, records below the fetch offset), so the position moves to the chunk's end.
   */
  private exhausted(chunk: Chunk): void {
    const state = chunk.state;
    this.current = null;
    const position = state.position;
    if (position === null || position < chunk.endOffset) {
      state.position = chunk.endOffset;
      state.positionEpoch = chunk.endEpoch;
    } else {
      state.settle();
    }
    state.consumedBytes += chunk.bytes;
    this.release(chunk);
  }

  /** True when a message may be available without waiting (or an error is waiting). */
  get ready(): boolean {
    return this.errors.length > 0 || this.current !== null || this.head < this.queue.length;
  }

  /**
   * Calls `listener` once, at the next push, error or wake(). Returns a function that cancels it (a poll that timed
   * out must not leave its listener behind).
   */
  onData(listener: () => void): () => void {
    this.waiters.push(listener);
    return () => {
      const at = this.waiters.indexOf(listener);
      if (at !== -1) this.waiters.splice(at, 1);
    };
  }

  wake(): void {
    if (this.waiters.length === 0) return;
    // splice(0) empties the array in place (no stale slot) and hands back the listeners to call: one registering
    // again while called waits for the next wake.
    for (const w of this.waiters.splice(0)) w();
  }

  /** Parks a paused partition's chunks: kept in memory, not delivered. */
  pause(state: PartitionState): void {
    if (this.current !== null && this.current.state === state) {
      this.park(this.current, true);
      this.current = null;
    }
    this.compact((c) => {
      if (c.state !== state) return true;
      this.park(c, false);
      return false;
    });
  }

  /** Returns a resumed partition's parked chunks to the front of the queue, in their original order. */
  resume(state: PartitionState): void {
    const list = this.parked.get(state.key);
    if (list === undefined) return;
    this.parked.delete(state.key);
    this.compact(() => true);
    this.queue.unshift(...list);
    this.wake();
  }

  /** Drops everything buffered for a partition (seek, reset, revoke); its bytes are released at once. */
  dropPartition(state: PartitionState): void {
    this.dropPartitions([state]);
  }

  /**
   * dropPartition() for many partitions in one pass over the queue. A revoke or close of a wide assignment drops
   * every partition: one compaction per partition made that quadratic (10,000 partitions with a chunk each buffered:
   * 10^8 steps, seconds of CPU).
   */
  dropPartitions(states: readonly PartitionState[]): void {
    if (states.length === 0) return;
    const dropped = new Set(states);
    if (this.current !== null && dropped.has(this.current.state)) {
      this.release(this.current);
      this.current = null;
    }
    for (const state of states) {
      const list = this.parked.get(state.key);
      if (list === undefined) continue;
      this.parked.delete(state.key);
      for (const c of list) this.release(c);
    }
    this.compact((c) => {
      if (!dropped.has(c.state)) return true;
      this.release(c);
      return false;
    });
    if (this.errors.length > 0) {
      const keys = new Set(states.map((s) => s.key));
      this.errors = this.errors.filter((e) => !errorIsFor(e, keys));
    }
  }

  /** Drops everything (close, unsubscribe). */
  clear(): void {
    const states = new Set<PartitionState>();
    if (this.current !== null) states.add(this.current.state);
    for (let i = this.head; i < this.queue.length; i++) states.add(this.queue[i].state);
    for (const list of this.parked.values()) for (const c of list) states.add(c.state);
    this.dropPartitions([...states]);
    this.errors = [];
  }

  private takeChunk(): Chunk | null {
    while (this.head < this.queue.length) {
      const c = this.queue[this.head];
      // Clear the slot: a consumed chunk must not stay reachable (it holds its fetched bytes and decoded records).
      this.queue[this.head++] = undefined as unknown as Chunk;
      if (this.head > 64 && this.head * 2 > this.queue.length) this.compact(() => true);
      if (c.state.generation !== c.generation) {
        this.release(c);
        continue;
      }
      if (c.state.paused) {
        this.park(c, false);
        continue;
      }
      return c;
    }
    if (this.head > 0) {
      this.queue = [];
      this.head = 0;
    }
    return null;
  }

  private park(chunk: Chunk, front: boolean): void {
    const list = this.parked.get(chunk.state.key);
    if (list === undefined) this.parked.set(chunk.state.key, [chunk]);
    else if (front) list.unshift(chunk);
    else list.push(chunk);
  }

  /** A chunk leaves the buffer, decoded to its end or dropped: exactly once per chunk. */
  private release(chunk: Chunk): void {
    // The frame may be reused once its chunks are released: a walk still owed to the partition's cursor happens now.
    chunk.end?.walk();
    chunk.lease?.done();
    chunk.state.bufferedBytes -= chunk.bytes;
    this.totalBytes -= chunk.bytes;
    this.onRelease();
  }

  /** Rebuilds the live part of the queue, keeping chunks for which `keep` returns true. */
  private compact(keep: (c: Chunk) => boolean): void {
    const next: Chunk[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const c = this.queue[i];
      if (keep(c)) next.push(c);
    }
    this.queue = next;
    this.head = 0;
  }
}

/** Whether `error` names one of the partitions whose keys (PartitionState.key) are given. */
function errorIsFor(error: GregorError, keys: ReadonlySet<string>): boolean {
  const e = error as GregorError & { topic?: unknown; partition?: unknown };
  return typeof e.topic === 'string' && typeof e.partition === 'number' && keys.has(partitionKey(e.topic, e.partition));
}
