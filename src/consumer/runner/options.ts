// The public types of consumer.run() and the checks of its options.

import { GregorError, type GregorErrorOptions } from '../../errors.js';
import type { Deserializers } from '../deserialize.js';
import type { ErrorPolicy, FailurePolicy } from '../failure-policy.js';
import type { Message } from '../message.js';

export type { ErrorPolicy };

/**
 * How records are ordered while they are handled concurrently:
 * - 'partition': at most one record (or batch) in flight per partition, in offset order.
 * - 'key': records with the same key in the same partition are handled one at a time in offset order; different
 *   keys run concurrently, even within one partition. Records with a null key form one key of their own per
 *   partition (handled in order among themselves).
 * - 'none': no order; up to `concurrency` in flight.
 */
export type Ordering = 'partition' | 'key' | 'none';

/** What run()'s eachMessage handler gets besides the message. */
export interface MessageContext {
  /** Aborted when the record's partition is revoked or lost, or when run() stops, after the drain timeout. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry... */
  readonly attempt: number;
}

/** What run()'s eachBatch handler gets besides the batch. */
export interface BatchContext<M = Message> extends MessageContext {
  /**
   * Marks the batch's records up to and including `offset` completed before the handler returns (they become
   * committable, and are not handled again if the handler then throws). A message may be given instead of an offset.
   */
  resolveOffset(offset: bigint | M): void;
}

/**
 * Records of one partition given to run()'s eachBatch handler. `M` is what the consumer delivers: Message, or a
 * ConsumerRecord with deserialized key and value when key.deserializer or value.deserializer is set.
 */
export interface Batch<M = Message> {
  /** The records' topic. */
  readonly topic: string;
  /** The records' partition. */
  readonly partition: number;
  /** In offset order. Under 'key', records of one key appear in their offset order: handle them in that order. */
  readonly messages: readonly M[];
}

/** How run() retries a failing handler before it stops with a HandlerError. */
export interface RetryPolicy {
  /** Retries after the first failure before run() stops with a HandlerError (Infinity: retry forever). Default 5. */
  retries?: number;
  /** Wait before the first retry, doubled at each retry. Default 100 ms. */
  initialBackoffMs?: number;
  /** Longest wait between retries. Default 10 000 ms. */
  maxBackoffMs?: number;
}

/**
 * run()'s options: the handler (eachMessage or eachBatch), ordering, concurrency and retries. `M` is what the
 * consumer delivers (Message, or ConsumerRecord with deserializers).
 */
export interface RunOptions<M = Message> {
  /** Called once per record. Exactly one of eachMessage and eachBatch. */
  eachMessage?: (message: M, context: MessageContext) => void | Promise<void>;
  /** Called with batches of records of one partition (see README, "run()"). */
  eachBatch?: (batch: Batch<M>, context: BatchContext<M>) => void | Promise<void>;
  /** Default 'partition'. */
  ordering?: Ordering;
  /** eachMessage: records in flight at most. eachBatch: batches in flight at most. Default 1. */
  concurrency?: number;
  /** eachBatch: records per batch at most. Default max.poll.records. */
  batchSize?: number;
  /**
   * A failing handler is retried with exponential backoff (other keys and partitions go on; the failed record's key,
   * or partition under 'partition', waits). When retries are exhausted, gregor.error.policy decides: 'stop' (run()
   * stops and rejects with a HandlerError), 'skip' (the record is logged, counted and committed as handled) or
   * 'dead-letter' (written to the dead-letter topic, then committed as handled).
   * false: stop at the first failure. Default { retries: 5, initialBackoffMs: 100, maxBackoffMs: 10000 }.
   */
  retry?: RetryPolicy | false;
  /**
   * Records taken from the consumer and not completed yet, at most; fetching pauses above. Default 10 x concurrency
   * (eachBatch: x batchSize), at least 1000 under ordering 'key' and at least 32 otherwise.
   */
  maxBufferedRecords?: number;
  /** Bytes (keys and values) of those records, at most. Default 64 MiB. */
  maxBufferedBytes?: number;
  /** How long a revoke, close() or abort waits for handlers in flight. Default 30 000 ms. */
  drainTimeoutMs?: number;
  /** Longest commit metadata (the broker's offset.metadata.max.bytes). Default 4096. */
  metadataMaxBytes?: number;
  /** Stops run(): nothing more is handed out, handlers in flight are awaited, completions committed; run() resolves. */
  signal?: AbortSignal;
}

/** Why run() was committing when a commit failed. */
export type RunCommitReason = 'periodic' | 'revoke' | 'final';

/**
 * A commit of run() failed (the consumer's 'commitFailed' event). The records stay uncommitted: after a restart or
 * rebalance they are handled again, never skipped. A periodic failure is retried at the next interval with what is
 * completed by then; a failed final commit makes run() reject with `error` (unless it already rejects for another
 * reason).
 */
export interface CommitFailedEvent {
  /** 'periodic': every auto.commit.interval.ms; 'revoke': before partitions are handed over; 'final': run() stopping. */
  readonly reason: RunCommitReason;
  /** The commit's error (a KafkaError naming the broker's answer, a TimeoutError, ...). */
  readonly error: unknown;
  /** What was not committed: each partition's next offset to read. */
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: bigint }[];
  /** Failed commits of this run() so far, this one included. */
  readonly failures: number;
}

/** A handler failed and the retry policy gave up: run() rejects with this (the record is not committed). */
export class HandlerError extends GregorError {
  /** The failed record's topic. */
  readonly topic: string;
  /** The failed record's partition. */
  readonly partition: number;
  /** The failed record (eachBatch: the first record of the batch not resolved). */
  readonly offset: bigint;
  /** How many times the handler was called for it (the first try and the retries). */
  readonly attempts: number;
  constructor(message: string, where: { topic: string; partition: number; offset: bigint; attempts: number }, options?: GregorErrorOptions) {
    super('ERR_HANDLER', message, options);
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
    this.attempts = where.attempts;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), topic: this.topic, partition: this.partition, offset: String(this.offset), attempts: this.attempts };
  }
}

