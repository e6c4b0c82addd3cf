// Key and value deserializers (key.deserializer, value.deserializer) and the typed record they produce.
//
// Zero cost when unset: the consumer asks `Deserializers.from(config)` once; null (no deserializer, or only 'buffer')
// leaves every delivery path exactly as it was: the lazy KafkaRecord is handed out, nothing is wrapped. With a
// deserializer, each record is wrapped in a ConsumerRecord holding the decoded key and value next to the raw record
// (`record`, `rawKey`, `rawValue`), so the bytes stay reachable for logs and for the dead-letter topic.
//
// Synchronous deserializers give a synchronous result (no promise per record); a deserializer returning a thenable
// makes that record's result a promise. A failure becomes a DeserializationError naming topic, partition, offset and
// key-or-value, with the raw bytes; what then happens is gregor.error.policy's decision, taken by the caller.

import type { ResolvedConsumerConfig } from '../config/index.js';
import type { Deserializer, DeserializerContext } from '../config/types.js';
import { DeserializationError } from './errors.js';
import type { Message, MessageHeader, TimestampType } from './message.js';

export type { Deserializer, DeserializerContext, DeserializerFunction, DeserializerName } from '../config/types.js';

/** The type a deserializer setting produces: string, unknown (json), Buffer, or the function's result. */
export type DeserializedType<S> = S extends 'string' ? string
  : S extends 'json' ? unknown
  : S extends 'buffer' ? Buffer
  : S extends (...args: never[]) => infer R ? Awaited<R>
  : Buffer;

/**
 * What the consumer hands out for the deserializer settings KS and VS (inferred from the configuration given to
 * `new Consumer()`): the raw Message when neither is set (or both are 'buffer'), else a ConsumerRecord whose key and
 * value have the deserializers' types (null for a null key or value).
 */
export type Delivered<KS, VS> = [Setting<KS> | Setting<VS>] extends [undefined | 'buffer'] ? Message
  : ConsumerRecord<DeserializedType<Setting<KS>> | null, DeserializedType<Setting<VS>> | null>;

/**
 * A setting known only as "some Deserializer" (a configuration typed ConsumerConfig, not a literal) types as unset:
 * code written before deserializers existed keeps receiving Message.
 */
type Setting<S> = [Deserializer] extends [S] ? undefined : S;

/**
 * A record with its key and value deserialized (key.deserializer, value.deserializer). Everything else reads
 * through to the raw record (`record`), whose bytes stay reachable as `rawKey` and `rawValue`.
 */
export class ConsumerRecord<K, V> {
  /** The raw record as fetched (key and value as bytes). */
  readonly record: Message;
  /** The deserialized key (null for a null key). */
  readonly key: K;
  /** The deserialized value (null for a null value: a tombstone). */
  readonly value: V;

  /** @internal made by the consumer */
  constructor(record: Message, key: K, value: V) {
    this.record = record;
    this.key = key;
    this.value = value;
  }

  /** The record's topic. */
  get topic(): string {
    return this.record.topic;
  }

  /** The record's partition. */
  get partition(): number {
    return this.record.partition;
  }

  /** The record's offset. */
  get offset(): bigint {
    return this.record.offset;
  }

  /** The offset to commit once this record is processed: offset + 1. */
  get nextOffset(): bigint {
    return this.record.nextOffset;
  }

  /** Milliseconds since the epoch (see Message.timestamp). */
  get timestamp(): number {
    return this.record.timestamp;
  }

  /** CreateTime, LogAppendTime or NoTimestampType. */
  get timestampType(): TimestampType {
    return this.record.timestampType;
  }

  /** Headers in wire order; values are bytes. */
  get headers(): readonly MessageHeader[] {
    return this.record.headers;
  }

  /** The partition leader epoch the record was appended under. */
  get leaderEpoch(): number {
    return this.record.leaderEpoch;
  }

  /** The key's bytes as fetched, or null. */
  get rawKey(): Buffer | null {
    return this.record.key;
  }

  /** The value's bytes as fetched, or null. */
  get rawValue(): Buffer | null {
    return this.record.value;
  }

