// Decoding a partition's record set: the `records` field of a Fetch response (or a log segment file, which has the
// same layout). A record set is a sequence of entries that all start with [int64 offset][int32 length]; byte 16 is
// the magic: 2 for a record batch (KIP-98), 0 or 1 for a legacy message (see legacy.ts).
//
// v2 record batch (offsets from the batch start; CRC32C covers `attributes` to the end of the batch):
//   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8 | 17 crc uint32
//   21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64
//   43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32 | 61 records
// attributes: bits 0-2 compression, bit 3 timestamp type (1 = LogAppendTime), bit 4 transactional, bit 5 control,
// bit 6 hasDeleteHorizonMs (KIP-534). Each record:
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint | keyLength varint | key
//   valueLength varint | value | headerCount varint | [headerKeyLength varint, key, headerValueLength varint, value]*
//
// This is the consumer's hot path, so it is written directly over the Buffer: one-byte varints are read inline,
// longer ones go to varint.ts; there is one try/catch per batch, none per field; every length is checked against
// the bounds of its record before anything is built, so the lazy getters of KafkaRecord never fail.
//
// Owned record bytes: records never point into the input. Each batch's records region (or its decompressed output)
// is memory of the batch's own, so the input (a Fetch response frame) may be reused as soon as its batches have been
// decoded, and a record the application keeps holds its batch's bytes (~16 KiB), not a 12 MiB response. The copy is
// one memcpy per batch, of bytes the CRC check has just brought into the cache (DESIGN.md, "Who owns a response").
//
// The broker cuts a Fetch response at its byte limits, so the last entry may be partial: that is reported as
// `incompleteTail`, not as an error. If not even the first entry is complete, `firstBatchSize` says how many bytes
// the consumer must ask for (brokers since KIP-74 always return at least one whole batch, older ones did not).

import { CorruptRecordError, GregorError, isGregorError } from '../../errors.js';
import { COMPRESSION_TYPES, decompress } from './compression.js';
import { crc32cOf, newCrcOwner } from './crc32c.js';
import { ownedCopy } from './output-slab.js';
import { decodeLegacyEntry } from './legacy.js';
import { int32, int64AsNumber, KafkaRecord, RecordBatch, v2BatchFromHeader } from './record.js';
import { readVarint, readVarlong, varintEnd } from './varint.js';

/** [int64 offset][int32 length] in front of every entry of a record set. */
export const LOG_OVERHEAD = 12;
/** Bytes of a v2 batch before its first record. */
export const RECORD_BATCH_OVERHEAD = 61;
/** Default cap on one batch's decompressed size (see DecodeOptions.maxDecompressedBytes). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export interface DecodeOptions {
  /** Verify each batch's CRC (CRC32C for v2, CRC32 for legacy). Default true (`check.crcs`). */
  checkCrcs?: boolean;
  /** For error messages and CorruptRecordError fields. */
  topic?: string;
  partition?: number;
  /**
   * Upper bound for one batch's decompressed size; a batch that would exceed it fails with a CorruptRecordError
   * instead of allocating. Default 256 MiB.
   */
  maxDecompressedBytes?: number;
  /**
   * Records with a smaller offset are validated but not materialised. The broker returns whole batches, so the first
   * batch of a fetch usually starts before the fetch offset; the records before it are not wanted.
   */
  minOffset?: bigint;
}

export interface RecordSetDecodeResult {
  /** Complete, valid entries, in order. Batches before a corrupt one are valid and returned. */
  batches: RecordBatch[];
  /** Bytes of `records` covered by `batches`. */
  bytesRead: number;
  /** lastOffset + 1 of the last returned batch: where the next fetch starts. Undefined when no batch. */
  nextOffset: bigint | undefined;
  /** The data ended with a partial entry (normal: the broker cut the response at its size limit). */
  incompleteTail: boolean;
  /**
   * Set when no entry was complete but a partial one was present: the full size in bytes (log overhead included)
   * of that first entry. A consumer whose fetch size is smaller must grow it to at least this much.
   */
  firstBatchSize: number | undefined;
  /**
   * The first entry that could not be decoded (bad CRC, malformed, decompression failure, or an UnsupportedError
   * when a codec's optional package is missing). Decoding stops there: the consumer delivers `batches`, then raises
   * this error at offset `error.baseOffset` instead of skipping past the entry.
   */
  error: GregorError | undefined;
}

