// What decoding a record set produces: RecordBatch (one per v2 batch, or per top-level legacy message) holding
// KafkaRecord objects. For delivery, a data batch of one uncompressed record is decoded as its record alone
// (decode.ts, RecordSetReader.nextEntry()): the record keeps the entry's header bytes and builds its RecordBatch only
// if `batch` is read.
//
// Why records are classes with lazy getters instead of plain objects with every field filled in: on the
// development VM a Buffer view (`subarray`) costs ~50 ns, a header string ~70 ns and a BigInt ~20 ns, while the
// whole budget for a 100-byte record at 5 M records/s is 200 ns. The decoder therefore records *positions* only
// (validating every length against the record's bounds, so no getter can fail later), and `key`, `value`,
// `headers` and `offset` are built on first access and memoised. A consumer that filters on headers or skips
// records never pays for values it does not read. Views share memory with their batch's own bytes (decode.ts copies
// them out of the input): holding one record keeps its batch's bytes alive, not the Fetch response.

import { inspect } from 'node:util';
import type { CompressionType } from './compression.js';
import { readVarint, varintEnd } from './varint.js';

/** What a record's timestamp means: set by the producer (CreateTime), by the broker (LogAppendTime), or none (magic 0). */
export type TimestampType = 'NoTimestampType' | 'CreateTime' | 'LogAppendTime';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** Control record types (the `type` field of a control record's key, KIP-98). */
export const ControlType = { ABORT: 0, COMMIT: 1 } as const;

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/**
 * One decoded record. Views, not copies: see the file comment. The consumer hands these out as they are (its
 * `Message` is this class), so a delivered record is one object; hence the application-facing helpers below.
 */
export class KafkaRecord {
  /**
   * @internal The batch this record came from; null for a record decoded without its batch object (a data batch of
   * one uncompressed record, as wide topics carry: decode.ts), whose `_buf` then holds the whole entry, header
   * first, until `batch` is read and builds it from those bytes.
   */
  _batch: RecordBatch | null;
  /** @internal topic and partition of a record decoded without its batch object (else its batch's) */
  _topic = '';
  /** @internal */ _partition = -1;
  /** `offset - batch.baseOffset`, as a number: cheap arithmetic for the consumer's hot path. */
  readonly offsetDelta: number;
  /**
   * @internal `timestamp - batch.baseTimestamp`. Kept as the (small) delta because a millisecond timestamp does not
   * fit V8's small integers: a field holding it would cost a separate heap number per record.
   */
  readonly _timestampDelta: number;

  /** @internal the buffer key, value and headers live in */
  readonly _buf: Buffer;
  /** @internal */ readonly _keyStart: number;
  /** @internal -1 for a null key */ readonly _keyLength: number;
  /** @internal */ readonly _valueStart: number;
  /** @internal -1 for a null value */ readonly _valueLength: number;
  /** @internal */ readonly _headersStart: number;
  /** @internal */ readonly _headerCount: number;

  private _key: Buffer | null | undefined = undefined;
  private _value: Buffer | null | undefined = undefined;
  private _headers: readonly RecordHeader[] | undefined = undefined;
  private _offset: bigint | undefined = undefined;

  /** @internal records are created by the decoder (or by tests through it) */
  constructor(
    batch: RecordBatch | null,
    offsetDelta: number,
    timestampDelta: number,
    buf: Buffer,
    keyStart: number,
    keyLength: number,
    valueStart: number,
    valueLength: number,
    headersStart: number,
    headerCount: number,
  ) {
    this._batch = batch;
    this.offsetDelta = offsetDelta;
    this._timestampDelta = timestampDelta;
    this._buf = buf;
    this._keyStart = keyStart;
    this._keyLength = keyLength;
    this._valueStart = valueStart;
    this._valueLength = valueLength;
    this._headersStart = headersStart;
    this._headerCount = headerCount;
  }

  /**
   * Milliseconds since the epoch (-1 when the message format has none, magic 0). With LogAppendTime the broker's
   * append time, which a v2 batch carries once, as its maxTimestamp.
   */
  get timestamp(): number {
    const b = this._batch;
    if (b === null) {
      // The entry's own header: attributes bit 3 (LogAppendTime) at byte 22, baseTimestamp at 27, maxTimestamp at 35.
      const buf = this._buf;
      return (buf[22] & 0x08) !== 0 ? int64AsNumber(buf, 35) : int64AsNumber(buf, 27) + this._timestampDelta;
    }
    return b.timestampType === 'LogAppendTime' ? b.maxTimestamp : b.baseTimestamp + this._timestampDelta;
  }

  /** The batch this record came from (producer id, transactional flag, leader epoch, compression...). */
  get batch(): RecordBatch {
    return (this._batch ??= soloBatch(this));
  }

  /** The record's offset in its partition (Kafka's int64). */
  get offset(): bigint {
    if (this._offset !== undefined) return this._offset;
    const b = this._batch;
    const base = b === null ? int64AsBigInt(this._buf, 0) : b.baseOffset;
    return (this._offset = this.offsetDelta === 0 ? base : base + BigInt(this.offsetDelta));
  }

  /** A view of the key bytes, or null. */
  get key(): Buffer | null {
    if (this._key === undefined) {
      this._key = this._keyLength < 0 ? null : this._buf.subarray(this._keyStart, this._keyStart + this._keyLength);
    }
    return this._key;
  }

  /** A view of the value bytes, or null (a tombstone). */
  get value(): Buffer | null {
    if (this._value === undefined) {
      this._value =
        this._valueLength < 0 ? null : this._buf.subarray(this._valueStart, this._valueStart + this._valueLength);
    }
    return this._value;
  }

  /** Headers in wire order (keys may repeat). Values are views. */
  get headers(): readonly RecordHeader[] {
    return (this._headers ??= this._headerCount === 0 ? NO_HEADERS : parseHeaders(this._buf, this._headersStart, this._headerCount));
  }

  get timestampType(): TimestampType {
    const b = this._batch;
    if (b === null) return (this._buf[22] & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime';
    return b.timestampType;
  }

  /** The partition leader epoch the batch was appended under (-1 for legacy formats). */
  get leaderEpoch(): number {
    const b = this._batch;
    return b === null ? int32(this._buf, 12) : b.partitionLeaderEpoch;
  }

  /** The topic the record was read from ('' when the decoder was not told: DecodeOptions.topic). */
  get topic(): string {
    const b = this._batch;
    return b === null ? this._topic : b.topic;
  }

  /** The partition the record was read from (-1 when the decoder was not told). */
  get partition(): number {
    const b = this._batch;
    return b === null ? this._partition : b.partition;
  }

  /** The key decoded as text (UTF-8 unless told otherwise), or null for a null key. */
  keyString(encoding: BufferEncoding = 'utf8'): string | null {
    const key = this.key;
    return key === null ? null : key.toString(encoding);
  }

  /** The value decoded as text (UTF-8 unless told otherwise), or null for a null value (a tombstone). */
  valueString(encoding: BufferEncoding = 'utf8'): string | null {
    const value = this.value;
    return value === null ? null : value.toString(encoding);
  }

  /** The value parsed as JSON; null for a null value. Throws SyntaxError on malformed JSON. */
  valueJson<T = unknown>(): T | null {
    const value = this.value;
    return value === null ? null : (JSON.parse(value.toString('utf8')) as T);
  }

  /** The last header with this key, as text; null when absent or null-valued. */
  headerString(key: string, encoding: BufferEncoding = 'utf8'): string | null {
    const headers = this.headers;
    for (let i = headers.length - 1; i >= 0; i--) {
      const h = headers[i];
      if (h.key === key) return h.value === null ? null : h.value.toString(encoding);
    }
    return null;
  }

  /** The offset to commit once this record is processed: offset + 1 (Kafka commits the next offset to read). */
  get nextOffset(): bigint {
    return this.offset + 1n;
  }

  /** A plain object for logs and JSON output: key, value and header values as UTF-8 text, offset as a string. */
  toJSON(): Record<string, unknown> {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset.toString(),
      timestamp: this.timestamp,
      timestampType: this.timestampType,
      key: this.keyString(),
      value: this.valueString(),
      headers: this.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
    };
  }

  [inspect.custom](): object {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      timestamp: this.timestamp,
      timestampType: this.timestampType,
      key: this.key,
      value: this.value,
      headers: this.headers,
      leaderEpoch: this.leaderEpoch,
    };
  }
}

