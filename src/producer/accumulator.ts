// Records waiting to be sent, grouped into batches per partition (one v2 record batch each).
//
// A partition's queue holds batches in send() order. Records go into its last batch while it has room for them
// (batch.size bytes; a single bigger record gets a batch of its own); a batch is "full" once a record did not fit
// or once it was handed to the sender, and never changes after that. The sender takes the first batch of a queue
// when it is full, or linger.ms after the batch was opened, or at once while a flush() waits.
//
// Ordering: at most ONE batch per partition is in flight. The next one waits for its answer, so a retried batch can
// never be overtaken by a later one (the Java client allows up to 5 and re-sequences on errors; one is simpler and
// still pipelines across partitions and brokers).
//
// Memory: the bytes of all queued records are bounded (32 MiB, Java's buffer.memory default); send() waits for room,
// up to delivery.timeout.ms, instead of growing the queue without limit.

import { TimeoutError } from '../errors.js';
import { RECORD_BATCH_OVERHEAD } from '../protocol/records/index.js';
import type { PreparedRecord, RecordMetadata } from './record.js';

export const BUFFER_MEMORY = 32 * 1024 * 1024;

export interface Delivery {
  resolve(metadata: RecordMetadata): void;
  reject(error: Error): void;
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: PreparedRecord[] = [];
  readonly deliveries: Delivery[] = [];
  /** Estimated encoded size (uncompressed). */
  bytes = RECORD_BATCH_OVERHEAD;
  readonly createdAt: number;
  /** delivery.timeout.ms after the batch was opened: past this, it fails instead of being (re)sent. */
  readonly deadline: number;
  full = false;
  /** Produce requests sent for this batch so far. */
  attempts = 0;
  /** Not before this time (Date.now()) after a retriable error. */
  retryAt = 0;
  /** Idempotence: fixed when first sent, kept across retries so the broker can drop duplicates. */
  producerId = -1n;
  producerEpoch = -1;
  baseSequence = -1;
  /** The record batch bytes, encoded once at the first send and resent as they are. */
  encoded: Buffer | undefined;
  /** Whether the batch was ever sent: a batch that never left can be failed without breaking sequences. */
  sent = false;
  private settled = false;
  private readonly doneResolvers: Array<() => void> = [];

  constructor(topic: string, partition: number, now: number, deliveryTimeoutMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.createdAt = now;
    this.deadline = now + deliveryTimeoutMs;
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** Resolves when the batch is acknowledged or failed (flush() waits on this). */
  done(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => this.doneResolvers.push(resolve));
  }

  /** Acknowledged: each record's offset is baseOffset + its index (-1n when unknown). */
  complete(baseOffset: bigint, logAppendTimeMs: bigint): void {
    if (this.settled) return;
    this.settled = true;
    for (let i = 0; i < this.deliveries.length; i++) {
      this.deliveries[i].resolve({
        topic: this.topic,
        partition: this.partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
        timestamp: logAppendTimeMs >= 0n ? Number(logAppendTimeMs) : this.records[i].timestamp,
      });
    }
    this.finish();
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    for (const d of this.deliveries) d.reject(error);
    this.finish();
  }

  private finish(): void {
    for (const r of this.doneResolvers.splice(0)) r();
  }
}

export interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly batches: ProducerBatch[];
  /** The batch being sent (always batches[0]), if any. */
  inFlight: ProducerBatch | undefined;
}

export interface AccumulatorOptions {
  batchSize: number;
  deliveryTimeoutMs: number;
  bufferMemory?: number;
}

