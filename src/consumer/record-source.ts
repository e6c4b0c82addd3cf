// Turning one partition's fetched `records` bytes into the messages the application may see.
//
// Two steps, at two times:
// 1. `scanRecordSet` walks only the entry headers ([int64 offset][int32 length], the magic and lastOffsetDelta): no
//    CRC, no decompression. It says where the next fetch starts, how many bytes are complete, and whether a batch
//    larger than the fetch limit blocks progress. This keeps the fetch loop cheap and lets the next Fetch go out while
//    the application is still busy with this data. When the first entry is complete, the walk waits until its result
//    is needed (`ChunkEnd`): a response of one-record batches was walked through cold memory before any delivery.
// 2. When the chunk reaches the head of the buffer, `ChunkRecords` decodes it (CRC32C checked, decompressed) with
//    the records layer, one batch at a time, and hands out its records, which the decoder built as Messages. Only
//    the batch being delivered is decoded, so memory holds compressed bytes for everything else.
//
// What is never delivered: records below the fetch offset (the broker returns whole batches), control batches
// (transaction markers), and under read_committed the batches of aborted transactions. The abort filter is the
// Java client's: the Fetch response lists aborted transactions (producerId, firstOffset); walking batches in offset
// order, a producer id becomes "aborted" once a batch reaches its firstOffset, its transactional batches are skipped
// while it is, and its ABORT control marker ends it.

import { RecordSetReader } from '../protocol/records/decode.js';
import { ControlType, KafkaRecord, type RecordBatch } from '../protocol/records/record.js';
import type { RecordSource } from './fetch-buffer.js';
import { Message } from './message.js';

export interface RecordSetScan {
  /** Bytes covered by complete entries. */
  completeBytes: number;
  /** Offset after the last complete entry; undefined when no entry is complete. */
  nextOffset: bigint | undefined;
  /** Leader epoch of the last complete v2 batch (-1 for legacy entries or none). */
  lastEpoch: number;
  /** Set when no entry is complete but one started: its full size, so the next fetch can ask for that much. */
  firstEntrySize: number | undefined;
  /** An entry header is malformed (negative length, unknown magic): decoding will report it. */
  malformed: boolean;
}

/** Walks the entry headers of a record set (see the file comment). Never throws. */
export function scanRecordSet(records: Buffer): RecordSetScan {
  const n = records.length;
  let p = 0;
  // Where the last complete entry starts: its offsets and epoch are read once, after the walk. A chunk of a wide
  // topic may hold hundreds of one-record batches, and BigInt arithmetic per entry was most of the walk's cost.
  let last = -1;
  let firstEntrySize: number | undefined;
  let malformed = false;
  while (n - p >= 12) {
    const length = records.readInt32BE(p + 8);
    if (length < 5) {
      malformed = true;
      break;
    }
    const size = 12 + length;
    if (size > n - p) {
      if (last === -1) firstEntrySize = size;
      break;
    }
    if (malformedHeader(records[p + 16], length)) {
      malformed = true;
      break;
    }
    last = p;
    p += size;
  }
  let nextOffset: bigint | undefined;
  let lastEpoch = -1;
  if (last !== -1) {
    if (records[last + 16] === 2) {
      nextOffset = records.readBigInt64BE(last) + BigInt(records.readInt32BE(last + 23)) + 1n;
      lastEpoch = records.readInt32BE(last + 12);
    } else {
      // A legacy entry's offset is its last offset (a compressed wrapper carries its last inner record's offset).
      nextOffset = records.readBigInt64BE(last) + 1n;
    }
  }
  return { completeBytes: p, nextOffset, lastEpoch, firstEntrySize, malformed };
}

/**
 * Whether a record set's first entry is complete and its header well-formed, which is all the fetcher must know when
 * the response arrives: then the walk finds an end (`ChunkEnd`), and it can wait. Else scanRecordSet says what to do
 * (a batch larger than the limit, a malformed entry) at once.
 */
export function firstEntryComplete(records: Buffer): boolean {
  if (records.length < 12) return false;
  const length = records.readInt32BE(8);
  if (length < 5 || 12 + length > records.length) return false;
  return !malformedHeader(records[16], length);
}

/** An entry header no decoder accepts (length >= 5 already checked): a v2 batch shorter than its fixed header, or an unknown magic. */
function malformedHeader(magic: number, length: number): boolean {
  return (magic === 2 && length < 49) || magic > 2;
}