/**
 * A big-endian int32 at `p`, which the caller has checked lies within `buf`. Buffer.readInt32BE() checks the bounds
 * again and, called from the decoder's large functions, was not inlined: a call per field per batch.
 */
export function int32(buf: Buffer, p: number): number {
  return (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
}

/** An int64 as a number: exact below 2^53 (offsets, timestamps). Within `buf`, as int32(). */
export function int64AsNumber(buf: Buffer, p: number): number {
  return int32(buf, p) * 0x1_0000_0000 + (int32(buf, p + 4) >>> 0);
}

const NO_PRODUCER_ID = -1n;

/**
 * An int64 as a BigInt in one allocation while it fits a double exactly (offsets do, for ~285 years at a million
 * records/s), else readBigInt64BE's four BigInt operations; -1 (no producer id) is a shared constant. Read once
 * or twice per batch: with one-record batches (a wide topic's) that was a visible part of decoding.
 */
export function int64AsBigInt(buf: Buffer, p: number): bigint {
  const hi = buf.readInt32BE(p);
  if (hi === -1 && buf.readInt32BE(p + 4) === -1) return NO_PRODUCER_ID;
  if (hi >= -0x20_0000 && hi < 0x20_0000) return BigInt(hi * 0x1_0000_0000 + buf.readUInt32BE(p + 4));
  return buf.readBigInt64BE(p);
}

/**
 * The batch of a record decoded without one (KafkaRecord._batch null): its `_buf` is the whole entry, so the header's
 * fields are read from its first 61 bytes (decode.ts has the layout). Such a batch is uncompressed, holds this one
 * record, and is neither transactional nor a control batch (decode.ts decodes only those without a batch object).
 */
function soloBatch(record: KafkaRecord): RecordBatch {
  const buf = record._buf;
  const batch = v2BatchFromHeader(buf, 0, buf.length, 'none', [record]);
  batch.topic = record._topic;
  batch.partition = record._partition;
  return batch;
}

/**
 * The RecordBatch of the v2 batch whose header starts at `buf[start]` (the decoder checked that the header lies within
 * `buf`): one construction for decode.ts's batches and for a record that builds its batch late (soloBatch).
 */
export function v2BatchFromHeader(
  buf: Buffer,
  start: number,
  sizeInBytes: number,
  compression: CompressionType,
  records: KafkaRecord[],
): RecordBatch {
  const attributes = (buf[start + 21] << 8) | buf[start + 22];
  return new RecordBatch(
    2,
    int64AsBigInt(buf, start),
    int32(buf, start + 23),
    int32(buf, start + 12),
    int64AsBigInt(buf, start + 43),
    buf.readInt16BE(start + 51),
    int32(buf, start + 53),
    attributes,
    int64AsNumber(buf, start + 27),
    int64AsNumber(buf, start + 35),
    int32(buf, start + 57),
    sizeInBytes,
    compression,
    (attributes & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime',
    records,
  );
}

// Header bounds were validated by the decoder, so this cannot read out of range.
function parseHeaders(buf: Buffer, p: number, count: number): readonly RecordHeader[] {
  const out: RecordHeader[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const keyLength = readVarint(buf, p, buf.length, 'header key length');
    p = varintEnd;
    const key = buf.toString('utf8', p, p + keyLength);
    p += keyLength;
    const valueLength = readVarint(buf, p, buf.length, 'header value length');
    p = varintEnd;
    let value: Buffer | null = null;
    if (valueLength >= 0) {
      value = buf.subarray(p, p + valueLength);
      p += valueLength;
    }
    out[i] = { key, value };
  }
  return out;
}

/** The batch-level fields of a v2 record batch (or of a legacy message set entry). */
export class RecordBatch {
  /** 2 for record batches; 0 or 1 for legacy message sets. */
  readonly magic: number;
  readonly baseOffset: bigint;
  /** baseOffset + lastOffsetDelta: may lie beyond the last record present (compaction keeps the range). */
  readonly lastOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly partitionLeaderEpoch: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly compression: CompressionType;
  readonly timestampType: TimestampType;
  /** The first timestamp (or, with hasDeleteHorizonMs, the delete horizon: KIP-534). */
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  /** Bit 6: baseTimestamp holds the delete horizon of a compacted batch with tombstones (KIP-534). */
  readonly hasDeleteHorizonMs: boolean;
  /** The record count the batch header declares. */
  readonly count: number;
  /** Bytes the batch takes in the record set, its 12-byte log overhead included. */
  readonly sizeInBytes: number;
  /** Decoded records, in offset order (only those at or above `minOffset` when the decoder was given one). */
  readonly records: KafkaRecord[];
  /**
   * For control batches: the control record type (ControlType.ABORT = 0, COMMIT = 1; other values are KRaft-
   * internal). -1 for data batches.
   */
  controlType = -1;
  /** The topic and partition the batch was read from, when the decoder was told (DecodeOptions); '' and -1 if not. */
  topic = '';
  partition = -1;

  /** @internal created by the decoders */
  constructor(
    magic: number,
    baseOffset: bigint,
    lastOffsetDelta: number,
    partitionLeaderEpoch: number,
    producerId: bigint,
    producerEpoch: number,
    baseSequence: number,
    attributes: number,
    baseTimestamp: number,
    maxTimestamp: number,
    count: number,
    sizeInBytes: number,
    compression: CompressionType,
    timestampType: TimestampType,
    records: KafkaRecord[] = [],
  ) {
    this.magic = magic;
    this.baseOffset = baseOffset;
    this.lastOffsetDelta = lastOffsetDelta;
    // A one-record batch (common on wide topics) shares its base offset instead of allocating an equal BigInt.
    this.lastOffset = lastOffsetDelta === 0 ? baseOffset : baseOffset + BigInt(lastOffsetDelta);
    this.partitionLeaderEpoch = partitionLeaderEpoch;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    this.isTransactional = (attributes & 0x10) !== 0;
    this.isControl = (attributes & 0x20) !== 0;
    this.hasDeleteHorizonMs = (attributes & 0x40) !== 0;
    this.compression = compression;
    this.timestampType = timestampType;
    this.baseTimestamp = baseTimestamp;
    this.maxTimestamp = maxTimestamp;
    this.count = count;
    this.sizeInBytes = sizeInBytes;
    this.records = records;
  }

  /** The offset to fetch from after this batch. */
  get nextOffset(): bigint {
    return this.lastOffset + 1n;
  }

  [inspect.custom](): object {
    const { records, ...rest } = this;
    return { ...rest, records: records.length };
  }
}
