// The records layer's public surface: what the consumer (fetcher) and the minimal producer import.

export {
  decodeRecordSet,
  RecordSetReader,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  type DecodeOptions,
  type RecordSetDecodeResult,
} from './decode.js';
export { encodeRecordBatch, encodeControlBatch, type EncodeBatchOptions, type EncodeControlBatchOptions, type RecordToEncode } from './encode.js';
export { KafkaRecord, RecordBatch, ControlType, type RecordHeader, type TimestampType } from './record.js';
export { COMPRESSION_TYPES, compressionId, codecImplementations, type CompressionType } from './compression.js';
export { crc32c, crc32, crcImplementation } from './crc32c.js';
