// Legacy message sets, magic 0 and 1 (pre-KIP-98 formats). Kafka 4 writes only v2 batches, but segments written
// by older brokers may still hold these, so they are decoded (never encoded).
//
// Entry layout (offsets from the entry start; plain CRC32, not CRC32C, over `magic` to the end):
//   0 offset int64 | 8 messageSize int32 | 12 crc uint32 | 16 magic int8 | 17 attributes int8
//   [18 timestamp int64, magic 1 only] | key: int32 length (-1 null) + bytes | value: int32 length (-1 null) + bytes
// attributes: bits 0-2 compression, bit 3 timestamp type (magic 1; 1 = LogAppendTime).
//
// A compressed entry is a "wrapper": its value is a compressed message set of inner (uncompressed) messages. In a
// magic 0 wrapper the inner offsets are absolute; in a magic 1 wrapper they are relative (0, 1, 2...) and the
// wrapper's offset is that of the *last* inner message (KIP-31), so absolute = wrapper - lastInner + inner. With
// LogAppendTime on a magic 1 wrapper, every inner message takes the wrapper's timestamp (KIP-32).
//
// Each top-level entry becomes one RecordBatch (like the Java client's legacy batches), without producer fields.

import { CorruptRecordError } from '../../errors.js';
import { COMPRESSION_TYPES, decompress } from './compression.js';
import { crc32 } from './crc32c.js';
import { ownedCopy } from './output-slab.js';
import { KafkaRecord, RecordBatch, type TimestampType } from './record.js';

const NO_TIMESTAMP = -1;

/** One parsed (uncompressed) message: positions only, like KafkaRecord. */
interface Message {
  offset: bigint;
  magic: number;
  attributes: number;
  timestamp: number;
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
}

/** Parses and validates the message `buf[start, end)`. */
function parseMessage(buf: Buffer, start: number, end: number, checkCrcs: boolean): Message {
  // The smallest message: the 18-byte magic 0 header, then int32 key length and int32 value length.
  if (end - start < 26) throw new CorruptRecordError('message is too short');
  const magic = buf[start + 16];
  const headerSize = magic === 0 ? 18 : 26;
  if (magic > 1 || end - start < headerSize + 8) {
    throw new CorruptRecordError(magic > 1 ? `unexpected magic ${magic} in a legacy message set` : 'message is too short');
  }
  if (checkCrcs) {
    const stored = buf.readUInt32BE(start + 12);
    const computed = crc32(buf, start + 16, end);
    if (stored !== computed) {
      throw new CorruptRecordError(
        `CRC32 mismatch in a magic ${magic} message: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`,
      );
    }
  }
  const attributes = buf[start + 17];
  const timestamp = magic === 0 ? NO_TIMESTAMP : buf.readInt32BE(start + 18) * 0x1_0000_0000 + buf.readUInt32BE(start + 22);
  let p = start + headerSize;
  const keyLength = buf.readInt32BE(p);
  p += 4;
  const keyStart = p;
  if (keyLength < -1 || p + Math.max(0, keyLength) + 4 > end) throw new CorruptRecordError(`bad key length ${keyLength}`);
  if (keyLength > 0) p += keyLength;
  const valueLength = buf.readInt32BE(p);
  p += 4;
  const valueStart = p;
  if (valueLength < -1 || p + Math.max(0, valueLength) !== end) {
    throw new CorruptRecordError(`value length ${valueLength} does not match the message size`);
  }
  return {
    offset: buf.readBigInt64BE(start),
    magic,
    attributes,
    timestamp,
    keyStart,
    keyLength,
    valueStart,
    valueLength,
  };
}