/** Decodes a partition's record set. Never throws for bad data: see `RecordSetDecodeResult.error`. */
export function decodeRecordSet(records: Buffer, opts: DecodeOptions = {}): RecordSetDecodeResult {
  const reader = new RecordSetReader(records, opts);
  const batches: RecordBatch[] = [];
  let error: GregorError | undefined;
  try {
    for (let b = reader.next(); b !== null; b = reader.next()) batches.push(b);
  } catch (e) {
    error = e as GregorError;
  }
  const last = batches.length === 0 ? undefined : batches[batches.length - 1];
  return {
    batches,
    bytesRead: reader.bytesRead,
    nextOffset: last === undefined ? undefined : last.lastOffset + 1n,
    incompleteTail: reader.incompleteTail,
    firstBatchSize: batches.length === 0 ? reader.firstEntrySize : undefined,
    error,
  };
}

/**
 * A record set decoded one entry at a time: `next()` decodes the next complete entry (CRC checked, decompressed) and
 * returns its batch, or null at the end. The consumer decodes this way so that only one batch's records exist at a
 * time, not a whole fetched chunk's (thousands of short-lived objects fewer for the garbage collector to copy).
 */
export class RecordSetReader {
  private p = 0;
  private error: GregorError | undefined;
  private readonly checkCrcs: boolean;
  private readonly maxBytes: number;
  private readonly minOffset: bigint;
  /** minOffset as a number (exact below 2^53; Infinity above, so that no entry is decoded without its batch). */
  private readonly minOffsetNumber: number;
  private readonly topic: string;
  private readonly partition: number;
  /** This record set's number for the CRC's copy window (crc32cOf). */
  private readonly crcOwner = newCrcOwner();
  /** Set once next() returned null: the data ended with a partial entry (normal, see the file comment). */
  incompleteTail = false;
  /** Set when the partial entry at the end is the first one: its full size (log overhead included). */
  firstEntrySize: number | undefined = undefined;

  constructor(
    private readonly records: Buffer,
    private readonly opts: DecodeOptions = {},
  ) {
    this.checkCrcs = opts.checkCrcs !== false;
    this.maxBytes = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    this.minOffset = opts.minOffset ?? -1n;
    this.minOffsetNumber = this.minOffset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.minOffset) : Infinity;
    this.topic = opts.topic ?? '';
    this.partition = opts.partition ?? -1;
  }

  /** Bytes covered by the entries returned so far. */
  get bytesRead(): number {
    return this.p;
  }

  /**
   * The next complete entry's batch; null when no complete entry remains. Throws the located error of an entry that
   * cannot be decoded (every entry before it was returned), and again on every later call: nothing is skipped.
   */
  next(): RecordBatch | null {
    return this.decodeNext(false) as RecordBatch | null;
  }

  /**
   * next() for delivery: a data batch of one uncompressed record (not transactional, at or above minOffset) comes
   * back as that record alone, decoded without its RecordBatch (the record builds it if `batch` is read); any other
   * entry as its batch. Wide topics are mostly such batches: the batch object, its records array and two BigInts
   * were a third of what decoding one allocated.
   */
  nextEntry(): RecordBatch | KafkaRecord | null {
    return this.decodeNext(true);
  }

  private decodeNext(solo: boolean): RecordBatch | KafkaRecord | null {
    if (this.error !== undefined) throw this.error;
    const records = this.records;
    const n = records.length;
    const p = this.p;
    if (p >= n) return null;
    if (n - p < LOG_OVERHEAD) {
      this.incompleteTail = true;
      return null;
    }
    const batchLength = int32(records, p + 8);
    if (batchLength < 0) throw (this.error = locate(new CorruptRecordError(`negative batch length ${batchLength}`), records, p, this.opts));
    const size = LOG_OVERHEAD + batchLength;
    if (size > n - p) {
      this.incompleteTail = true;
      if (p === 0) this.firstEntrySize = size;
      return null;
    }
    let batch: RecordBatch | KafkaRecord;
    try {
      const magic = batchLength > 4 ? records[p + 16] : -1;
      if (magic === 2) {
        batch = decodeEntryV2(records, p, p + size, this.checkCrcs, this.maxBytes, this.minOffset, solo ? this.minOffsetNumber : Infinity, this.crcOwner);
      } else if (magic === 0 || magic === 1) batch = decodeLegacyEntry(records, p, p + size, this.checkCrcs, this.maxBytes, this.minOffset);
      else throw new CorruptRecordError(magic < 0 ? `entry of ${batchLength} bytes is too short` : `unknown magic ${magic}`);
    } catch (e) {
      throw (this.error = locate(e, records, p, this.opts));
    }
    if (batch instanceof KafkaRecord) {
      batch._topic = this.topic;
      batch._partition = this.partition;
    } else {
      batch.topic = this.topic;
      batch.partition = this.partition;
    }
    this.p = p + size;
    return batch;
  }
}

