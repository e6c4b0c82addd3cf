// Offsets: the one module that sets positions from outside the delivery path, and the one that commits.
//
// - Start positions: OffsetFetch (the group's committed offset and its leader epoch), else auto.offset.reset via
//   ListOffsets (earliest, latest), else (none) an InvalidOffsetError for the application.
// - Resets: OFFSET_OUT_OF_RANGE and log truncation (KIP-320) per auto.offset.reset; seekToBeginning/End.
// - Commits: serialised (one OffsetCommit in flight, in call order). Auto-commit commits positions, that is offsets
//   of messages already handed to the application plus one, never anything only fetched; only owned partitions;
//   a manual commit commits exactly what it is given.

import { channels, traced } from '../diagnostics.js';
import { GregorError, KafkaError, StateError, TimeoutError } from '../errors.js';
import { ErrorCode, errorName, kafkaError } from '../protocol/error-codes.js';
import { authorizationFailed, fatalForCommit, leaderMoved } from '../protocol/error-kinds.js';
import type { Assignment } from './assignment.js';
import type { Cluster } from '../cluster/client.js';
import type { Coordinator } from '../cluster/coordinator.js';
import {
  ApiKey, type ListOffsetsRequestListOffsetsPartition, type OffsetCommitRequestPartition, type OffsetForLeaderEpochRequestOffsetForLeaderPartition,
} from '../protocol/index.js';
import { InvalidOffsetError, LogTruncationError, type InvalidOffsetReason } from './errors.js';
import type { FetchBuffer } from './fetch-buffer.js';
import type { Logger } from '../config/index.js';
import { partitionKey, type PartitionState, type TopicPartition } from './partition-state.js';
import { FailureStreak, backoff, sleep, withRetries, type RetryOptions } from '../cluster/retry.js';
import type { ConsumerSettings } from './settings.js';
import { responseTopicName } from './topic-ids.js';

