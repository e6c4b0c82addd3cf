// The public types of the Consumer API and the checks of its arguments (kept apart from consumer.ts, which is the
// behaviour). Offsets are bigint (Kafka's int64); a safe integer number is accepted where the application passes one.

import type { DeadLetterSink } from './failure-policy.js';
import type { OffsetResetEvent } from './offsets.js';
import type { TopicPartition } from './partition-state.js';

// run(): its options, contexts and error live with the runner (src/consumer/runner/).
export {
  HandlerError, type Batch, type BatchContext, type CommitFailedEvent, type MessageContext, type Ordering, type RetryPolicy, type RunCommitReason, type RunOptions,
} from './runner/options.js';
import type { CommitFailedEvent } from './runner/options.js';
export type { RunSummary } from './runner/runner.js';
import type { ConnectAddressResolver } from '../network/options.js';

/** The consumer's lifecycle: idle (nothing subscribed or assigned), active, closing, closed. */
export type ConsumerState = 'idle' | 'active' | 'closing' | 'closed';

/** Called around rebalances (subscribe() only). Each callback may return a promise; the rebalance waits for it. */
export interface RebalanceListener {
  /** New partitions; their start positions are being looked up (seek() here overrides the committed offset). */
  assigned?(partitions: TopicPartition[]): void | Promise<void>;
  /**
   * Partitions taken away in an orderly rebalance; delivered offsets were committed (auto-commit); commit here (also
   * during close()). As in Java, it runs at the application's next poll: poll(), pollBatch() and iteration return
   * nothing until every rebalance callback has returned.
   */
  revoked?(partitions: TopicPartition[]): void | Promise<void>;
  /** Partitions lost (session expired, fenced, max.poll.interval.ms exceeded): another member may own them already. */
  lost?(partitions: TopicPartition[]): void | Promise<void>;
}

/** A partition for assign(), optionally with the offset to start at. */
export interface PartitionAssignment extends TopicPartition {
  /** Start here instead of the committed offset (or auto.offset.reset). */
  offset?: bigint | number;
}

/** An offset to commit with commit(): the next offset to read, per partition. */
export interface OffsetCommit extends TopicPartition {
  /** The next offset to read: the offset of the last processed message + 1. */
  offset: bigint | number;
  /** The leader epoch of the last processed message, when known (KIP-320: lets a restart detect log truncation). */
  leaderEpoch?: number;
  /** A string stored with the offset (run() keeps its own there: see README, run()). */
  metadata?: string | null;
}

/** A committed offset as committed() reads it from the group coordinator. */
export interface CommittedOffsetInfo extends TopicPartition {
  /** Null when the group has no committed offset for the partition. */
  offset: bigint | null;
  /** The leader epoch committed with the offset; -1 when none was. */
  leaderEpoch: number;
  /** The metadata string committed with the offset. */
  metadata: string | null;
}

/** A partition and a time, for offsetsForTimes(). */
export interface TimestampQuery extends TopicPartition {
  /** Milliseconds since the epoch (number, bigint or Date). */
  timestamp: number | bigint | Date;
}

/** offsetsForTimes()'s answer for one partition. */
export interface OffsetForTime extends TopicPartition {
  /** Earliest offset whose timestamp is at or after the query; null when there is none. */
  offset: bigint | null;
  /** That record's timestamp; null when there is none. */
  timestamp: number | null;
  /** The leader epoch of that record; -1 when unknown. */
  leaderEpoch: number;
}

/** lag()'s answer for one owned partition, from what the consumer already knows. */
export interface PartitionLag extends TopicPartition {
  /** The next offset the consumer will deliver; null before its start position is known. */
  position: bigint | null;
  /** From the last Fetch response (no request is made). */
  highWatermark: bigint | null;
  /** From the last Fetch response: the end of what read_committed may read. */
  lastStableOffset: bigint | null;
  /** Records between the position and the high watermark (last stable offset under read_committed). */
  lag: bigint | null;
}

/** What the Consumer's constructor takes besides the configuration: code, not properties. */
export interface ConsumerOptions {
  /**
   * Where to open the TCP connection to a broker known by an address (bootstrap or advertised): an SSH tunnel, NAT,
   * or a test's fault proxy (see NetworkOptions.connectAddress). Not a configuration property: it is code.
   */
  connectAddress?: ConnectAddressResolver;
  /**
   * gregor.error.policy=dead-letter: where failed records go instead of the built-in sink (a Producer writing to
   * gregor.dead.letter.topic with acks=all and idempotence). send() must resolve only once the record is durable.
   */
  deadLetterSink?: DeadLetterSink;
}

/** The Consumer's events (`consumer.on('assigned', (partitions) => ...)`) and their arguments. */
export interface ConsumerEvents {
  /** Partitions newly assigned by the group (subscribe() only). */
  assigned: [partitions: TopicPartition[]];
  /** Partitions taken away in an orderly rebalance. */
  revoked: [partitions: TopicPartition[]];
  /** Partitions lost without an orderly rebalance (session expired, fenced): another member may own them already. */
  lost: [partitions: TopicPartition[]];
  /** A position was reset by auto.offset.reset or a seek to the beginning or end. */
  offsetReset: [event: OffsetResetEvent];
  /** A commit of run() failed (periodic, before a revoke, or the final one); see CommitFailedEvent. */
  commitFailed: [event: CommitFailedEvent];
}

export function toOffset(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') {
    if (value >= 0n) return value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return BigInt(value);
  }
  throw new TypeError(`${what}: an offset must be a non-negative integer (bigint or safe number), got ${String(value)}`);
}

export function checkTopicPartition(tp: unknown, what: string): TopicPartition {
  const x = tp as Partial<TopicPartition> | null;
  if (x === null || typeof x !== 'object' || typeof x.topic !== 'string' || x.topic.length === 0) {
    throw new TypeError(`${what}: expected { topic, partition } with a non-empty topic name, got ${JSON.stringify(tp)}`);
  }
  if (typeof x.partition !== 'number' || !Number.isInteger(x.partition) || x.partition < 0) {
    throw new TypeError(`${what}: partition of ${JSON.stringify(x.topic)} must be an integer >= 0, got ${String(x.partition)}`);
  }
  return { topic: x.topic, partition: x.partition };
}

export function describe(tp: TopicPartition): string {
  return `${tp.topic}[${tp.partition}]`;
}
