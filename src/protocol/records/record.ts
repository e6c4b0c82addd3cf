// What decoding a record set produces: RecordBatch (one per v2 batch, or per top-level legacy message) holding
// KafkaRecord objects.
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
  /** The batch this record came from (producer id, transactional flag, leader epoch, compression...). */
  readonly batch: RecordBatch;
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
    batch: RecordBatch,
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
    this.batch = batch;
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
    const b = this.batch;
    return b.timestampType === 'LogAppendTime' ? b.maxTimestamp : b.baseTimestamp + this._timestampDelta;
  }

  /** The record's offset in its partition (Kafka's int64). */
  get offset(): bigint {
    return (this._offset ??= this.batch.baseOffset + BigInt(this.offsetDelta));
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
    return this.batch.timestampType;
  }

  /** The partition leader epoch the batch was appended under (-1 for legacy formats). */
  get leaderEpoch(): number {
    return this.batch.partitionLeaderEpoch;
  }

  /** The topic the record was read from ('' when the decoder was not told: DecodeOptions.topic). */
  get topic(): string {
    return this.batch.topic;
  }

  /** The partition the record was read from (-1 when the decoder was not told). */
  get partition(): number {
    return this.batch.partition;
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
