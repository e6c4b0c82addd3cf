// The scripted broker's model of one partition's replicated log: record batches (encoded with gregor's own record
// encoder, src/protocol/records), the leader epoch cache, the log start offset, and the aborted transactions a
// read_committed Fetch must report. It answers the questions Kafka's Partition/UnifiedLog answer for a leader:
// what a Fetch at an offset returns (whole batches, then a batch cut off at the byte limit), where an epoch ends
// (OffsetForLeaderEpoch, KIP-101/KIP-279) and whether a follower's last fetched epoch diverged (KIP-320, Fetch v12+).

import { ControlType, encodeControlBatch, encodeRecordBatch, type RecordToEncode } from '../../src/protocol/records/index.js';

/** Fixed record timestamps keep every encoded batch byte-identical from run to run. */
const BASE_TIMESTAMP = 1_700_000_000_000;

export interface StoredBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  /** partitionLeaderEpoch written in the batch header. */
  readonly epoch: number;
  readonly bytes: Buffer;
}

export interface EpochEndOffset {
  /** The largest epoch <= the one asked for, or -1 when the log knows none. */
  epoch: number;
  /** The first offset after that epoch (the log end offset for the current epoch), or -1. */
  endOffset: bigint;
}

export interface AppendOptions {
  /** Leader epoch written in the batch (default: the partition's current leader epoch). */
  epoch?: number;
  /** A transactional batch of this producer (KIP-98). */
  transactionalProducerId?: bigint;
}