/** Who commits: the member's identity in its group generation (classic), or the anonymous identity (assign()). */
export interface CommitIdentity {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface OffsetToCommit extends TopicPartition {
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface ListedOffset {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

/** The `offsetReset` event: a partition's position moved other than by delivery, and why. */
export interface OffsetResetEvent {
  /** The partition's topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** Position before the reset (null when there was none). */
  from: bigint | null;
  /** The new position. */
  to: bigint;
  /** Why: an invalid offset reset by auto.offset.reset, or a seek to the beginning or end. */
  reason: InvalidOffsetReason | 'seek-to-beginning' | 'seek-to-end';
}

/** Timestamps ListOffsets understands besides real times. */
/**
 * The group coordinator appends the records of one OffsetCommit (one per partition) as ONE batch to
 * __consumer_offsets, and a batch larger than that topic's max.message.bytes (the broker's message.max.bytes,
 * 1048588 by default) fails the whole request: the broker logs "Failed to write a batch of N record(s) to
 * __consumer_offsets-P because it is larger than the maximum batch size" (CoordinatorRuntime) and answers
 * UNKNOWN_SERVER_ERROR for every partition. Java's commitSync sends such a commit as one request and fails the same
 * way; gregor splits it so that each request's records stay well under the default limit.
 */
export const COMMIT_BATCH_BUDGET = 512 * 1024;
/**
 * Bytes of one offset record beside the group id, topic and metadata strings: key (version, two string lengths,
 * partition) and value (version, offset, leader epoch, metadata length, commit timestamp, flexible-version fields)
 * and the record framing (length, attributes, deltas, key/value lengths, headers), rounded up.
 */
const OFFSET_RECORD_OVERHEAD = 80;

/**
 * Splits a commit into requests whose offset records fit COMMIT_BATCH_BUDGET. The requests are not atomic together:
 * neither is one OffsetCommit for the consumer (each partition's offset is stored or fails on its own, and a commit
 * that fails is retried or its records handled again), so a commit cut short leaves every partition either at its
 * new offset or at its previous one, which at-least-once allows.
 */
export function commitChunks<T extends OffsetToCommit>(offsets: readonly T[], groupId: string, budget = COMMIT_BATCH_BUDGET): T[][] {
  const fixed = OFFSET_RECORD_OVERHEAD + Buffer.byteLength(groupId);
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let size = 0;
  for (const o of offsets) {
    const bytes = fixed + Buffer.byteLength(o.topic) + (o.metadata == null ? 0 : Buffer.byteLength(o.metadata));
    if (chunk.length > 0 && size + bytes > budget) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(o);
    size += bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

export class OffsetManager {
  /** Tail of the commit chain: commits run one at a time, in call order. */
  private commitTail: Promise<unknown> = Promise.resolve();
  /** Last offset committed by this consumer per partition, to skip auto-commits that would change nothing. */
  private readonly lastCommitted = new Map<string, bigint>();
  /** Start-position and reset work in progress per partition; position() waits on it. */
  private readonly pending = new Map<string, Promise<void>>();
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Aborts background offset work on close. */
  private readonly lifetime = new AbortController();
  onReset: (event: OffsetResetEvent) => void = () => {};

  constructor(
    private readonly client: Cluster,
    private readonly settings: ConsumerSettings,
    private readonly assignment: Assignment,
    private readonly buffer: FetchBuffer,
    private readonly coordinator: Coordinator | null,
    private readonly identity: () => CommitIdentity | null,
    private readonly logger: Logger,
    /** Called whenever partitions become fetchable, so fetchers wake up. */
    private readonly onPositionsChanged: () => void,
    /** The group's rebalance between its JoinGroup and SyncGroup answers, if one is under way (commits wait for it). */
    private readonly rebalanceRound: () => Promise<void> | null = () => null,
  ) {}

  // ---------------------------------------------------------------------------------------------------------------
  // Start positions and resets

  /**
   * Finds start positions for newly owned partitions, in the background. Retriable failures are retried until
   * they succeed or the consumer closes; a non-retriable one fails the partitions with that error.
   */
  initialize(states: readonly PartitionState[]): void {
    const todo = states.filter((s) => s.phase === 'initializing');
    if (todo.length === 0) return;
    this.track(todo, this.runUntilDone('find start positions', () => this.initializeOnce(todo), todo));
  }

  /** Resets partitions to the earliest or latest offset (seekToBeginning/End, or auto.offset.reset). */
  reset(states: readonly PartitionState[], target: 'earliest' | 'latest', reason: OffsetResetEvent['reason']): Promise<void> {
    for (const s of states) s.startReset();
    this.buffer.dropPartitions(states);
    const work = this.runUntilDone(`reset offsets to ${target}`, () => this.resetOnce(states, target, reason), states);
    this.track(states, work);
    return work;
  }

  /** Applies auto.offset.reset after OFFSET_OUT_OF_RANGE, truncation, or a missing committed offset. */
  resetByPolicy(states: readonly PartitionState[], reason: InvalidOffsetReason, detail?: string): void {
    if (states.length === 0) return;
    const policy = this.settings.autoOffsetReset;
    if (policy === 'none') {
      for (const s of states) {
        this.failPosition(s, new InvalidOffsetError(reason, s.topic, s.partition, reason === 'no-committed-offset' ? null : s.fetchOffset, detail));
      }
      return;
    }
    void this.reset(states, policy, reason);
  }

  /** auto.offset.reset=none: the partition stops until the application seeks it; the error goes to the application. */
  private failPosition(s: PartitionState, err: InvalidOffsetError): void {
    this.buffer.dropPartition(s);
    s.fail(err);
    this.buffer.pushError(err);
  }

  /** Moves a partition to an offset chosen by the application. Takes effect at once for delivery and fetching. */
  seek(state: PartitionState, offset: bigint, leaderEpoch = -1): void {
    this.buffer.dropPartition(state);
    state.moveTo(offset, leaderEpoch);
    this.onPositionsChanged();
  }

  /** Resolves when no start-position or reset work is pending for the partition. */
  async settled(state: PartitionState, deadline: number): Promise<void> {
    for (;;) {
      const work = this.pending.get(state.key);
      if (work === undefined) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`${state.topic}[${state.partition}]: the position is not known yet`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([work.catch(() => {}), new Promise<void>((r) => { timer = setTimeout(r, left); })]);
      clearTimeout(timer);
    }
  }

  private track(states: readonly PartitionState[], work: Promise<void>): void {
    for (const s of states) this.pending.set(s.key, work);
    const done = (): void => {
      for (const s of states) if (this.pending.get(s.key) === work) this.pending.delete(s.key);
    };
    work.then(done, done);
  }

  /** Retries `once` with backoff while it fails retriably; a non-retriable failure fails the partitions. */
  private async runUntilDone(what: string, once: () => Promise<void>, states: readonly PartitionState[]): Promise<void> {
    const streak = new FailureStreak(this.settings.defaultApiTimeoutMs);
    for (let attempt = 1; !this.closed; attempt++) {
      const startedAt = Date.now();
      try {
        await once();
        this.onPositionsChanged();
        return;
      } catch (err) {
        if (this.closed) return;
        const retriable = err instanceof GregorError && err.retriable;
        if (!retriable) {
          const error = err instanceof GregorError ? err : new StateError(`${what}: ${String(err)}`, { cause: err });
          this.logger.warn(`${what} failed`, { error: error.message });
          for (const s of states) {
            if (this.assignment.getByKey(s.key) === s && s.phase !== 'fetching') s.fail(error);
          }
          this.buffer.pushError(error);
          return;
        }
        this.logger.debug(`${what}: retrying`, { attempt, error: (err as Error).message });
        if (streak.fail(startedAt)) this.buffer.pushError(err as GregorError);
        try {
          await sleep(backoff(attempt, this.settings.retryBackoffMs, this.settings.retryBackoffMaxMs), this.lifetime.signal);
        } catch {
          return;
        }
      }
    }
  }

  private owned(s: PartitionState): boolean {
    return this.assignment.getByKey(s.key) === s;
  }

  private async initializeOnce(states: readonly PartitionState[]): Promise<void> {
    const todo = states.filter((s) => this.owned(s) && s.phase === 'initializing');
    if (todo.length === 0) return;
    const generations = todo.map((s) => s.generation);
    const committed = this.coordinator === null ? new Map<string, CommittedOffset>() : await this.fetchCommitted(todo, this.deadline());
    const noOffset: PartitionState[] = [];
    const toValidate: PartitionState[] = [];
    for (let i = 0; i < todo.length; i++) {
      const s = todo[i]!;
      if (!this.owned(s) || s.phase !== 'initializing' || s.generation !== generations[i]) continue;
      const c = committed.get(s.key);
      if (c !== undefined && c.offset >= 0n) {
        s.moveTo(c.offset, c.leaderEpoch);
        this.lastCommitted.set(s.key, c.offset);
        // KIP-320: a committed offset with an epoch older than the leader's is checked against the leader's log
        // before fetching from it (the log may have been truncated under it).
        const leader = this.client.leaderFor(s.topic, s.partition);
        if (c.leaderEpoch >= 0 && leader !== undefined && leader.leaderEpoch > c.leaderEpoch) {
          s.startValidating();
          toValidate.push(s);
        }
        this.logger.debug('start position from committed offset', { topic: s.topic, partition: s.partition, offset: String(c.offset) });
      } else {
        noOffset.push(s);
      }
    }
    // Started here, not left to the fetch manager: it validates only partitions whose leader epoch moves while they
    // are fetched, and would leave these waiting in 'validating' for good.
    this.validate(toValidate);
    if (noOffset.length === 0) return;
    if (this.settings.autoOffsetReset === 'none') {
      this.resetByPolicy(noOffset, 'no-committed-offset');
      return;
    }
    await this.resetOnce(noOffset, this.settings.autoOffsetReset, 'no-committed-offset');
  }

  private async resetOnce(states: readonly PartitionState[], target: 'earliest' | 'latest', reason: OffsetResetEvent['reason']): Promise<void> {
    const todo = states.filter((s) => this.owned(s) && (s.phase === 'resetting' || s.phase === 'initializing'));
    if (todo.length === 0) return;
    const generations = todo.map((s) => s.generation);
    const timestamp = target === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const found = await this.listOffsets(todo.map((s) => ({ topic: s.topic, partition: s.partition, timestamp })), this.deadline());
    for (let i = 0; i < todo.length; i++) {
      const s = todo[i]!;
      if (!this.owned(s) || s.generation !== generations[i]) continue;
      const r = found.get(s.key);
      if (r === undefined || r === null) continue;
      const from = s.position;
      s.moveTo(r.offset, r.leaderEpoch);
      this.logger.info('offset reset', { topic: s.topic, partition: s.partition, to: String(r.offset), reason });
      this.onReset({ topic: s.topic, partition: s.partition, from, to: r.offset, reason });
    }
  }

  /**
   * Checks positions against the current leader's log after a leader change (KIP-320): OffsetForLeaderEpoch with the
   * epoch of the last consumed record. When the leader's log ends below the position, the log was truncated (an
   * unclean election or a lost replica): auto.offset.reset decides, as in the Java client (a reset seeks to the
   * first offset known to diverge; none fails the partition with LogTruncationError, an InvalidOffsetError 'truncated').
   */
  validate(states: readonly PartitionState[]): void {
    const todo = states.filter((s) => s.phase === 'validating');
    if (todo.length === 0) return;
    this.track(todo, this.runUntilDone('validate positions after a leader change', () => this.validateOnce(todo), todo));
  }

  private async validateOnce(states: readonly PartitionState[]): Promise<void> {
    const todo = states.filter((s) => this.owned(s) && s.phase === 'validating');
    if (todo.length === 0) return;
    const byLeader = new Map<number, PartitionState[]>();
    const unknownLeader: PartitionState[] = [];
    for (const s of todo) {
      if (s.positionEpoch < 0) {
        s.validated(); // nothing to check against: no epoch known for the position
        continue;
      }
      const leader = this.client.leaderFor(s.topic, s.partition);
      if (leader === undefined || leader.leaderId < 0) {
        unknownLeader.push(s);
        continue;
      }
      s.leaderId = leader.leaderId;
      s.leaderEpoch = leader.leaderEpoch;
      let list = byLeader.get(leader.leaderId);
      if (list === undefined) byLeader.set(leader.leaderId, (list = []));
      list.push(s);
    }
    let stale = unknownLeader.length > 0;
    await Promise.all([...byLeader].map(async ([leaderId, list]) => {
      const generations = new Map(list.map((s) => [s, s.generation]));
      const topics = new Map<string, { topic: string; partitions: OffsetForLeaderEpochRequestOffsetForLeaderPartition[] }>();
      for (const s of list) {
        let t = topics.get(s.topic);
        if (t === undefined) topics.set(s.topic, (t = { topic: s.topic, partitions: [] }));
        t.partitions.push({ partition: s.partition, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: s.positionEpoch });
      }
      const res = await this.client.request(leaderId, ApiKey.OffsetForLeaderEpoch, { replicaId: -1, topics: [...topics.values()] });
      const undefinedEnd: PartitionState[] = [];
      const byKey = new Map(list.map((x) => [x.key, x]));
      for (const t of res.topics ?? []) {
        for (const p of t.partitions ?? []) {
          const s = byKey.get(partitionKey(t.topic, p.partition));
          if (s === undefined || !this.owned(s) || s.generation !== generations.get(s) || s.phase !== 'validating') continue;
          if (p.errorCode !== ErrorCode.NONE) {
            if (leaderMoved(p.errorCode)) {
              stale = true;
              continue;
            }
            throw kafkaError(p.errorCode, `OffsetForLeaderEpoch ${s.topic}[${s.partition}]`, null, { topic: s.topic });
          }
          const endOffset = p.endOffset;
          if (endOffset < 0n || p.leaderEpoch < 0) {
            undefinedEnd.push(s);
          } else if (s.position !== null && endOffset < s.position) {
            const from = s.position;
            if (this.settings.autoOffsetReset === 'none') {
              this.logger.warn('log truncation detected: auto.offset.reset is none, the partition waits for a seek',
                { topic: s.topic, partition: s.partition, position: String(from), divergentOffset: String(endOffset) });
              this.failPosition(s, new LogTruncationError(s.topic, s.partition, from, endOffset, p.leaderEpoch));
            } else {
              this.buffer.dropPartition(s);
              s.moveTo(endOffset, p.leaderEpoch);
              this.logger.warn('log truncation detected: position reset to the divergence point',
                { topic: s.topic, partition: s.partition, from: String(from), to: String(endOffset) });
              this.onReset({ topic: s.topic, partition: s.partition, from, to: endOffset, reason: 'truncated' });
            }
          } else {
            s.validated();
          }
        }
      }
      if (undefinedEnd.length > 0) this.resetByPolicy(undefinedEnd, 'out-of-range', 'the leader knows no end offset for the epoch');
    }));
    if (stale) {
      this.client.markStale();
      await this.client.refreshMetadata([...new Set(todo.map((s) => s.topic))]);
      throw kafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'OffsetForLeaderEpoch: the leader moved while positions were validated');
    }
  }

  private deadline(): number {
    return Date.now() + this.settings.defaultApiTimeoutMs;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // ListOffsets

  /**
   * Offsets for timestamps (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, or ms since the epoch), asked of each partition's
   * leader. Null for a partition with no record at or after the timestamp. Retries stale-leader errors.
   */
  async listOffsets(
    requests: readonly (TopicPartition & { timestamp: bigint })[],
    deadline: number,
  ): Promise<Map<string, ListedOffset | null>> {
    const result = new Map<string, ListedOffset | null>();
    let todo = [...requests];
    for (let attempt = 1; todo.length > 0; attempt++) {
      const missing = todo.filter((r) => this.client.leaderFor(r.topic, r.partition) === undefined);
      if (missing.length > 0) await this.client.refreshMetadata([...new Set(missing.map((r) => r.topic))]);
      const byLeader = new Map<number, (TopicPartition & { timestamp: bigint; epoch: number })[]>();
      const retry: typeof todo = [];
      for (const r of todo) {
        const leader = this.client.leaderFor(r.topic, r.partition);
        if (leader === undefined || leader.leaderId < 0) {
          if (this.client.partitionCount(r.topic) === undefined) {
            throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `ListOffsets ${r.topic}[${r.partition}]`);
          }
          retry.push(r);
          continue;
        }
        let list = byLeader.get(leader.leaderId);
        if (list === undefined) byLeader.set(leader.leaderId, (list = []));
        list.push({ ...r, epoch: leader.leaderEpoch });
      }
      await Promise.all([...byLeader].map(async ([leaderId, list]) => {
        try {
          const failed = await this.listOffsetsAt(leaderId, list, result);
          retry.push(...failed);
        } catch (err) {
          if (!(err instanceof GregorError && err.retriable)) throw err;
          this.client.markStale();
          retry.push(...list);
        }
      }));
      todo = retry;
      if (todo.length === 0) break;
      if (Date.now() >= deadline) {
        throw new TimeoutError(`ListOffsets: no answer for ${todo.map((r) => `${r.topic}[${r.partition}]`).join(', ')} in time`);
      }
      this.client.markStale();
      await sleep(backoff(attempt, this.settings.retryBackoffMs, this.settings.retryBackoffMaxMs), this.lifetime.signal);
      await this.client.refreshMetadata([...new Set(todo.map((r) => r.topic))]);
    }
    return result;
  }

  /** One ListOffsets to one leader; returns the requests to retry (stale leader). */
  private async listOffsetsAt(
    leaderId: number,
    list: readonly (TopicPartition & { timestamp: bigint; epoch: number })[],
    result: Map<string, ListedOffset | null>,
  ): Promise<(TopicPartition & { timestamp: bigint })[]> {
    const topics = new Map<string, { name: string; partitions: ListOffsetsRequestListOffsetsPartition[] }>();
    for (const r of list) {
      let t = topics.get(r.topic);
      if (t === undefined) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: r.partition, currentLeaderEpoch: r.epoch, timestamp: r.timestamp });
    }
    const res = await this.client.request(leaderId, ApiKey.ListOffsets, {
      replicaId: -1,
      isolationLevel: this.settings.isolationLevel === 'read_committed' ? 1 : 0,
      topics: [...topics.values()],
      timeoutMs: this.settings.requestTimeoutMs,
    });
    const retry: (TopicPartition & { timestamp: bigint })[] = [];
    // By key, not list.find(): a wide topic's reset lists thousands of partitions (10,000: ~0.9 s of find()).
    // By topic, then partition number: no key string per partition is built, hashed and compared twice.
    const unanswered = new Map<string, Map<number, TopicPartition & { timestamp: bigint }>>();
    for (const r of list) {
      let byPartition = unanswered.get(r.topic);
      if (byPartition === undefined) unanswered.set(r.topic, (byPartition = new Map()));
      byPartition.set(r.partition, r);
    }
    for (const t of res.topics ?? []) {
      const byPartition = unanswered.get(t.name);
      if (byPartition === undefined) continue;
      for (const p of t.partitions ?? []) {
        const req = byPartition.get(p.partitionIndex);
        if (req === undefined) continue;
        byPartition.delete(p.partitionIndex);
        if (p.errorCode === ErrorCode.NONE) {
          const offset = p.offset;
          result.set(partitionKey(t.name, p.partitionIndex), offset < 0n ? null : { offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch ?? -1 });
        } else if (leaderMoved(p.errorCode)) {
          retry.push(req);
        } else {
          throw kafkaError(p.errorCode, `ListOffsets ${t.name}[${p.partitionIndex}]`, null, { topic: t.name });
        }
      }
    }
    for (const byPartition of unanswered.values()) for (const r of byPartition.values()) retry.push(r);
    return retry;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // OffsetFetch

  /** The group's committed offsets (OffsetFetch, stable offsets only: KIP-447). Absent partitions have none. */
  async fetchCommitted(partitions: readonly TopicPartition[], deadline: number): Promise<Map<string, CommittedOffset>> {
    const coordinator = this.requireCoordinator('committed()');
    const byTopic = new Map<string, number[]>();
    for (const tp of partitions) {
      let list = byTopic.get(tp.topic);
      if (list === undefined) byTopic.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    await this.ensureTopicIds([...byTopic.keys()]);
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, topicId: this.client.topicId(name), partitionIndexes }));
    const groupId = coordinator.key;
    return withRetries(async () => {
      // v8+ batches groups; older versions take one group.
      const res = await coordinator.request(ApiKey.OffsetFetch, (version) => version >= 8
        ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable: true }
        : { groupId, topics: topics.map(({ name, partitionIndexes }) => ({ name, partitionIndexes })), requireStable: version >= 7 }, { deadline });
      const group = Array.isArray(res.groups) && res.groups.length > 0 ? res.groups.find((g) => g.groupId === groupId) ?? res.groups[0] : res;
      if (group === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `OffsetFetch for group ${groupId}: no answer for the group`);
      const topError = coordinator.note(group.errorCode ?? ErrorCode.NONE);
      if (topError !== ErrorCode.NONE) throw kafkaError(topError, `OffsetFetch for group ${JSON.stringify(groupId)}`, null, { group: groupId });
      const out = new Map<string, CommittedOffset>();
      for (const t of group.topics ?? []) {
        const name = responseTopicName(t, (id) => this.client.topicName(id));
        if (name === undefined) continue;
        for (const p of t.partitions ?? []) {
          const code = coordinator.note(p.errorCode ?? ErrorCode.NONE);
          if (code !== ErrorCode.NONE) throw kafkaError(code, `OffsetFetch ${name}[${p.partitionIndex}] for group ${JSON.stringify(groupId)}`, null, { topic: name, group: groupId });
          const offset = p.committedOffset;
          if (offset >= 0n) {
            out.set(partitionKey(name, p.partitionIndex), { offset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.metadata ?? null });
          }
        }
      }
      return out;
    }, this.retryOptions(`fetch committed offsets of group ${JSON.stringify(groupId)}`, deadline));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // OffsetCommit