function timestampTypeOf(magic: number, attributes: number): TimestampType {
  if (magic === 0) return 'NoTimestampType';
  return (attributes & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime';
}

/** Decodes the top-level legacy entry `buf[start, end)` into one RecordBatch. */
export function decodeLegacyEntry(
  buf: Buffer,
  start: number,
  end: number,
  checkCrcs: boolean,
  maxDecompressedBytes: number,
  minOffset: bigint,
): RecordBatch {
  const wrapper = parseMessage(buf, start, end, checkCrcs);
  const codec = wrapper.attributes & 0x07;
  if (codec > 4) throw new CorruptRecordError(`unknown compression codec id ${codec}`);
  const timestampType = timestampTypeOf(wrapper.magic, wrapper.attributes);

  if (codec === 0) {
    const batch = new RecordBatch(
      wrapper.magic, wrapper.offset, 0, -1, -1n, -1, -1, 0,
      wrapper.timestamp, wrapper.timestamp, 1, end - start, 'none', timestampType,
    );
    if (wrapper.offset >= minOffset) {
      // Owned bytes (decode.ts): the message copied out of the input, its positions moved with it.
      const own = ownedCopy(buf, start, end);
      const m = { ...wrapper, keyStart: wrapper.keyStart - start, valueStart: wrapper.valueStart - start };
      batch.records.push(recordOf(batch, own, m, wrapper.timestamp));
    }
    return batch;
  }

  if (wrapper.valueLength < 0) throw new CorruptRecordError('compressed wrapper message has a null value');
  let inner = decompress(codec, buf.subarray(wrapper.valueStart, wrapper.valueStart + wrapper.valueLength), {
    maxBytes: maxDecompressedBytes,
    // Kafka clients before 0.10 wrote a wrong lz4 frame header checksum (KAFKA-3160); magic 1 fixed it.
    legacyLz4HeaderChecksum: wrapper.magic === 0,
  });
  if (inner.buffer === buf.buffer) inner = ownedCopy(inner, 0, inner.length); // an lz4 stored block's view
  const messages: Message[] = [];
  let p = 0;
  while (p < inner.length) {
    if (inner.length - p < 12) throw new CorruptRecordError('compressed message set ends inside an entry header');
    const size = inner.readInt32BE(p + 8);
    if (size < 0 || 12 + size > inner.length - p) throw new CorruptRecordError('compressed message set ends inside a message');
    const m = parseMessage(inner, p, p + 12 + size, checkCrcs);
    if ((m.attributes & 0x07) !== 0) throw new CorruptRecordError('nested compression inside a compressed message');
    messages.push(m);
    p += 12 + size;
  }
  if (messages.length === 0) throw new CorruptRecordError('compressed wrapper message holds no messages');

  // Absolute offsets (see the file comment).
  const shift = wrapper.magic === 0 ? 0n : wrapper.offset - messages[messages.length - 1].offset;
  const baseOffset = messages[0].offset + shift;
  const lastOffset = messages[messages.length - 1].offset + shift;
  const logAppend = timestampType === 'LogAppendTime';
  let maxTimestamp = NO_TIMESTAMP;
  for (const m of messages) if (m.timestamp > maxTimestamp) maxTimestamp = m.timestamp;
  if (wrapper.magic === 1) maxTimestamp = wrapper.timestamp;
  const batch = new RecordBatch(
    wrapper.magic, baseOffset, Number(lastOffset - baseOffset), -1, -1n, -1, -1, 0,
    logAppend ? wrapper.timestamp : messages[0].timestamp, maxTimestamp, messages.length, end - start,
    COMPRESSION_TYPES[codec], timestampType,
  );
  for (const m of messages) {
    const abs = m.offset + shift;
    if (abs < baseOffset) throw new CorruptRecordError('inner message offsets are not in ascending order');
    if (abs >= minOffset) batch.records.push(recordOf(batch, inner, m, logAppend ? wrapper.timestamp : m.timestamp, abs));
  }
  return batch;
}

function recordOf(batch: RecordBatch, buf: Buffer, m: Message, timestamp: number, abs = m.offset): KafkaRecord {
  // Records keep their timestamp as a delta from the batch's base timestamp (see KafkaRecord); with LogAppendTime
  // they read the batch's maxTimestamp, which is the wrapper's timestamp here.
  return new KafkaRecord(
    batch,
    Number(abs - batch.baseOffset),
    timestamp - batch.baseTimestamp,
    buf,
    m.keyStart,
    m.keyLength,
    m.valueStart,
    m.valueLength,
    0,
    0,
  );
}
