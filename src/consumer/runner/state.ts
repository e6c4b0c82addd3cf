// What run()'s Runner holds and what it needs from the consumer: the host interface, the summary run() resolves
// with, and the per-partition, per-lane and per-record state the scheduler (runner.ts) works on.
//
// Shape of the data:
//   Part   one per partition met: its OffsetTracker (what is completed, what may be committed), its lanes, the
//          flights in progress, an AbortController for its handlers.
//   Lane   a FIFO of records that must be handled one at a time ('partition': one lane per partition, 'key': one per
//          key; 'none': one lane that is never busy). A lane is ready when it has records and nothing in flight.
//   Flight a handler call (one record, or a batch); it occupies one of `concurrency` slots.
// A record's offset is a number here (OffsetReader, OffsetTracker): making each record's bigint offset cost two BigInt
// allocations, which `for await` never pays.

import type { Logger } from '../../config/index.js';
import type { ProcessDiagnostics } from '../../diagnostics.js';
import { StateError } from '../../errors.js';
import { int64AsNumber } from '../../protocol/records/record.js';
import type { Histogram } from '../metrics.js';
import type { Message } from '../message.js';
import type { OffsetToCommit } from '../offsets.js';
import type { TopicPartition } from '../partition-state.js';
import { Fifo } from './fifo.js';
import type { OffsetTracker } from './offset-tracker.js';
import type { CommitFailedEvent, MessageContext } from './options.js';

/** What the runner needs from the consumer (implemented in consumer.ts). */
export interface RunnerHost {
  /** The next fetched message, or null; throws a partition's waiting error. */
  take(): Message | null;
  /** The runner is alive and came back for records (max.poll.interval.ms). */
  polled(): void;
  /** Calls the listener once when data (or an error) arrives; returns a canceller. */
  onData(listener: () => void): () => void;
  /** Committed offsets and metadata (OffsetFetch), or null without group.id (then nothing is committed). */
  committed: ((partitions: TopicPartition[]) => Promise<Map<string, { offset: bigint; metadata: string | null }>>) | null;
  commit(offsets: OffsetToCommit[]): Promise<void>;
  /** A commit failed (already logged and counted by the runner): the consumer's 'commitFailed' event. */
  commitFailed(event: CommitFailedEvent): void;
  /** Stops / restarts fetching one partition (true when the state changed). */
  pauseFetch(tp: TopicPartition): boolean;
  resumeFetch(tp: TopicPartition): void;
  /** Moves an owned partition's position (stop: records taken but not completed are read again later). */
  rewind(tp: TopicPartition, offset: bigint): void;
  autoCommitIntervalMs: number;
  logger: Logger;
  /** run() is over: the consumer is free again. Called before run()'s promise settles. */
  detach(): void;
  /**
   * Where handler durations go (messaging.process.duration); absent: not measured. Set while run() runs when the
   * consumer's metrics() is first read: calls started after that are timed.
   */
  processDuration?: Histogram;
  /** client.id and group.id, for the gregor:consumer:process diagnostics channel. */
  identity?: { clientId: string; groupId: string | null };
}

/** What run() resolves with when it stops: counts of what the handlers did. */
export interface RunSummary {
  /** Handler calls that completed (eachBatch: records of completed batches and resolved offsets). */
  completed: number;
  /** Records not handed out because the committed metadata said they were completed already. */
  skipped: number;
  /** Handler failures that were retried. */
  retries: number;
  /**
   * Records that gregor.error.policy=skip passed over (committed): their handler still failed after the retries, or
   * they could not be deserialized.
   */
  failedSkipped: number;
  /** Records written to the dead-letter topic (gregor.error.policy=dead-letter), then committed. */
  deadLettered: number;
  /** Commits that failed (each also a 'commitFailed' event and a warning); a failed final commit rejects run(). */
  commitFailures: number;
}

export interface Entry {
  readonly message: Message;
  /** The record's offset as a number (see OffsetTracker); `message.offset` is the bigint, made when read. */
  readonly offset: number;
  readonly bytes: number;
  readonly part: Part;
  readonly lane: Lane;
  attempt: number;
  /** The deserialized record (a ConsumerRecord) once made; undefined without deserializers or before. */
  typed: unknown;
  /** Counted out of the held records (completed, dropped, or given up). */
  released: boolean;
  /** performance.now() when its eachMessage call started (messaging.process.duration); -1: no call to measure. */
  startedAt: number;
}

export interface Lane {
  readonly key: string | symbol;
  readonly part: Part;
  readonly queue: Fifo<Entry>;
  /** Exclusive lanes run one flight at a time. */
  readonly exclusive: boolean;
  busy: boolean;
  inReady: boolean;
  /**
   * Exclusive lanes under eachMessage: the record in flight, and the two callbacks its handler's promise settles,
   * made once per lane (one flight at a time) instead of once per record.
   */
  flying: Entry | null;
  onDone: (() => void) | null;
  onFail: ((err: unknown) => void) | null;
  /** Records started one after the other by continueLane() while other partitions waited (runner.ts). */
  streak: number;
}