  /** Commits exactly these offsets (manual commit). Rejects with the broker's exact error when one is not retriable. */
  commit(offsets: readonly OffsetToCommit[], deadline = this.deadline()): Promise<void> {
    // The partitions' states now, when the commit is asked, not when it leaves the queue (see commitNow()).
    const held = offsets.map((o) => this.assignment.get(o.topic, o.partition));
    const run = this.commitTail.then(() => this.timedCommit(offsets, deadline, held));
    this.commitTail = run.catch(() => {});
    return run;
  }

  /** Commits these offsets, leaving out those equal to what this consumer last committed (revoke, close). */
  commitChanged(offsets: readonly OffsetToCommit[], deadline = this.deadline()): Promise<void> {
    const changed = offsets.filter((o) => this.lastCommitted.get(partitionKey(o.topic, o.partition)) !== o.offset);
    return changed.length === 0 ? Promise.resolve() : this.commit(changed, deadline);
  }

  /**
   * Commits the positions of owned partitions (offsets of delivered messages + 1) that changed since the last
   * commit. Used by auto-commit, commit() without arguments, before a revoke and on close.
   */
  commitDelivered(states?: readonly PartitionState[], deadline = this.deadline()): Promise<void> {
    const run = this.commitTail.then(() => {
      const offsets: OffsetToCommit[] = [];
      const held: PartitionState[] = [];
      for (const s of states ?? this.assignment.all()) {
        if (!this.owned(s) || s.position === null) continue;
        if (this.lastCommitted.get(s.key) === s.position) continue;
        offsets.push({ topic: s.topic, partition: s.partition, offset: s.position, leaderEpoch: s.positionEpoch, metadata: null });
        held.push(s);
      }
      return offsets.length === 0 ? undefined : this.timedCommit(offsets, deadline, held);
    });
    this.commitTail = run.catch(() => {});
    return run;
  }

