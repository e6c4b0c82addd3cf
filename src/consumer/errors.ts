// Consumer errors that name a partition. They extend the shared classes in src/errors.ts (same stable codes), adding
// the topic, partition and offset the application needs to decide what to do (seek past, seek back, stop).

import { GregorError, KafkaError } from '../errors.js';

/** Why a position was found invalid (InvalidOffsetError, the offsetReset event). */
export type InvalidOffsetReason =
  /** The broker answered OFFSET_OUT_OF_RANGE for the position. */
  | 'out-of-range'
  /** The log was truncated below the position after a leader change (KIP-320). */
  | 'truncated'
  /** The group has no committed offset for the partition. */
  | 'no-committed-offset';

/**
 * The position of a partition is not valid and auto.offset.reset is `none`, so the consumer will not choose one. The
 * partition stops being fetched until the application seeks it; other partitions keep flowing. Carries Kafka's
 * OFFSET_OUT_OF_RANGE code (1) whatever the reason, like the Java client's InvalidOffsetException family.
 */
export class InvalidOffsetError extends KafkaError {
  /** The partition's topic. */
  readonly topic: string;
  /** The partition. */
  readonly partition: number;
  /** The offset that was found invalid (null when there was none: no committed offset). */
  readonly offset: bigint | null;
  /** Why the offset is invalid. */
  readonly reason: InvalidOffsetReason;

  constructor(reason: InvalidOffsetReason, topic: string, partition: number, offset: bigint | null, detail?: string) {
    const what = reason === 'out-of-range'
      ? `offset ${offset} is out of range`
      : reason === 'truncated'
        ? `the log was truncated below offset ${offset} after a leader change`
        : 'the group has no committed offset';
    super(1, 'OFFSET_OUT_OF_RANGE',
      `${topic}[${partition}]: ${what} and auto.offset.reset is none${detail ? ` (${detail})` : ''}; seek() to continue`);
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.reason = reason;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      topic: this.topic,
      partition: this.partition,
      offset: this.offset === null ? null : this.offset.toString(),
      reason: this.reason,
    };
  }
}

/**
 * The log was truncated below the position after a leader change (KIP-320: an unclean leader election, or a lost
 * replica) and auto.offset.reset is `none`: the records after `divergentOffset` that this consumer read are no longer
 * in the log and other records may take their offsets. Java's LogTruncationException. The partition stops being
 * fetched until the application seeks it (usually to `divergentOffset`, the first offset known to diverge).
 */
export class LogTruncationError extends InvalidOffsetError {
  /** The first offset known to diverge: the new leader's end offset for the epoch of the last consumed record. */
  readonly divergentOffset: bigint;
  /** The leader epoch that end offset belongs to (the largest epoch the new leader has at or below the position's). */
  readonly divergentEpoch: number;

  constructor(topic: string, partition: number, position: bigint, divergentOffset: bigint, divergentEpoch: number) {
    super('truncated', topic, partition, position,
      `the new leader's log for leader epoch ${divergentEpoch} ends at offset ${divergentOffset}, the first divergent offset`);
    this.divergentOffset = divergentOffset;
    this.divergentEpoch = divergentEpoch;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), divergentOffset: this.divergentOffset.toString(), divergentEpoch: this.divergentEpoch };
  }
}

/**
 * A record's key or value could not be deserialized (key.deserializer / value.deserializer threw or rejected): the
 * counterpart of Java's RecordDeserializationException. poll() and iteration raise it at the record and leave the
 * position on it (seek() past it to go on), unless gregor.error.policy says skip or dead-letter; run() follows the
 * policy. `cause` is what the deserializer threw.
 */
export class DeserializationError extends GregorError {
  /** The record's topic. */
  readonly topic: string;
  /** The record's partition. */
  readonly partition: number;
  /** The record's offset. */
  readonly offset: bigint;
  /** Which deserializer failed. */
  readonly part: 'key' | 'value';
  /** The bytes it was given (a view into the fetched batch). */
  readonly data: Buffer;

  constructor(where: { topic: string; partition: number; offset: bigint; part: 'key' | 'value'; data: Buffer }, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('ERR_DESERIALIZATION', `${where.topic}[${where.partition}] offset ${where.offset}: the ${where.part} (${where.data.length} bytes) could not be deserialized: ${reason}`, { cause });
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
    this.part = where.part;
    this.data = where.data;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), topic: this.topic, partition: this.partition, offset: String(this.offset), part: this.part, bytes: this.data.length };
  }
}
