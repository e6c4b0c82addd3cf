// The record as the application sees it.
//
// A Message is a thin wrapper over the decoder's KafkaRecord (src/protocol/records/record.ts): the decoder keeps
// only positions, and key, value, headers and offset are built on first access. Key, value and header values are
// Buffer views into the fetched (or decompressed) batch, not copies: holding a message keeps that batch's buffer
// alive, so an application that stores messages for long should copy what it keeps (Buffer.from(message.value)).

import type { KafkaRecord, RecordHeader, TimestampType } from '../protocol/records/record.js';

export type { TimestampType };
export type MessageHeader = RecordHeader;

export class Message {
  readonly topic: string;
  readonly partition: number;
  /** @internal */
  readonly record: KafkaRecord;

  /** @internal messages are made by the consumer */
  constructor(topic: string, partition: number, record: KafkaRecord) {
    this.topic = topic;
    this.partition = partition;
    this.record = record;
  }

  /** The record's offset in its partition. */
  get offset(): bigint {
    return this.record.offset;
  }

  /** The key bytes (a view), or null. */
  get key(): Buffer | null {
    return this.record.key;
  }

  /** The value bytes (a view), or null for a tombstone. */
  get value(): Buffer | null {
    return this.record.value;
  }

  /** Headers in record order; a key may repeat (Kafka allows it). */
  get headers(): readonly MessageHeader[] {
    return this.record.headers;
  }

  /** Milliseconds since the epoch; -1 when the record has none (message format v0). */
  get timestamp(): number {
    return this.record.timestamp;
  }

  /** CreateTime (set by the producer) or LogAppendTime (set by the broker). */
  get timestampType(): TimestampType {
    return this.record.timestampType;
  }

  /** Leader epoch of the batch holding the record (KIP-101), -1 when unknown. */
  get leaderEpoch(): number {
    return this.record.leaderEpoch;
  }

  /** The key decoded as text (UTF-8 unless told otherwise), or null for a null key. */
  keyString(encoding: BufferEncoding = 'utf8'): string | null {
    const key = this.record.key;
    return key === null ? null : key.toString(encoding);
  }

  /** The value decoded as text (UTF-8 unless told otherwise), or null for a null value (a tombstone). */
  valueString(encoding: BufferEncoding = 'utf8'): string | null {
    const value = this.record.value;
    return value === null ? null : value.toString(encoding);
  }

  /** The value parsed as JSON; null for a null value. Throws SyntaxError on malformed JSON. */
  valueJson<T = unknown>(): T | null {
    const value = this.record.value;
    return value === null ? null : (JSON.parse(value.toString('utf8')) as T);
  }

  /** The last header with this key, as text; null when absent or null-valued. */
  headerString(key: string, encoding: BufferEncoding = 'utf8'): string | null {
    const headers = this.record.headers;
    for (let i = headers.length - 1; i >= 0; i--) {
      const h = headers[i];
      if (h.key === key) return h.value === null ? null : h.value.toString(encoding);
    }
    return null;
  }

  /** The offset to commit once this message is processed: offset + 1 (Kafka commits the next offset to read). */
  get nextOffset(): bigint {
    return this.record.offset + 1n;
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
}