export interface ResolvedRunOptions {
  eachMessage: NonNullable<RunOptions<unknown>['eachMessage']> | null;
  eachBatch: NonNullable<RunOptions<unknown>['eachBatch']> | null;
  ordering: Ordering;
  concurrency: number;
  batchSize: number;
  retries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** gregor.error.policy: after the last retry (or a failed deserialization), stop, skip or dead-letter. */
  errorPolicy: ErrorPolicy;
  /** The consumer's policy with its dead-letter sink; null: errorPolicy without a sink (tests). */
  failures: FailurePolicy | null;
  /** key.deserializer / value.deserializer; null: records are handed out as they are. */
  deserializers: Deserializers | null;
  maxBufferedRecords: number;
  maxBufferedBytes: number;
  drainTimeoutMs: number;
  metadataMaxBytes: number;
  signal: AbortSignal | null;
}

/** A run() option that is a whole number >= min (or Infinity where allowed): the value, or `dflt` when absent. */
export function count(value: unknown, name: string, dflt: number, min: number, allowInfinity = false): number {
  if (value === undefined) return dflt;
  if (typeof value === 'number' && ((Number.isInteger(value) && value >= min) || (allowInfinity && value === Infinity))) return value;
  throw new TypeError(`run(): ${name} must be an integer >= ${min}${allowInfinity ? ' or Infinity' : ''}, got ${String(value)}`);
}

export function resolveRunOptions(
  options: unknown, maxPollRecords: number, errorPolicy: ErrorPolicy = 'stop', failures: FailurePolicy | null = null,
  deserializers: Deserializers | null = null,
): ResolvedRunOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('run(): expected an options object with eachMessage or eachBatch');
  const o = options as RunOptions<unknown>;
  const known = new Set(['eachMessage', 'eachBatch', 'ordering', 'concurrency', 'batchSize', 'retry', 'maxBufferedRecords',
    'maxBufferedBytes', 'drainTimeoutMs', 'metadataMaxBytes', 'signal']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new TypeError(`run(): unknown option ${JSON.stringify(k)}`);
  const hasMessage = o.eachMessage !== undefined;
  const hasBatch = o.eachBatch !== undefined;
  if (hasMessage === hasBatch) throw new TypeError('run(): give exactly one of eachMessage and eachBatch');
  if (hasMessage && typeof o.eachMessage !== 'function') throw new TypeError('run(): eachMessage must be a function');
  if (hasBatch && typeof o.eachBatch !== 'function') throw new TypeError('run(): eachBatch must be a function');
  const ordering = o.ordering ?? 'partition';
  if (ordering !== 'partition' && ordering !== 'key' && ordering !== 'none') {
    throw new TypeError(`run(): ordering must be 'partition', 'key' or 'none', got ${JSON.stringify(ordering)}`);
  }
  const concurrency = count(o.concurrency, 'concurrency', 1, 1);
  const batchSize = count(o.batchSize, 'batchSize', maxPollRecords, 1);
  let retries = 5;
  let initialBackoffMs = 100;
  let maxBackoffMs = 10_000;
  if (o.retry === false) {
    retries = 0;
  } else if (o.retry !== undefined) {
    if (o.retry === null || typeof o.retry !== 'object') throw new TypeError('run(): retry must be an object { retries, initialBackoffMs, maxBackoffMs } or false');
    retries = count(o.retry.retries, 'retry.retries', retries, 0, true);
    initialBackoffMs = count(o.retry.initialBackoffMs, 'retry.initialBackoffMs', initialBackoffMs, 0);
    maxBackoffMs = count(o.retry.maxBackoffMs, 'retry.maxBackoffMs', Math.max(maxBackoffMs, initialBackoffMs), initialBackoffMs);
  }
  const perSlot = hasBatch ? batchSize : 1;
  // Ten records per slot taken ahead. Under 'key' at least 1000: the window is also the look-ahead for keys other than
  // a hot one (README, "Backpressure"). Otherwise at least 32: records come in runs of one partition, and a larger
  // window only keeps more records and their batches' bytes alive across collections (bench/README.md, "run(): a
  // take-ahead of 128, then 32": 1 KiB lz4 -7 to -10 % CPU per record at 128 instead of 1000).
  const takeAhead = Math.max(ordering === 'key' ? 1000 : 32, 10 * concurrency * perSlot);
  const maxBufferedRecords = count(o.maxBufferedRecords, 'maxBufferedRecords', takeAhead, 1);
  const maxBufferedBytes = count(o.maxBufferedBytes, 'maxBufferedBytes', 64 * 1024 * 1024, 1);
  const drainTimeoutMs = count(o.drainTimeoutMs, 'drainTimeoutMs', 30_000, 0);
  const metadataMaxBytes = count(o.metadataMaxBytes, 'metadataMaxBytes', 4096, 16);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('run(): signal must be an AbortSignal');
  return {
    eachMessage: (o.eachMessage ?? null) as ResolvedRunOptions['eachMessage'],
    eachBatch: (o.eachBatch ?? null) as ResolvedRunOptions['eachBatch'],
    ordering, concurrency, batchSize, retries, initialBackoffMs, maxBackoffMs, errorPolicy, failures, deserializers,
    maxBufferedRecords, maxBufferedBytes, drainTimeoutMs, metadataMaxBytes,
    signal: o.signal ?? null,
  };
}