export interface ReadResult {
  /** Whole batches from the one holding `fetchOffset`, then the next batch cut at the byte limit (as Kafka's
   * FileRecords.slice does); null when nothing is at or after `fetchOffset`. */
  records: Buffer | null;
  /** Offset after the last complete batch returned. */
  nextOffset: bigint;
}

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  logStartOffset = 0n;
  /** Leader epoch cache: each epoch and the first offset written in it, ascending. */
  readonly epochs: { epoch: number; startOffset: bigint }[] = [];
  /** Aborted transactions, reported to read_committed fetches whose range they overlap. */
  readonly aborted: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }[] = [];
  /** Open transactions hold the last stable offset back (read_committed): their first offsets by producer. */
  readonly open = new Map<bigint, bigint>();
  /**
   * KIP-392: the replica the leader names (preferredReadReplica) to a Fetch that carries a rack id, -1 for none; that
   * replica then answers Fetch for the partition as the leader would (a follower fully caught up).
   */
  preferredReadReplica = -1;

  constructor(
    public leader: number,
    public leaderEpoch: number,
    public replicas: number[],
  ) {
    this.epochs.push({ epoch: leaderEpoch, startOffset: 0n });
  }

  get logEndOffset(): bigint {
    const last = this.batches[this.batches.length - 1];
    return last === undefined ? this.logStartOffset : last.lastOffset + 1n;
  }

  get highWatermark(): bigint {
    return this.logEndOffset;
  }

  get lastStableOffset(): bigint {
    let lso = this.highWatermark;
    for (const first of this.open.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Appends one batch of `records` at the log end; returns its base offset. */
  append(records: readonly RecordToEncode[], options: AppendOptions = {}): bigint {
    const baseOffset = this.logEndOffset;
    const epoch = options.epoch ?? this.leaderEpoch;
    const pid = options.transactionalProducerId;
    const bytes = encodeRecordBatch({
      baseOffset,
      partitionLeaderEpoch: epoch,
      records: records.map((r, i) => ({ timestamp: BASE_TIMESTAMP + Number(baseOffset) + i, ...r })),
      ...(pid === undefined ? {} : { producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true }),
    });
    if (pid !== undefined && !this.open.has(pid)) this.open.set(pid, baseOffset);
    this.push({ baseOffset, lastOffset: baseOffset + BigInt(Math.max(0, records.length - 1)), epoch, bytes });
    return baseOffset;
  }

  /** Appends `count` records whose values are `${prefix}${offset}`; returns the base offset. */
  appendValues(count: number, prefix = 'v', options: AppendOptions = {}): bigint {
    const base = this.logEndOffset;
    return this.append(Array.from({ length: count }, (_, i) => ({ value: `${prefix}${base + BigInt(i)}` })), options);
  }

  /** Writes the transaction marker that ends `producerId`'s open transaction (commit or abort). */
  endTransaction(producerId: bigint, commit: boolean): bigint {
    const baseOffset = this.logEndOffset;
    const first = this.open.get(producerId);
    const bytes = encodeControlBatch({
      baseOffset,
      controlType: commit ? ControlType.COMMIT : ControlType.ABORT,
      producerId,
      producerEpoch: 0,
      partitionLeaderEpoch: this.leaderEpoch,
      timestamp: BASE_TIMESTAMP + Number(baseOffset),
    });
    this.push({ baseOffset, lastOffset: baseOffset, epoch: this.leaderEpoch, bytes });
    this.open.delete(producerId);
    if (!commit && first !== undefined) this.aborted.push({ producerId, firstOffset: first, lastOffset: baseOffset });
    return baseOffset;
  }

  /** A new leader (or the same one re-elected) with the next epoch; the epoch starts at the log end. */
  electLeader(nodeId: number, epoch = this.leaderEpoch + 1): void {
    this.leader = nodeId;
    this.leaderEpoch = epoch;
    this.epochs.push({ epoch, startOffset: this.logEndOffset });
  }

  /**
   * Cuts the log back to `offset` (what an unclean election does to the records a new leader never had): batches at
   * or after it go, and so do epochs that started there.
   */
  truncateTo(offset: bigint): void {
    while (this.batches.length > 0 && this.batches[this.batches.length - 1].baseOffset >= offset) this.batches.pop();
    const last = this.batches[this.batches.length - 1];
    if (last !== undefined && last.lastOffset >= offset) throw new Error(`truncateTo(${offset}) would split the batch at ${last.baseOffset}`);
    while (this.epochs.length > 1 && this.epochs[this.epochs.length - 1].startOffset >= offset) this.epochs.pop();
  }

  /** Retention or DeleteRecords: the log starts at `offset` (a batch boundary) from now on. */
  deleteBefore(offset: bigint): void {
    while (this.batches.length > 0 && this.batches[0].lastOffset < offset) this.batches.shift();
    this.logStartOffset = offset;
  }

  /** The leader epoch of the record at `offset` (ListOffsets answers it with the offset), -1 when unknown. */
  epochAt(offset: bigint): number {
    let epoch = -1;
    for (const e of this.epochs) if (e.startOffset <= offset) epoch = e.epoch;
    return epoch;
  }

  /** Kafka's LeaderEpochFileCache.endOffsetFor: where `epoch` (or the largest epoch below it) ends. */
  endOffsetFor(epoch: number): EpochEndOffset {
    let found = -1;
    for (let i = 0; i < this.epochs.length; i++) if (this.epochs[i].epoch <= epoch) found = i;
    if (found < 0) return { epoch: -1, endOffset: -1n };
    const next = this.epochs[found + 1];
    return { epoch: this.epochs[found].epoch, endOffset: next === undefined ? this.logEndOffset : next.startOffset };
  }

  /**
   * KIP-320: the divergence a follower (or consumer) fetching at `fetchOffset` after `lastFetchedEpoch` must be told
   * about, or null when its log agrees with ours (Partition.fetchRecords in Kafka).
   */
  divergence(fetchOffset: bigint, lastFetchedEpoch: number): EpochEndOffset | null {
    if (lastFetchedEpoch < 0) return null;
    const end = this.endOffsetFor(lastFetchedEpoch);
    if (end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset) return end;
    return null;
  }

  /** What a Fetch at `fetchOffset` returns with this byte limit; `minOneBatch` (KIP-74): at least one whole batch. */
  read(fetchOffset: bigint, maxBytes: number, minOneBatch: boolean): ReadResult {
    const start = this.batches.findIndex((b) => b.lastOffset >= fetchOffset);
    if (start < 0) return { records: null, nextOffset: fetchOffset };
    const parts: Buffer[] = [];
    let size = 0;
    let nextOffset = fetchOffset;
    for (let i = start; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (size + b.bytes.length <= maxBytes || (minOneBatch && i === start)) {
        parts.push(b.bytes);
        size += b.bytes.length;
        nextOffset = b.lastOffset + 1n;
        continue;
      }
      const room = maxBytes - size;
      if (room > 0) parts.push(b.bytes.subarray(0, room));
      break;
    }
    return { records: parts.length === 0 ? null : Buffer.concat(parts), nextOffset };
  }

  /** The aborted transactions overlapping [fetchOffset, upTo) (FetchResponse.abortedTransactions). */
  abortedBetween(fetchOffset: bigint, upTo: bigint): { producerId: bigint; firstOffset: bigint }[] {
    return this.aborted
      .filter((a) => a.firstOffset < upTo && a.lastOffset >= fetchOffset)
      .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
  }

  private push(batch: StoredBatch): void {
    this.batches.push(batch);
    const last = this.epochs[this.epochs.length - 1];
    if (batch.epoch > last.epoch) this.epochs.push({ epoch: batch.epoch, startOffset: batch.baseOffset });
  }
}
