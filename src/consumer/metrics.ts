// The consumer's metrics: always on, so they cost plain number increments where they are counted (per fetch, per
// fetched chunk, per commit, per rebalance; the only per-record work is one field increment on the partition's
// state, no allocation). consumer.metrics() turns them into a typed snapshot; prometheus.ts prints that snapshot.
//
// Names follow the OpenTelemetry messaging semantic conventions where one exists (messaging.client.consumed.messages,
// messaging.client.operation.duration in seconds with its advised buckets); the rest are gregor's own, under
// `gregor.consumer.` (see prometheus.ts and README, "Observability").

import type { PartitionState } from './partition-state.js';

/** Bucket bounds (seconds) the OpenTelemetry messaging conventions advise for operation durations. */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** A histogram of durations in seconds, with the bounds of DURATION_BUCKETS. */
export interface DurationHistogram {
  /** Observations. */
  count: number;
  /** Sum of the observations, in seconds. */
  sum: number;
  /** The largest observation, in seconds (0 before any). */
  max: number;
  /** Upper bounds of the buckets, in seconds (the last bucket, +Inf, is implied). */
  bounds: readonly number[];
  /** Observations per bucket (not cumulative): `bounds.length + 1` entries, the last for those above every bound. */
  counts: number[];
}

/** Per assigned (or formerly assigned) partition. */
export interface PartitionMetrics {
  /** messaging.destination.name */
  topic: string;
  /** messaging.destination.partition.id */
  partition: number;
  /** Whether this consumer owns the partition now. */
  assigned: boolean;
  /** The offset of the next record this consumer hands out; null when not known (or not owned). */
  position: bigint | null;
  /**
   * Records between the position and the high watermark (the last stable offset under read_committed) of the last
   * Fetch response, as Java's records-lag; null until both are known or when not owned.
   */
  lag: bigint | null;
  /** messaging.client.consumed.messages for this partition: records handed to the application since creation. */
  consumedMessages: number;
  /** Raw fetched bytes of this partition's fully consumed fetch chunks. */
  consumedBytes: number;
  /** Fetched bytes of this partition waiting for the application. */
  bufferedBytes: number;
}

/** A snapshot of a consumer's metrics (consumer.metrics()). Durations are in seconds, as OpenTelemetry's. */
export interface ConsumerMetrics {
  /** Attributes shared by every metric: messaging.system (always 'kafka'), the group and the client id. */
  attributes: {
    'messaging.system': 'kafka';
    /** group.id, or null without one. */
    'messaging.consumer.group.name': string | null;
    /** client.id */
    'messaging.client.id': string;
  };
  /** messaging.client.consumed.messages: records handed to the application (poll, iteration, batches, run()). */
  consumedMessages: number;
  /** gregor.consumer.consumed.bytes: raw fetched bytes of the fetch chunks the application has fully consumed. */
  consumedBytes: number;
  /** Per partition: owned ones first, then the ones owned before (their counters are kept). */
  partitions: PartitionMetrics[];
  fetch: {
    /** Fetch requests answered. */
    requests: number;
    /** Fetch requests that failed (each is retried after a backoff). */
    errors: number;
    /** messaging.client.operation.duration of Fetch requests (operation name `fetch`, type `receive`). */
    duration: DurationHistogram;
    /** gregor.consumer.fetch.bytes: raw record bytes the Fetch responses brought. */
    bytes: number;
  };
  /** gregor.consumer.buffered.bytes: fetched bytes waiting for the application. */
  bufferedBytes: number;
  commit: {
    /** OffsetCommit operations completed (each may have been retried inside). */
    commits: number;
    /** Commits that failed. */
    failures: number;
    /** messaging.client.operation.duration of commits (operation name `commit`, type `settle`), failed ones too. */
    duration: DurationHistogram;
  };
  process: {
    /**
     * messaging.process.duration: run()'s handler calls (operation name `process`), one per eachMessage record or
     * eachBatch batch, failed ones too, from the first metrics() read on: calls before it are not timed (a clock
     * read per call is ~10 % of run()'s time per record on small records, paid only once someone looks). An
     * eachMessage call started right as another ended is timed from that end (one clock read per call), so it
     * includes run()'s own bookkeeping in between: well under a microsecond.
     */
    duration: DurationHistogram;
  };
  rebalance: {
    /** Rebalances completed: assignments received (each `assigned` event). */
    rebalances: number;
    /** `revoked` events. */
    revocations: number;
    /** `lost` events. */
    losses: number;
    /** From the start of a rebalance (subscribe(), a revoke, a loss, a new subscription) to its assignment. */
    duration: DurationHistogram;
    /** Whether a rebalance is in progress now. */
    inProgress: boolean;
  };
  connections: {
    /** Open TCP connections to brokers (every lane). */
    open: number;
    /** Connection attempts made. */
    attempts: number;
    /** Connection attempts that failed (connect, TLS, ApiVersions or SASL). */
    errors: number;
  };
  /** Seconds since the last successful group heartbeat; null without group membership or before the first. */
  heartbeatAgeSeconds: number | null;
}