/** Adds topic, partition and the entry's offsets to an error from decoding the entry at `start`. */
function locate(e: unknown, buf: Buffer, start: number, opts: DecodeOptions): GregorError {
  if (isGregorError(e) && !(e instanceof CorruptRecordError)) return e; // UnsupportedError: a missing codec package
  const baseOffset = buf.length - start >= 8 ? buf.readBigInt64BE(start) : undefined;
  const lastOffset =
    baseOffset !== undefined && buf.length - start >= 27 && buf[start + 16] === 2
      ? baseOffset + BigInt(buf.readInt32BE(start + 23))
      : undefined;
  const where =
    (opts.topic !== undefined ? `${opts.topic}-${opts.partition ?? '?'} ` : '') +
    (baseOffset !== undefined ? `batch at offset ${baseOffset}${lastOffset !== undefined ? `..${lastOffset}` : ''}` : 'batch') +
    ` (byte ${start} of the record set)`;
  // Anything but a CorruptRecordError means a decoder bug; it is still reported as corrupt data rather than thrown
  // so the consumer's loop survives, and the message says so.
  const message = e instanceof CorruptRecordError ? e.message : `internal decoder error: ${(e as Error)?.message ?? String(e)}`;
  return new CorruptRecordError(
    `${where}: ${message}`,
    { topic: opts.topic, partition: opts.partition, baseOffset, lastOffset },
    { cause: e },
  );
}

/** Decodes the v2 batch `buf[start, end)`; throws CorruptRecordError (without location) when it is invalid. */
export function decodeBatchV2(
  buf: Buffer,
  start: number,
  end: number,
  checkCrcs: boolean,
  maxDecompressedBytes: number,
  minOffset: bigint,
): RecordBatch {
  return decodeEntryV2(buf, start, end, checkCrcs, maxDecompressedBytes, minOffset, Infinity, 0) as RecordBatch;
}

/**
 * decodeBatchV2, or, for a data batch of one uncompressed record that is neither transactional nor below
 * `soloMinOffset` (minOffset as a number; Infinity: never), that record alone: no RecordBatch, no records array, no
 * BigInt offsets. Its own bytes are then the whole entry (61 bytes of header more to copy), from which it reads its
 * timestamp, epoch and offset, and builds its batch if `batch` is read (record.ts). A transactional batch keeps its
 * batch object for the abort filter (record-source.ts).
 */