export type PartPhase = 'loading' | 'active' | 'revoking' | 'gone';

export interface Part {
  readonly tp: TopicPartition;
  readonly key: string;
  phase: PartPhase;
  tracker: OffsetTracker | null;
  /** Records taken while the committed metadata was being read. */
  waiting: Entry[];
  readonly lanes: Map<string | symbol, Lane>;
  /** 'partition' and 'none' orderings: the partition's only lane, found without a Map lookup. */
  single: Lane | null;
  ready: Fifo<Lane>;
  inReadyParts: boolean;
  /** Flights in progress; drain() waits for zero (`idle` are its waiters). */
  flights: number;
  idle: (() => void)[];
  /** The context of every first attempt (immutable, shared: a record's first call allocates nothing for it). */
  readonly firstContext: MessageContext;
  readonly retryTimers: Set<NodeJS.Timeout>;
  /** Records waiting for a retry's backoff: in no lane and not in flight. */
  readonly backingOff: Set<Entry>;
  readonly abort: AbortController;
  pausedForMetadata: boolean;
  lastCommit: { offset: bigint; metadata: string } | null;
}

/** The lane of records without a key ('key' ordering). */
export const NULL_KEY = Symbol('null key');
/** The only lane of a partition ('partition' and 'none' orderings). */
export const SINGLE_LANE = Symbol('partition lane');
/** The largest offset run() counts exactly (see OffsetTracker). */
export const MAX_SAFE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/** A new partition's state: loading its committed metadata, no lanes yet. */
export function newPart(tp: TopicPartition, key: string): Part {
  const abort = new AbortController();
  return {
    tp: { topic: tp.topic, partition: tp.partition }, key, phase: 'loading', tracker: null, waiting: [],
    lanes: new Map(), single: null, ready: new Fifo<Lane>(), inReadyParts: false, flights: 0, idle: [],
    firstContext: Object.freeze({ signal: abort.signal, attempt: 1 }), retryTimers: new Set(), backingOff: new Set(),
    abort, pausedForMetadata: false, lastCommit: null,
  };
}

/**
 * Records' offsets as numbers, from their batch's base offset (converted once per batch: records come in runs of one
 * batch) and their delta, without making the records' bigint offsets.
 */
export class OffsetReader {
  private batch: Message['batch'] | null = null;
  private base = 0;

  /** The offset of `m`; -1 beyond Number.MAX_SAFE_INTEGER. */
  of(m: Message): number {
    if (m._batch === null) {
      // A record decoded without its batch (a one-record batch): its bytes start with the entry's base offset.
      const offset = int64AsNumber(m._buf, 0) + m.offsetDelta;
      return offset <= Number.MAX_SAFE_INTEGER ? offset : -1;
    }
    const batch = m.batch;
    if (batch !== this.batch) {
      this.batch = batch;
      this.base = batch.baseOffset <= MAX_SAFE_OFFSET ? Number(batch.baseOffset) : Infinity;
    }
    const offset = this.base + m.offsetDelta;
    return offset <= Number.MAX_SAFE_INTEGER ? offset : -1;
  }
}

/** What a held record counts for maxBufferedBytes: key and value sizes (read without making their Buffer views). */
export function recordBytes(m: Message): number {
  const r = m as unknown as { _keyLength?: number; _valueLength?: number };
  if (r._valueLength !== undefined && r._keyLength !== undefined) {
    return (r._keyLength > 0 ? r._keyLength : 0) + (r._valueLength > 0 ? r._valueLength : 0) + 64;
  }
  return (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
}

/** Waits for the flights of these partitions, at most `timeoutMs` (drainTimeoutMs); then aborts their handlers' signals. */
export async function drain(parts: readonly Part[], timeoutMs: number, logger: Logger): Promise<void> {
  const busy = parts.filter((p) => p.flights > 0);
  if (busy.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    Promise.all(busy.map((p) => new Promise<void>((r) => p.idle.push(r)))).then(() => false),
    new Promise<boolean>((r) => { timer = setTimeout(() => r(true), timeoutMs); }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    logger.warn('run(): handlers still running after drainTimeoutMs; their records stay uncommitted', { partitions: parts.map((p) => p.key).join(' ') });
    for (const p of parts) {
      // Their records stay pending: the commit stops before them, and what they complete later is not committed.
      p.abort.abort(new StateError('run(): drain timed out'));
    }
  }
}

/** The gregor:consumer:process payload of a handler call (one record, or a batch's `messages`). */
export function processDiagnostics(host: RunnerHost, first: Message, messages: readonly Message[] | null, attempt: number): ProcessDiagnostics {
  return {
    clientId: host.identity?.clientId ?? '', groupId: host.identity?.groupId ?? null, topic: first.topic, partition: first.partition,
    message: messages === null ? first : null, messages, attempt,
  };
}
