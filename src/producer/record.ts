// What an application hands to send(), what it gets back, and the checks between the two.
//
// Keys, values and header values are bytes: a Buffer/Uint8Array is sent as is, a string as its UTF-8 encoding,
// null as Kafka's null (length -1, which is not the same as empty). There are no serializers: encode in the
// application. Every record is checked when send() is called, so a bad record fails its own send() with a
// TypeError naming the field, and never poisons a batch.

import type { RecordToEncode } from '../protocol/records/index.js';

/** Bytes as the producer accepts them. */
export type Bytes = Buffer | Uint8Array | string;

/** A record header: a key (a string) and a value (bytes or null). Keys may repeat, as in Kafka. */
export interface ProducerHeader {
  key: string;
  value: Bytes | null;
}

/** A record for send(). */
export interface ProducerRecord {
  /** The topic to write to. */
  topic: string;
  /** Explicit partition. When absent: murmur2 of the key (Java-compatible), or sticky for keyless records. */
  partition?: number;
  /** The key (a string is UTF-8); null or absent for none. */
  key?: Bytes | null;
  /** The value (a string is UTF-8); null is a tombstone on a compacted topic. */
  value: Bytes | null;
  /** An array (keys may repeat, order kept) or an object of header key -> value. */
  headers?: readonly ProducerHeader[] | Readonly<Record<string, Bytes | null>>;
  /** CreateTime in milliseconds since the epoch (or a Date); default: when send() is called. */
  timestamp?: number | Date;
}

/** Where a record was written. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /**
   * The record's offset. -1n with acks=0 (the broker does not answer), and for a batch the broker reported as a
   * duplicate of one it already has (DUPLICATE_SEQUENCE_NUMBER: written earlier, offset not returned).
   */
  offset: bigint;
  /** The record's timestamp: CreateTime as sent, or the broker's LogAppendTime when the topic uses that. */
  timestamp: number;
}

/** A record after the checks: bytes resolved, timestamp fixed, size known. */
export interface PreparedRecord extends RecordToEncode {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  timestamp: number;
}

function toBuffer(v: unknown, what: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(`${what} must be a Buffer, a Uint8Array, a string or null, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v)}`;
}

function varintSize(n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (z >= 0x80) {
    z >>>= 7;
    size += 1;
  }
  return size;
}

const MAX_SIGNED_MS = 8_640_000_000_000_000; // the largest Date, far below int64

/**
 * Checks one record of send()/sendBatch() and resolves its bytes. `where` names it in errors ("send()",
 * "sendBatch() record 3"). Throws TypeError for anything malformed.
 */
export function prepareRecord(record: ProducerRecord, where: string, now: number): { topic: string; partition: number | undefined; prepared: PreparedRecord; size: number } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new TypeError(`${where}: expected a record { topic, value, key?, partition?, headers?, timestamp? }, got ${describe(record)}`);
  }
  const { topic, partition } = record;
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new TypeError(`${where}: topic must be a non-empty string, got ${describe(topic)}`);
  }
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff)) {
    throw new TypeError(`${where}: partition of topic '${topic}' must be an integer >= 0, got ${describe(partition)}`);
  }
  if (!('value' in record)) {
    throw new TypeError(`${where}: the record for topic '${topic}' has no value (pass value: null for a tombstone)`);
  }
  const key = toBuffer(record.key, `${where}: key`);
  const value = toBuffer(record.value, `${where}: value`);
  const headers: Array<{ key: string; value: Buffer | null }> = [];
  const given = record.headers;
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object') throw new TypeError(`${where}: headers must be an array of { key, value } or an object, got ${describe(given)}`);
    const pairs: Array<[unknown, unknown]> = Array.isArray(given)
      ? given.map((h: unknown, i: number) => {
          if (typeof h !== 'object' || h === null) throw new TypeError(`${where}: header ${i} must be { key, value }, got ${describe(h)}`);
          return [(h as ProducerHeader).key, (h as ProducerHeader).value];
        })
      : Object.entries(given);
    for (const [k, v] of pairs) {
      if (typeof k !== 'string') throw new TypeError(`${where}: a header key must be a string, got ${describe(k)}`);
      headers.push({ key: k, value: toBuffer(v, `${where}: header '${k}'`) });
    }
  }
  let timestamp = now;
  if (record.timestamp !== undefined) {
    const t = record.timestamp instanceof Date ? record.timestamp.getTime() : record.timestamp;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > MAX_SIGNED_MS) {
      throw new TypeError(`${where}: timestamp must be milliseconds since the epoch (an integer >= 0) or a valid Date, got ${describe(record.timestamp)}`);
    }
    timestamp = t;
  }
  // The record's size in a v2 batch, give or take the varint deltas (at most 10 + 5 bytes): what batch.size and
  // max.request.size are compared with.
  let size = 1 + 10 + 5 + (key === null ? 1 : varintSize(key.length) + key.length) + (value === null ? 1 : varintSize(value.length) + value.length) + varintSize(headers.length);
  for (const h of headers) {
    const kb = Buffer.byteLength(h.key, 'utf8');
    size += varintSize(kb) + kb + (h.value === null ? 1 : varintSize(h.value.length) + h.value.length);
  }
  size += varintSize(size);
  return { topic, partition, prepared: { key, value, headers, timestamp }, size };
}
