// Encoding v2 record batches (layout in decode.ts) for the minimal producer and for tests. Not a hot path: clarity
// over speed, on top of the protocol's Writer.
//
// What the Java producer does and this mirrors: baseTimestamp is the first record's timestamp, maxTimestamp the
// largest, offset deltas count up from 0, and the CRC32C covers attributes to the end of the batch. Compressed
// batches compress the records section only, never the 61-byte header.

import { Writer } from '../primitives.js';
import { compress, compressionId, type CompressionType } from './compression.js';
import { crc32c } from './crc32c.js';
import { RECORD_BATCH_OVERHEAD } from './decode.js';
import { sizeOfVarint } from './varint.js';

type Bytes = Buffer | Uint8Array | string;

export interface RecordToEncode {
  key?: Bytes | null;
  value?: Bytes | null;
  headers?: ReadonlyArray<{ key: string; value?: Bytes | null }>;
  /** Milliseconds since the epoch; default Date.now(). */
  timestamp?: number;
  /** Default: the record's index. Tests set gaps to imitate compacted batches. */
  offsetDelta?: number;
}

export interface EncodeBatchOptions {
  baseOffset?: bigint;
  records: readonly RecordToEncode[];
  compression?: CompressionType;
  partitionLeaderEpoch?: number;
  /** Default -1n (no idempotence). */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  /** LogAppendTime is set by brokers; producers write CreateTime (the default). */
  timestampType?: 'CreateTime' | 'LogAppendTime';
  /** Default: the largest offset delta. */
  lastOffsetDelta?: number;
  /** Sets bit 6 and writes this as baseTimestamp (KIP-534); for tests of compacted data. */
  deleteHorizonMs?: number;
}

export interface EncodeControlBatchOptions {
  baseOffset?: bigint;
  /** ControlType.ABORT (0) or ControlType.COMMIT (1). */
  controlType: number;
  producerId: bigint;
  producerEpoch: number;
  /** The transaction coordinator's epoch, carried in the marker's value. */
  coordinatorEpoch?: number;
  partitionLeaderEpoch?: number;
  timestamp?: number;
}

function toBuffer(v: Bytes | null | undefined): Buffer | null {
  if (v == null) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
}

/** Writes one record (length-prefixed) into `w`. */
function writeRecord(w: Writer, r: RecordToEncode, timestampDelta: number, offsetDelta: number): void {
  const key = toBuffer(r.key);
  const value = toBuffer(r.value);
  const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBuffer(h.value) }));
  let size =
    1 +
    sizeOfVarint(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    (key === null ? 1 : sizeOfVarint(key.length) + key.length) +
    (value === null ? 1 : sizeOfVarint(value.length) + value.length) +
    sizeOfVarint(headers.length);
  for (const h of headers) {
    size += sizeOfVarint(h.key.length) + h.key.length + (h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length);
  }
  const before = w.length;
  w.varint(size).int8(0).varlongFromNumber(timestampDelta).varint(offsetDelta);
  if (key === null) w.varint(-1);
  else w.varint(key.length).raw(key);
  if (value === null) w.varint(-1);
  else w.varint(value.length).raw(value);
  w.varint(headers.length);
  for (const h of headers) {
    w.varint(h.key.length).raw(h.key);
    if (h.value === null) w.varint(-1);
    else w.varint(h.value.length).raw(h.value);
  }
  // The size arithmetic above and the writes must agree, or the batch would be unreadable.
  if (w.length - before !== size + sizeOfVarint(size)) throw new Error('record size mismatch (encoder bug)');
}

interface Header {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  count: number;
}

/** Assembles header + records section and back-patches length and CRC32C. */
function assemble(h: Header, recordsSection: Buffer): Buffer {
  const w = new Writer(RECORD_BATCH_OVERHEAD + recordsSection.length);
  w.int64(h.baseOffset);
  const lengthAt = w.reserve(4);
  w.int32(h.partitionLeaderEpoch).int8(2);
  const crcAt = w.reserve(4);
  w.int16(h.attributes)
    .int32(h.lastOffsetDelta)
    .int64FromNumber(h.baseTimestamp)
    .int64FromNumber(h.maxTimestamp)
    .int64(h.producerId)
    .int16(h.producerEpoch)
    .int32(h.baseSequence)
    .int32(h.count)
    .raw(recordsSection);
  w.fillLength(lengthAt);
  w.fillUInt32(crcAt, crc32c(w.view(crcAt + 4)));
  return w.finish();
}

/** Encodes one v2 record batch (the bytes of a Produce request's `records`, or of a log segment). */
export function encodeRecordBatch(opts: EncodeBatchOptions): Buffer {
  const records = opts.records;
  const codec = compressionId(opts.compression ?? 'none');
  const now = Date.now();
  const timestamps = records.map((r) => r.timestamp ?? now);
  const baseTimestamp = timestamps.length > 0 ? timestamps[0] : now;
  let maxTimestamp = timestamps.length > 0 ? timestamps[0] : -1;
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;
  let maxDelta = records.length > 0 ? 0 : -1;
  const w = new Writer(64 + records.length * 32);
  for (let i = 0; i < records.length; i++) {
    const offsetDelta = records[i].offsetDelta ?? i;
    if (offsetDelta > maxDelta) maxDelta = offsetDelta;
    writeRecord(w, records[i], timestamps[i] - baseTimestamp, offsetDelta);
  }
  const body = w.finish();
  let attributes = codec;
  if (opts.timestampType === 'LogAppendTime') attributes |= 0x08;
  if (opts.isTransactional === true) attributes |= 0x10;
  if (opts.deleteHorizonMs !== undefined) attributes |= 0x40;
  return assemble(
    {
      baseOffset: opts.baseOffset ?? 0n,
      partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
      attributes,
      lastOffsetDelta: opts.lastOffsetDelta ?? Math.max(0, maxDelta),
      baseTimestamp: opts.deleteHorizonMs ?? baseTimestamp,
      maxTimestamp,
      producerId: opts.producerId ?? -1n,
      producerEpoch: opts.producerEpoch ?? -1,
      baseSequence: opts.baseSequence ?? -1,
      count: records.length,
    },
    codec === 0 ? body : compress(codec, body),
  );
}

/**
 * Encodes a transaction marker: a control batch (transactional and control bits set) holding one control record
 * whose key is [version 0][type] and value [version 0][coordinatorEpoch] (KIP-98). Brokers write these, not
 * producers; this exists for tests of read_committed filtering.
 */
export function encodeControlBatch(opts: EncodeControlBatchOptions): Buffer {
  const timestamp = opts.timestamp ?? Date.now();
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(opts.controlType, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(opts.coordinatorEpoch ?? 0, 2);
  const w = new Writer(32);
  writeRecord(w, { key, value }, 0, 0);
  return assemble(
    {
      baseOffset: opts.baseOffset ?? 0n,
      partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
      attributes: 0x10 | 0x20,
      lastOffsetDelta: 0,
      baseTimestamp: timestamp,
      maxTimestamp: timestamp,
      producerId: opts.producerId,
      producerEpoch: opts.producerEpoch,
      baseSequence: -1,
      count: 1,
    },
    w.finish(),
  );
}