/**
 * A chunk's end (scanRecordSet's nextOffset, lastEpoch and malformed), walked on first use rather than on arrival
 * (PartitionState.deferCursor). For a record set whose first entry is complete (firstEntryComplete). The walk must
 * happen while the bytes are the chunk's: the buffer asks for it before it releases the chunk's frame (walk()).
 */
export class ChunkEnd {
  private records: Buffer | null;
  private scan: RecordSetScan | null = null;

  constructor(records: Buffer) {
    this.records = records;
  }

  /** Walks the entry headers now, if not done yet. */
  walk(): RecordSetScan {
    let scan = this.scan;
    if (scan === null) {
      scan = this.scan = scanRecordSet(this.records!);
      this.records = null;
    }
    return scan;
  }

  get endOffset(): bigint {
    return this.walk().nextOffset!;
  }

  get endEpoch(): number {
    return this.walk().lastEpoch;
  }

  get malformed(): boolean {
    return this.walk().malformed;
  }
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface ChunkOptions {
  checkCrcs: boolean;
  /** read_committed: filter aborted transactions. */
  readCommitted: boolean;
  /** From the Fetch response (read_committed only); null or empty when none. */
  abortedTransactions: readonly AbortedTransaction[] | null;
}

/** The messages of one fetched chunk, decoded one batch at a time as the application reaches them. */
export class ChunkRecords implements RecordSource {
  private reader: RecordSetReader | null = null;
  private recordIndex = 0;
  private current: Message[] | null = null;
  /** read_committed bookkeeping: aborted transactions not yet reached (ascending firstOffset), active aborted ids. */
  private pendingAborts: AbortedTransaction[] | null = null;
  private abortedProducers: Set<bigint> | null = null;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly records: Buffer,
    /** The fetch offset: records below it are not delivered. */
    private readonly minOffset: bigint,
    private readonly options: ChunkOptions,
  ) {}

  next(): Message | null {
    const current = this.current;
    if (current !== null && this.recordIndex < current.length) return current[this.recordIndex++];
    return this.advance();
  }

  takeInto(out: Message[], max: number): number {
    let current = this.current;
    if (current === null || this.recordIndex >= current.length) {
      const first = this.advance();
      if (first === null) return 0;
      current = this.current;
      if (current === null) {
        // A record decoded without its batch (a one-record batch): the whole batch.
        out.push(first);
        return 1;
      }
      this.recordIndex = 0;
    }
    const from = this.recordIndex;
    const n = Math.min(current.length - from, max - out.length);
    for (let i = 0; i < n; i++) out.push(current[from + i]);
    this.recordIndex = from + n;
    return n;
  }

  /**
   * Decodes batches until one has deliverable records; throws the decoding error once earlier batches are done.
   * One batch at a time: a 1 MiB chunk of 100-byte records is ~9,000 records, and decoding them all up front kept
   * them alive across young-generation collections, which then had to copy them. A one-record data batch comes as
   * its record alone (RecordSetReader.nextEntry(); `current` stays null), except while aborted transactions are
   * filtered.
   */
  private advance(): Message | null {
    this.current = null;
    const reader = (this.reader ??= this.open());
    const filtering = this.abortedProducers !== null;
    for (;;) {
      // Throws a located CorruptRecordError (again on every later call).
      const batch = filtering ? reader.next() : reader.nextEntry();
      if (batch === null) return null;
      if (batch instanceof KafkaRecord) return batch; // not transactional, not control: visible
      if (!this.visible(batch)) continue;
      const records = batch.records;
      if (records.length === 0) continue;
      this.current = records;
      this.recordIndex = 1;
      return records[0];
    }
  }

  private open(): RecordSetReader {
    const aborted = this.options.abortedTransactions;
    if (this.options.readCommitted && aborted !== null && aborted.length > 0) {
      this.pendingAborts = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
      this.abortedProducers = new Set();
    }
    return new RecordSetReader(this.records, {
      checkCrcs: this.options.checkCrcs,
      topic: this.topic,
      partition: this.partition,
      minOffset: this.minOffset,
    });
  }

  /** Whether a batch's records may reach the application (see the file comment for the abort rules). */
  private visible(batch: RecordBatch): boolean {
    const producers = this.abortedProducers;
    if (producers !== null && batch.producerId >= 0n) {
      const pending = this.pendingAborts!;
      while (pending.length > 0 && pending[0].firstOffset <= batch.lastOffset) {
        producers.add(pending.shift()!.producerId);
      }
      if (batch.isControl) {
        if (batch.controlType === ControlType.ABORT) producers.delete(batch.producerId);
        return false;
      }
      if (batch.isTransactional && producers.has(batch.producerId)) return false;
    }
    return !batch.isControl;
  }
}
