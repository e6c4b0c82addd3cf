// The record as the application sees it.
//
// A Message *is* the decoder's record: `Message` is another name for KafkaRecord (src/protocol/records/record.ts),
// which carries the application-facing helpers (keyString, valueJson, toJSON...) and reads topic and partition from
// its batch. Until the benchmark's profile (DESIGN.md, Benchmarks) a Message wrapped a KafkaRecord: two objects per
// record, a fifth of the consumer's time in the garbage collector. A subclass constructed by the decoder was tried
// too: V8 did not inline its constructor into the decoder, which cost more than the wrapper saved.
//
// The decoder keeps only positions; key, value, headers and offset are built on first access. Key, value and header
// values are Buffer views into their batch's own bytes (copied out of the Fetch response at decode time, or the
// batch's decompressed output): holding a message keeps its batch's bytes alive (~16 KiB for a Java producer's
// default batch.size), never the Fetch response, which is reused once decoded (DESIGN.md, "Who owns a response").

import { KafkaRecord, type RecordHeader, type TimestampType } from '../protocol/records/record.js';

export type { TimestampType };
/** One record header: a string key and a value (bytes, or null). Keys may repeat; order is kept. */
export type MessageHeader = RecordHeader;

/**
 * One record delivered by the consumer: topic, partition, offset, key, value, headers, timestamp, timestampType,
 * leaderEpoch, and the helpers keyString(), valueString(), valueJson(), headerString(), nextOffset, toJSON().
 */
export type Message = KafkaRecord;
/** Messages are made by the consumer (the decoder); the class is exported for `instanceof` and type positions. */
export const Message = KafkaRecord;