/** A histogram being recorded (seconds). */
export class Histogram {
  count = 0;
  sum = 0;
  max = 0;
  private readonly counts: number[] = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);

  record(seconds: number): void {
    this.count++;
    this.sum += seconds;
    if (seconds > this.max) this.max = seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.counts[i]++;
  }

  snapshot(): DurationHistogram {
    return { count: this.count, sum: this.sum, max: this.max, bounds: DURATION_BUCKETS, counts: [...this.counts] };
  }
}

/** Counters kept for a partition no longer owned (its PartitionState is gone). */
interface RetiredPartition {
  topic: string;
  partition: number;
  consumedMessages: number;
  consumedBytes: number;
}

/**
 * The consumer's counters. One per consumer, reached by every layer through the FetchBuffer they share (fetchers,
 * offsets, delivery) or the consumer itself (rebalances).
 */
export class ConsumerMeter {
  fetchRequests = 0;
  fetchErrors = 0;
  fetchBytes = 0;
  readonly fetchDuration = new Histogram();
  commits = 0;
  commitFailures = 0;
  readonly commitDuration = new Histogram();
  readonly processDuration = new Histogram();
  /**
   * Whether run()'s handler calls are timed into processDuration: from the first metrics() read on. A clock read per
   * call is ~10 % of run()'s time per record on 100-byte records, paid only once someone looks (bench/README.md).
   */
  processTimed = false;
  rebalances = 0;
  revocations = 0;
  losses = 0;
  readonly rebalanceDuration = new Histogram();
  /** performance.now() when the rebalance in progress started; -1 when none is. */
  private rebalanceStartedAt = -1;
  private readonly retired = new Map<string, RetiredPartition>();

  /** A rebalance starts (the first call counts until the assignment arrives). */
  rebalanceStarted(): void {
    if (this.rebalanceStartedAt < 0) this.rebalanceStartedAt = performance.now();
  }

  /** An assignment arrived: the rebalance in progress (if one was seen starting) is complete. */
  rebalanceCompleted(): void {
    this.rebalances++;
    if (this.rebalanceStartedAt >= 0) this.rebalanceDuration.record((performance.now() - this.rebalanceStartedAt) / 1000);
    this.rebalanceStartedAt = -1;
  }

  get rebalanceInProgress(): boolean {
    return this.rebalanceStartedAt >= 0;
  }

  /** Partitions dropped: their counters are kept (a counter must not go back when the partition returns). */
  retire(states: readonly PartitionState[]): void {
    for (const s of states) {
      if (s.consumedMessages === 0 && s.consumedBytes === 0) continue;
      const r = this.retired.get(s.key);
      if (r === undefined) {
        this.retired.set(s.key, { topic: s.topic, partition: s.partition, consumedMessages: s.consumedMessages, consumedBytes: s.consumedBytes });
      } else {
        r.consumedMessages += s.consumedMessages;
        r.consumedBytes += s.consumedBytes;
      }
      s.consumedMessages = 0;
      s.consumedBytes = 0;
    }
  }

  /** The per-partition part of a snapshot: owned partitions (with what they consumed before), then the others. */
  partitions(owned: readonly PartitionState[], readCommitted: boolean): PartitionMetrics[] {
    const out: PartitionMetrics[] = [];
    const seen = new Set<string>();
    for (const s of owned) {
      seen.add(s.key);
      const r = this.retired.get(s.key);
      out.push({
        topic: s.topic,
        partition: s.partition,
        assigned: true,
        position: s.position,
        lag: s.lag(readCommitted),
        consumedMessages: s.consumedMessages + (r?.consumedMessages ?? 0),
        consumedBytes: s.consumedBytes + (r?.consumedBytes ?? 0),
        bufferedBytes: s.bufferedBytes,
      });
    }
    for (const [key, r] of this.retired) {
      if (seen.has(key)) continue;
      out.push({ topic: r.topic, partition: r.partition, assigned: false, position: null, lag: null, consumedMessages: r.consumedMessages, consumedBytes: r.consumedBytes, bufferedBytes: 0 });
    }
    return out;
  }
}