export class RecordAccumulator {
  readonly queues = new Map<string, PartitionQueue>();
  private readonly options: AccumulatorOptions;
  private readonly bufferMemory: number;
  private buffered = 0;
  private readonly spaceWaiters: Array<{ size: number; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  /** flush() calls in progress: while positive, linger.ms is not waited for. */
  flushing = 0;

  constructor(options: AccumulatorOptions) {
    this.options = options;
    this.bufferMemory = options.bufferMemory ?? BUFFER_MEMORY;
  }

  /** Bytes of records queued or in flight. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Number of batches not yet acknowledged or failed. */
  get pendingBatches(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.batches.length;
    return n;
  }

  /**
   * Waits until `size` more bytes fit in the buffer (at once when they do), or rejects with TimeoutError after
   * delivery.timeout.ms. A record bigger than the whole buffer is let through alone once the buffer is empty.
   */
  reserve(size: number): Promise<void> {
    if (this.tryReserve(size)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        size,
        resolve: () => {
          clearTimeout(waiter.timer);
          this.buffered += size;
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(waiter.timer);
          reject(e);
        },
        timer: setTimeout(() => {
          const i = this.spaceWaiters.indexOf(waiter);
          if (i >= 0) this.spaceWaiters.splice(i, 1);
          reject(new TimeoutError(`send(): no room in the producer's ${this.bufferMemory}-byte buffer within delivery.timeout.ms (${this.options.deliveryTimeoutMs} ms); the brokers do not keep up`));
        }, this.options.deliveryTimeoutMs),
      };
      waiter.timer.unref();
      this.spaceWaiters.push(waiter);
    });
  }

  /** Takes `size` bytes of buffer at once when they fit and nobody waits before us; false otherwise. */
  tryReserve(size: number): boolean {
    if (!this.fits(size) || this.spaceWaiters.length > 0) return false;
    this.buffered += size;
    return true;
  }

  /** Gives back bytes reserved for a record that was not appended after all. */
  unreserve(size: number): void {
    this.buffered = Math.max(0, this.buffered - size);
    while (this.spaceWaiters.length > 0 && this.fits(this.spaceWaiters[0].size)) this.spaceWaiters.shift()!.resolve();
  }

  /** Rejects every send() waiting for buffer room (close()). */
  rejectWaiters(error: Error): void {
    for (const w of this.spaceWaiters.splice(0)) w.reject(error);
  }

  private fits(size: number): boolean {
    return this.buffered + size <= this.bufferMemory || this.buffered === 0;
  }

  /**
   * Adds a record (whose `size` bytes were reserved) to its partition's last batch, or to a new one.
   * Returns the batch and whether it is now full (the sender should look at once).
   */
  append(topic: string, partition: number, record: PreparedRecord, size: number, delivery: Delivery, now: number): { batch: ProducerBatch; full: boolean } {
    const key = `${topic}\u0000${partition}`;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { topic, partition, batches: [], inFlight: undefined };
      this.queues.set(key, q);
    }
    let batch = q.batches.length > 0 ? q.batches[q.batches.length - 1] : undefined;
    if (batch !== undefined && !batch.full && batch.records.length > 0 && batch.bytes + size > this.options.batchSize) {
      batch.full = true;
    }
    if (batch === undefined || batch.full) {
      batch = new ProducerBatch(topic, partition, now, this.options.deliveryTimeoutMs);
      q.batches.push(batch);
    }
    batch.records.push(record);
    batch.deliveries.push(delivery);
    batch.bytes += size;
    if (batch.bytes >= this.options.batchSize) batch.full = true;
    return { batch, full: batch.full };
  }

  /** Removes a settled batch from its queue and frees its bytes. */
  remove(batch: ProducerBatch): void {
    const q = this.queues.get(`${batch.topic}\u0000${batch.partition}`);
    if (q !== undefined) {
      const i = q.batches.indexOf(batch);
      if (i >= 0) q.batches.splice(i, 1);
      if (q.inFlight === batch) q.inFlight = undefined;
      if (q.batches.length === 0 && q.inFlight === undefined) this.queues.delete(`${batch.topic}\u0000${batch.partition}`);
    }
    this.buffered -= batch.bytes - RECORD_BATCH_OVERHEAD;
    if (this.buffered < 0) this.buffered = 0;
    while (this.spaceWaiters.length > 0 && this.fits(this.spaceWaiters[0].size)) this.spaceWaiters.shift()!.resolve();
  }

  /** Every batch not yet settled (for flush()). */
  allBatches(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const q of this.queues.values()) out.push(...q.batches);
    return out;
  }

  /** Fails and removes every batch that is not in flight (abortTransaction(), close() after its timeout). */
  failUnsent(error: Error): number {
    let n = 0;
    for (const q of [...this.queues.values()]) {
      for (const b of [...q.batches]) {
        if (b === q.inFlight) continue;
        b.fail(error);
        this.remove(b);
        n += 1;
      }
    }
    return n;
  }
}