  startAutoCommit(): void {
    if (!this.settings.enableAutoCommit || this.coordinator === null || this.autoCommitTimer !== null) return;
    // One auto-commit in flight at a time, as Java's: a tick while one is in flight is skipped, so a short
    // auto.commit.interval.ms (0 is valid: commit as often as possible) cannot queue up commits faster than they end.
    let inFlight = false;
    this.autoCommitTimer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      this.commitDelivered(undefined, Date.now() + this.settings.autoCommitIntervalMs).catch((err: unknown) => {
        // Auto-commit failures are not fatal: the next interval (or the revoke/close commit) tries again.
        this.logger.warn('auto-commit failed', { error: (err as Error).message });
      }).finally(() => { inFlight = false; });
    }, this.settings.autoCommitIntervalMs);
    this.autoCommitTimer.unref();
  }

  stopAutoCommit(): void {
    if (this.autoCommitTimer !== null) clearInterval(this.autoCommitTimer);
    this.autoCommitTimer = null;
  }

  /** Forgets the commit bookkeeping of partitions no longer owned. */
  forget(states: readonly PartitionState[]): void {
    for (const s of states) {
      this.lastCommitted.delete(s.key);
      this.pending.delete(s.key);
    }
  }

  close(): void {
    this.closed = true;
    this.stopAutoCommit();
    this.lifetime.abort();
  }

  /** commitNow(), counted in the consumer's metrics (commits, failures, messaging.client.operation.duration). */
  private async timedCommit(offsets: readonly OffsetToCommit[], deadline: number, held: readonly (PartitionState | undefined)[]): Promise<void> {
    const meter = this.buffer.meter;
    const started = performance.now();
    try {
      await traced(channels.commit, () => ({
        clientId: this.settings.clientId, groupId: this.settings.groupId,
        offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      }), () => this.commitNow(offsets, deadline, held));
      meter.commits++;
    } catch (err) {
      meter.commitFailures++;
      throw err;
    } finally {
      meter.commitDuration.record((performance.now() - started) / 1000);
    }
  }

  /**
   * Commits `offsets`, asked when the member held the partition states `held` (undefined: not assigned, as under
   * assign()). Offsets are only committed by the membership that asked for them: after a rebalance or a lost session,
   * only for partitions held throughout (the same partition state). A partition lost with the session, or revoked and
   * assigned back, has a new state, and another member may have committed past these offsets meanwhile (R8 classic: a
   * commit asked on waking from a lost session waited in the commit queue behind another one, then went out in the
   * generation the member had just rejoined and set partition 0 back from 2930 to 740). The others fail the commit.
   */
  private async commitNow(offsets: readonly OffsetToCommit[], deadline: number, held: readonly (PartitionState | undefined)[]): Promise<void> {
    const coordinator = this.requireCoordinator('commit()');
    // Asked or reached between the JoinGroup and SyncGroup answers: the member's new generation is not stable yet
    // (Java's consumer cannot commit there; a commit sent then is refused with REBALANCE_IN_PROGRESS), so wait for it.
    await this.untilRebalanceRound(deadline);
    const { kept, keptHeld, dropped } = this.heldThroughout(offsets, held);
    const identity = this.identity();
    if (identity === null) throw new StateError('commit(): the consumer is not a member of its group right now (rebalancing)');
    if (kept.length > 0) {
      await this.ensureTopicIds([...new Set(kept.map((o) => o.topic))]);
      let at = 0;
      for (const chunk of commitChunks(kept, coordinator.key)) {
        await this.commitInGeneration(coordinator, identity, chunk, deadline, keptHeld.slice(at, at + chunk.length));
        at += chunk.length;
      }
    }
    if (dropped.length > 0) {
      throw new StateError(`commit(): ${dropped.join(', ')} not committed: this member no longer holds what it held when the commit was asked (a rebalance or a lost session since; another member may own them now)`);
    }
  }

  /** Splits offsets into those whose partition state is still the one held when the commit was asked, and the rest. */
  private heldThroughout(offsets: readonly OffsetToCommit[], held: readonly (PartitionState | undefined)[]):
  { kept: OffsetToCommit[]; keptHeld: (PartitionState | undefined)[]; dropped: string[] } {
    const kept: OffsetToCommit[] = [];
    const keptHeld: (PartitionState | undefined)[] = [];
    const dropped: string[] = [];
    offsets.forEach((o, i) => {
      if (this.assignment.get(o.topic, o.partition) === held[i]) {
        kept.push(o);
        keptHeld.push(held[i]);
      } else dropped.push(`${o.topic}[${o.partition}]`);
    });
    return { kept, keptHeld, dropped };
  }

  /** Waits (until `deadline` at most) for a rebalance between its JoinGroup and SyncGroup answers to end. */
  private async untilRebalanceRound(deadline: number): Promise<void> {
    const round = this.rebalanceRound();
    if (round === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([round, new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, deadline - Date.now())); })]);
    clearTimeout(timer);
  }

  /**
   * commitChunk(), once more in the member's new generation when the coordinator refused the one it was sent in
   * because a rebalance moved on meanwhile (REBALANCE_IN_PROGRESS: sent between JoinGroup and SyncGroup;
   * ILLEGAL_GENERATION: the join completed while the commit was on its way) and the member is in the new generation:
   * Java's consumer raises RebalanceInProgressException for the application to commit again after poll() finished
   * the rebalance; here the rebalance runs apart from poll(), so the commit follows it itself. Only partitions still
   * owned are committed again (a manual assign() has no generation and never gets here).
   */
  private async commitInGeneration(coordinator: Coordinator, identity: CommitIdentity, offsets: readonly OffsetToCommit[], deadline: number,
    held: readonly (PartitionState | undefined)[]): Promise<void> {
    try {
      await this.commitChunk(coordinator, identity, offsets, deadline);
    } catch (err) {
      const code = err instanceof KafkaError ? err.errorCode : ErrorCode.NONE;
      if (code !== ErrorCode.REBALANCE_IN_PROGRESS && code !== ErrorCode.ILLEGAL_GENERATION) throw err;
      await this.untilRebalanceRound(deadline);
      const now = this.identity();
      // Only partitions held throughout, by the same member (see commitNow()); the others fail the commit.
      const { kept, keptHeld, dropped } = this.heldThroughout(offsets, held);
      if (now === null || now.memberId !== identity.memberId || now.generationId === identity.generationId || kept.length === 0 || Date.now() >= deadline) throw err;
      this.logger.debug('commit refused in a generation a rebalance ended; committing in the new one', {
        error: errorName(code), from: identity.generationId, to: now.generationId, dropped: dropped.join(' '),
      });
      await this.commitInGeneration(coordinator, now, kept, deadline, keptHeld);
      if (dropped.length > 0) throw err;
    }
  }

  /** One OffsetCommit request (commitChunks): on success its partitions count as committed. */
  private async commitChunk(coordinator: Coordinator, identity: CommitIdentity, offsets: readonly OffsetToCommit[], deadline: number): Promise<void> {
    const byTopic = new Map<string, OffsetCommitRequestPartition[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (list === undefined) byTopic.set(o.topic, (list = []));
      list.push({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        committedMetadata: o.metadata ?? null,
      });
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, topicId: this.client.topicId(name), partitions }));
    const groupId = coordinator.key;
    await withRetries(async () => {
      const res = await coordinator.request(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: identity.generationId,
        memberId: identity.memberId,
        groupInstanceId: identity.groupInstanceId,
        retentionTimeMs: -1n,
        topics,
      }, { deadline });
      let retriable: GregorError | null = null;
      for (const t of res.topics ?? []) {
        const name = responseTopicName(t, (id) => this.client.topicName(id)) ?? '?';
        for (const p of t.partitions ?? []) {
          const code = coordinator.note(p.errorCode);
          if (code === ErrorCode.NONE) continue;
          // The coordinator's answer to a batch over __consumer_offsets' max.message.bytes (COMMIT_BATCH_BUDGET).
          const hint = code === ErrorCode.UNKNOWN_SERVER_ERROR
            ? ` (a request of ${offsets.length} offsets; the broker log tells whether its records exceeded __consumer_offsets' max.message.bytes)`
            : '';
          const err = kafkaError(code, `OffsetCommit ${name}[${p.partitionIndex}] for group ${JSON.stringify(groupId)}${hint}`, null, { topic: name, group: groupId });
          // Retrying cannot succeed in this generation (REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID...), or at all.
          if (!err.retriable || fatalForCommit(code)) throw err;
          retriable = err;
        }
      }
      if (retriable !== null) throw retriable;
    }, this.retryOptions(`commit offsets for group ${JSON.stringify(groupId)}`, deadline, (err) => (err as GregorError).retriable && !fatalForCommit((err as { errorCode?: number }).errorCode ?? ErrorCode.NONE)));
    for (const o of offsets) this.lastCommitted.set(partitionKey(o.topic, o.partition), o.offset);
    this.logger.debug('committed', { group: groupId, offsets: offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(' ') });
  }

  /**
   * OffsetCommit v10 and OffsetFetch v10 name topics by id only (KIP-516): the ids must be in the metadata cache
   * before such a request is built. A topic that still has no id does not exist.
   */
  private async ensureTopicIds(topics: readonly string[]): Promise<void> {
    const missing = topics.filter((t) => this.client.topicId(t) === undefined);
    if (missing.length === 0) return;
    await this.client.refreshMetadata(missing);
    for (const t of missing) {
      if (this.client.topicId(t) === undefined && this.client.partitionCount(t) === undefined) {
        const refused = this.client.topicError(t);
        // A topic the principal may not describe is not "unknown": say which it is.
        const code = refused !== undefined && authorizationFailed(refused) ? refused : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        throw kafkaError(code, `topic ${JSON.stringify(t)}`, null, { topic: t });
      }
    }
  }

  private requireCoordinator(what: string): Coordinator {
    if (this.coordinator === null) throw new StateError(`${what} needs group.id to be set`);
    return this.coordinator;
  }

  private retryOptions(what: string, deadline: number, isRetriable?: (err: unknown) => boolean): RetryOptions {
    return {
      deadline,
      retryBackoffMs: this.settings.retryBackoffMs,
      retryBackoffMaxMs: this.settings.retryBackoffMaxMs,
      signal: this.lifetime.signal,
      what,
      isRetriable: isRetriable ?? ((err: unknown) => err instanceof GregorError && err.retriable),
      onRetry: (err: unknown) => {
        this.logger.debug(`${what}: retrying`, { error: (err as Error).message, code: errorName((err as { errorCode?: number }).errorCode ?? ErrorCode.NONE) });
      },
    };
  }
}