  /** The last header with this key, as text; null when absent or null-valued. */
  headerString(key: string, encoding: BufferEncoding = 'utf8'): string | null {
    return this.record.headerString(key, encoding);
  }

  /** A plain object for logs and JSON output: the deserialized key and value, the rest as Message.toJSON(). */
  toJSON(): Record<string, unknown> {
    return { ...this.record.toJSON(), key: plain(this.key), value: plain(this.value) };
  }
}

function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'bigint') return v.toString();
  return v;
}

type Decode = (data: Buffer, context: DeserializerContext) => unknown;

const BUILT_IN: Readonly<Record<'string' | 'json' | 'buffer', Decode>> = {
  string: (data) => data.toString('utf8'),
  json: (data) => JSON.parse(data.toString('utf8')) as unknown,
  buffer: (data) => data,
};

/** The context a deserializer function gets; headers are parsed only if it reads them. */
class Context implements DeserializerContext {
  constructor(readonly part: 'key' | 'value', private readonly m: Message) {}
  get topic(): string {
    return this.m.topic;
  }
  get partition(): number {
    return this.m.partition;
  }
  get offset(): bigint {
    return this.m.offset;
  }
  get headers(): readonly MessageHeader[] {
    return this.m.headers;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The configured key and value deserializers of one consumer. */
export class Deserializers {
  private constructor(private readonly key: Decode | null, private readonly value: Decode | null) {}

  /** The consumer's deserializers, or null when nothing needs decoding (unset, or 'buffer'): the zero-cost path. */
  static from(config: ResolvedConsumerConfig): Deserializers | null {
    const key = decoder(config['key.deserializer']);
    const value = decoder(config['value.deserializer']);
    if (key === null && value === null) return null;
    return new Deserializers(key, value);
  }

  /**
   * The record deserialized: a ConsumerRecord (or what `make` builds: the ShareConsumer's record), or a promise of
   * one when a deserializer returned a promise. Throws (or rejects with) a DeserializationError.
   */
  apply(m: Message): ConsumerRecord<unknown, unknown> | Promise<ConsumerRecord<unknown, unknown>>;
  apply<R>(m: Message, make: (m: Message, key: unknown, value: unknown) => R): R | Promise<R>;
  apply(m: Message, make: (m: Message, key: unknown, value: unknown) => unknown = newConsumerRecord): unknown {
    const k = this.one(m, 'key');
    let v: unknown;
    try {
      v = this.one(m, 'value');
    } catch (err) {
      // The key's promise has no one to report to: the value's error is the one raised.
      if (isThenable(k)) Promise.resolve(k).catch(() => {});
      throw err;
    }
    if (!isThenable(k) && !isThenable(v)) return make(m, k, v);
    return Promise.all([
      isThenable(k) ? Promise.resolve(k).catch((err: unknown) => failed(m, 'key', err)) : k,
      isThenable(v) ? Promise.resolve(v).catch((err: unknown) => failed(m, 'value', err)) : v,
    ]).then(([key, value]) => make(m, key, value));
  }

  private one(m: Message, part: 'key' | 'value'): unknown {
    const raw = part === 'key' ? m.key : m.value;
    const decode = part === 'key' ? this.key : this.value;
    if (raw === null || decode === null) return raw;
    try {
      return decode(raw, decode === BUILT_IN.string || decode === BUILT_IN.json ? (undefined as unknown as DeserializerContext) : new Context(part, m));
    } catch (err) {
      return failed(m, part, err);
    }
  }
}

function newConsumerRecord(m: Message, key: unknown, value: unknown): ConsumerRecord<unknown, unknown> {
  return new ConsumerRecord(m, key, value);
}

function failed(m: Message, part: 'key' | 'value', err: unknown): never {
  if (err instanceof DeserializationError) throw err;
  const data = (part === 'key' ? m.key : m.value)!;
  throw new DeserializationError({ topic: m.topic, partition: m.partition, offset: m.offset, part, data }, err);
}

function decoder(d: Deserializer | undefined): Decode | null {
  if (d === undefined || d === 'buffer') return null;
  if (typeof d === 'function') return d as Decode;
  return BUILT_IN[d];
}