function decodeEntryV2(
  buf: Buffer,
  start: number,
  end: number,
  checkCrcs: boolean,
  maxDecompressedBytes: number,
  minOffset: bigint,
  soloMinOffset: number,
  /** The number standing for `buf`'s bytes while they are decoded, for the CRC (crc32cOf's owner); 0: none. */
  owner: number,
): RecordBatch | KafkaRecord {
  if (end - start < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(`batch of ${end - start} bytes is smaller than a v2 batch header`);
  }
  // From here every header field lies within buf[start, end): read by int32() without bounds checks.
  if (checkCrcs) {
    const stored = int32(buf, start + 17) >>> 0;
    const computed = crc32cOf(owner, buf, start + 21, end);
    if (stored !== computed) {
      throw new CorruptRecordError(
        `CRC32C mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`,
      );
    }
  }
  const attributes = (buf[start + 21] << 8) | buf[start + 22];
  const codec = attributes & 0x07;
  const count = int32(buf, start + 57);
  const lastOffsetDelta = int32(buf, start + 23);
  if (count < 0) throw new CorruptRecordError(`negative record count ${count}`);
  // A negative delta would put nextOffset at or before baseOffset: the consumer would fetch the same batch forever.
  if (lastOffsetDelta < 0) throw new CorruptRecordError(`negative lastOffsetDelta ${lastOffsetDelta}`);
  if (codec > 4) throw new CorruptRecordError(`unknown compression codec id ${codec}`);

  // The records' bytes are the batch's own (see "Owned record bytes" above): an uncompressed batch is copied out of
  // the input, as is a decompressed one that is still a view into it (an lz4 frame of one stored block). A record
  // decoded without its batch (see above) owns the whole entry: attributes 0x30 are transactional and control; the
  // base offset compared as a number (a correctly rounded sum, so the comparison with a safe integer is exact).
  const alone =
    count === 1 && codec === 0 && (attributes & 0x30) === 0 && int64AsNumber(buf, start) >= soloMinOffset;
  let data: Buffer;
  let p = 0;
  if (alone) {
    data = ownedCopy(buf, start, end);
    p = RECORD_BATCH_OVERHEAD;
  } else if (codec === 0) {
    data = ownedCopy(buf, start + RECORD_BATCH_OVERHEAD, end);
  } else {
    data = decompress(codec, buf.subarray(start + RECORD_BATCH_OVERHEAD, end), { maxBytes: maxDecompressedBytes });
    if (data.buffer === buf.buffer) data = ownedCopy(data, 0, data.length);
  }
  const dataEnd = data.length;
  // Each record takes at least 7 bytes; a larger count is corrupt (and must not drive a loop or an allocation).
  if (count > (dataEnd - p) / 7) {
    throw new CorruptRecordError(`record count ${count} cannot fit in ${dataEnd - p} bytes of records`);
  }
  let batch: RecordBatch | null = null;
  let records: KafkaRecord[] | null = null;
  let solo: KafkaRecord | null = null;
  let skipBelow = 0;
  if (!alone) {
    // The records array is sized once (the count was checked against the bytes): grown by push, a batch's array was
    // copied 4-5 times.
    batch = v2BatchFromHeader(buf, start, end - start, COMPRESSION_TYPES[codec], new Array<KafkaRecord>(count));
    skipBelow = minOffset > batch.baseOffset ? Number(minOffset - batch.baseOffset) : 0;
    records = batch.records;
  }
  let kept = 0;
  let prevOffsetDelta = -1;

  for (let i = 0; i < count; i++) {
    let b: number;
    let b2: number;
    // length
    let length: number;
    if (p < dataEnd && (b = data[p]) < 0x80) {
      length = (b >>> 1) ^ -(b & 1);
      p++;
    } else if (p + 1 < dataEnd && (b2 = data[p + 1]) < 0x80) {
      // Two bytes: lengths of 64 B to 8 KiB (a 100 B record's length and value length already take two).
      b = (data[p] & 0x7f) | (b2 << 7);
      length = (b >>> 1) ^ -(b & 1);
      p += 2;
    } else {
      length = readVarint(data, p, dataEnd, 'record length');
      p = varintEnd;
    }
    const recEnd = p + length;
    // The six fields after the length take at least one byte each.
    if (length < 6 || recEnd > dataEnd) throw new CorruptRecordError(`record ${i}: length ${length} is out of bounds`);
    p++; // record attributes: unused
    let timestampDelta: number;
    if ((b = data[p]) < 0x80) {
      timestampDelta = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      timestampDelta = readVarlong(data, p, recEnd, 'timestamp delta');
      p = varintEnd;
    }
    let offsetDelta: number;
    if (p < recEnd && (b = data[p]) < 0x80) {
      offsetDelta = (b >>> 1) ^ -(b & 1);
      p++;
    } else if (p + 1 < recEnd && (b2 = data[p + 1]) < 0x80) {
      // Two bytes: the 65th to the 8,192nd record of a batch.
      b = (data[p] & 0x7f) | (b2 << 7);
      offsetDelta = (b >>> 1) ^ -(b & 1);
      p += 2;
    } else {
      offsetDelta = readVarint(data, p, recEnd, 'offset delta');
      p = varintEnd;
    }
    // Offsets within a batch strictly increase (compaction leaves gaps) and end at lastOffsetDelta at the latest.
    if (offsetDelta <= prevOffsetDelta || offsetDelta > lastOffsetDelta) {
      throw new CorruptRecordError(`record ${i}: offset delta ${offsetDelta} out of order or beyond lastOffsetDelta ${lastOffsetDelta}`);
    }
    prevOffsetDelta = offsetDelta;
    let keyLength: number;
    if (p < recEnd && (b = data[p]) < 0x80) {
      keyLength = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      keyLength = readVarint(data, p, recEnd, 'key length');
      p = varintEnd;
    }
    const keyStart = p;
    if (keyLength > 0) p += keyLength;
    else if (keyLength < -1) throw new CorruptRecordError(`record ${i}: key length ${keyLength}`);
    let valueLength: number;
    if (p < recEnd && (b = data[p]) < 0x80) {
      valueLength = (b >>> 1) ^ -(b & 1);
      p++;
    } else if (p + 1 < recEnd && (b2 = data[p + 1]) < 0x80) {
      b = (data[p] & 0x7f) | (b2 << 7);
      valueLength = (b >>> 1) ^ -(b & 1);
      p += 2;
    } else {
      valueLength = readVarint(data, p, recEnd, 'value length');
      p = varintEnd;
    }
    const valueStart = p;
    if (valueLength > 0) p += valueLength;
    else if (valueLength < -1) throw new CorruptRecordError(`record ${i}: value length ${valueLength}`);
    let headerCount: number;
    if (p < recEnd && (b = data[p]) < 0x80) {
      headerCount = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      headerCount = readVarint(data, p, recEnd, 'header count');
      p = varintEnd;
    }
    if (headerCount < 0) throw new CorruptRecordError(`record ${i}: header count ${headerCount}`);
    const headersStart = p;
    for (let h = 0; h < headerCount; h++) {
      let hk: number;
      if (p < recEnd && (b = data[p]) < 0x80) {
        hk = (b >>> 1) ^ -(b & 1);
        p++;
      } else {
        hk = readVarint(data, p, recEnd, 'header key length');
        p = varintEnd;
      }
      if (hk < 0) throw new CorruptRecordError(`record ${i}: header ${h} has a null or negative key length`);
      p += hk;
      let hv: number;
      if (p < recEnd && (b = data[p]) < 0x80) {
        hv = (b >>> 1) ^ -(b & 1);
        p++;
      } else {
        hv = readVarint(data, p, recEnd, 'header value length');
        p = varintEnd;
      }
      if (hv > 0) p += hv;
      else if (hv < -1) throw new CorruptRecordError(`record ${i}: header ${h} value length ${hv}`);
    }
    if (p !== recEnd) {
      throw new CorruptRecordError(`record ${i}: fields take ${p - (recEnd - length)} bytes, its length says ${length}`);
    }
    if (offsetDelta >= skipBelow) {
      const record = new KafkaRecord(
        batch,
        offsetDelta,
        timestampDelta,
        data,
        keyStart,
        keyLength,
        valueStart,
        valueLength,
        headersStart,
        headerCount,
      );
      if (records !== null) records[kept++] = record;
      else solo = record;
    }
    if (i === 0 && batch !== null && batch.isControl) batch.controlType = controlTypeOf(data, keyStart, keyLength);
  }
  if (p !== dataEnd) throw new CorruptRecordError(`${dataEnd - p} bytes after the last of ${count} records`);
  if (batch === null) return solo!;
  if (kept < count) records!.length = kept;
  return batch;
}

/** A control record's key is [version int16][type int16] (KIP-98). */
function controlTypeOf(data: Buffer, keyStart: number, keyLength: number): number {
  if (keyLength < 4) throw new CorruptRecordError('control record key is shorter than 4 bytes');
  const version = data.readInt16BE(keyStart);
  if (version < 0) throw new CorruptRecordError(`control record key version ${version}`);
  return data.readInt16BE(keyStart + 2);
}
