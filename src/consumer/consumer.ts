// The public Consumer: Kafka's consumer API, async where it does I/O, over the modules of this folder.
//
//   settings.ts       the configuration values the consumer reads
//   assignment.ts     what is owned (subscription or manual assignment), one PartitionState per partition
//   offsets.ts        start positions, seeks, resets, commits (the only writer of positions besides delivery)
//   fetch-manager.ts  routes partitions to per-broker fetchers (fetcher.ts, fetch-session.ts)
//   fetch-buffer.ts   fetched chunks waiting for the application, bounded in bytes; delivery advances positions
//   delivery.ts       handing messages out, and what the application holds (for commits and revokes)
//   api.ts            the public types of this API and the checks of its arguments
//   runner/           run(): concurrent handlers ordered per partition or key, gap-aware commits
//   group/classic.ts  classic group membership (join, sync, heartbeats, leave)
//   group/consumer-group.ts  KIP-848 membership (group.protocol=consumer: ConsumerGroupHeartbeat, reconciliation)
//
// Lifecycle: idle (constructed, nothing to read) -> active (subscribe() or assign()) -> closing -> closed. Calls
// that make no sense in the current state throw StateError. Nothing connects before subscribe()/assign().

import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { resolveConfig, type ConsumerConfig, type Logger, type ResolvedConsumerConfig } from '../config/index.js';
import type { Deserializer } from '../config/types.js';
import { channels, trace, traced, type PollDiagnostics, type RebalanceDiagnostics } from '../diagnostics.js';
import { AuthorizationError, ConfigError, GregorError, isGregorError, StateError, TimeoutError } from '../errors.js';
import { ErrorCode, kafkaError } from '../protocol/error-codes.js';
import { Assignment } from './assignment.js';
import type { Cluster } from '../cluster/client.js';
import { connectCluster, loggerFor } from '../cluster/connect.js';
import { ClientTelemetry } from '../cluster/client-telemetry.js';
import { CoordinatorType, type Coordinator } from '../cluster/coordinator.js';
import { GroupLiveness } from '../cluster/group-liveness.js';
import { sleep } from '../cluster/retry.js';
import { FetchBuffer } from './fetch-buffer.js';
import { Delivery } from './delivery.js';
import { FetchManager } from './fetch-manager.js';
import { toBrokerRegex } from './group/broker-regex.js';
import { ClassicMembership } from './group/classic.js';
import { ConsumerGroupMembership, type ConsumerGroupHost } from './group/consumer-group.js';
import type { Message } from './message.js';
import { Deserializers, type Delivered } from './deserialize.js';
import { DeserializationError } from './errors.js';
import { FailurePolicy, deadLetterSinkFactory } from './failure-policy.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, OffsetManager, type CommitIdentity, type OffsetToCommit } from './offsets.js';
import { partitionKey, type PartitionState, type TopicPartition } from './partition-state.js';
import { consumerSettings, type ConsumerSettings } from './settings.js';
import type { ConsumerMetrics } from './metrics.js';
import { consumerTelemetrySource } from './telemetry-source.js';
import { resolveRunOptions, type RunOptions } from './runner/options.js';
import { Runner, type RunnerHost, type RunSummary } from './runner/runner.js';
import {
  checkTopicPartition, describe, toOffset,
  type CommittedOffsetInfo, type ConsumerEvents, type ConsumerOptions, type ConsumerState, type OffsetCommit,
  type OffsetForTime, type PartitionAssignment, type PartitionLag, type RebalanceListener, type TimestampQuery,
} from './api.js';

export type {
  CommittedOffsetInfo, ConsumerEvents, ConsumerOptions, ConsumerState, OffsetCommit, OffsetForTime, PartitionAssignment,
  PartitionLag, RebalanceListener, TimestampQuery,
};

const ANONYMOUS: CommitIdentity = { generationId: -1, memberId: '', groupInstanceId: null };
/** Messages handed out from the buffer between two reads of the clock for the session check (see sessionLapsed()). */
const SESSION_CHECK_EVERY = 32;

/** Marks the async context of an application's rebalance listener (see callListener()). */
const listenerScope = new AsyncLocalStorage<boolean>();
const inListener = (): boolean => listenerScope.getStore() === true;

/**
 * An iteration step's `{ done: false, value }`, made by a constructor rather than an object literal. V8 may move an
 * object literal's allocation site to the old generation (allocation-site pretenuring) after a scavenge that found most
 * of its objects alive; an old step then points at a young record, which with its batch and views survives every
 * young-generation collection until a full one. In process that doubled a step's CPU (bench/README.md, "for await: a
 * step's result"); a constructor call has no allocation site to move. A function, not a class, so that its objects
 * have Object.prototype as a literal's (and an async generator's results) have: deepStrictEqual with
 * `{ done: false, value }` still holds.
 */
function yieldStep<T>(this: { done: false; value: T }, value: T): void {
  this.done = false;
  this.value = value;
}
yieldStep.prototype = Object.prototype;
const YieldStep = yieldStep as unknown as new <T>(value: T) => IteratorYieldResult<T>;

/**
 * A Kafka consumer: joins a group with subscribe() (classic or KIP-848 protocol, group.protocol) or reads the
 * partitions given to assign(), and hands out records through poll(), `for await`, batches() or run(). Configured
 * by Kafka property names (ConsumerConfig, or the result of resolveConfig()). Emits `assigned`, `revoked`, `lost`
 * and `offsetReset` (ConsumerEvents). close() leaves the group and commits the final offsets.
 */
export class Consumer<KS extends Deserializer | undefined = Deserializer, VS extends Deserializer | undefined = Deserializer>
  extends EventEmitter<ConsumerEvents> implements AsyncIterable<Delivered<KS, VS>> {
  /** The resolved configuration (secrets are redacted when printed). */
  readonly config: ResolvedConsumerConfig;
  private readonly settings: ConsumerSettings;
  private readonly logger: Logger;
  private readonly client: Cluster;
  private readonly assignmentState = new Assignment();
  private readonly buffer: FetchBuffer;
  private readonly coordinator: Coordinator | null;
  /** The heartbeat thread of the group membership (started by the first heartbeat). */
  private readonly liveness: GroupLiveness | null;
  private readonly offsets: OffsetManager;
  private readonly fetches: FetchManager;
  /** KIP-714 client telemetry (enable.metrics.push), started with the first subscribe() or assign(). */
  private readonly telemetry: ClientTelemetry | null;
  private membership: ClassicMembership | ConsumerGroupMembership | null = null;
  private listener: RebalanceListener | null = null;
  private lifecycle: ConsumerState = 'idle';
  private closing: Promise<void> | null = null;
  /**
   * Set while a rebalance callback (assigned, revoked, lost) runs, application listener included: poll(), pollBatch()
   * and iteration wait for it before handing out anything, as Java runs the listener inside poll(). Without it the
   * application's loop ran beside a revoked listener and could commit a snapshot that still held the revoked
   * partitions after the listener's own commit (seen in group/scale.test as a commit by a member that no longer owned
   * the partition).
   */
  private rebalanceGate: Promise<void> | null = null;
  private readonly delivery: Delivery;
  private unsubscribing = false;
  private readonly reportedTopics = new Set<string>();
  private failedCommits = 0;
  /** run() in progress: it owns delivery and commits until it settles. */
  private runner: Runner | null = null;
  /** The running run()'s host, while it runs: metrics() gives it the process-duration histogram when first read. */
  private runnerHostInUse: RunnerHost | null = null;
  /** Iterators (for await, batches()) handed out and not finished: run() refuses to start beside them. */
  private openIterators = 0;
  /** Messages left to hand out before sessionLapsed() reads the clock again (0: on the next one). */
  private sessionCheckIn = 0;
  /**
   * The error that ended this consumer's use (credentials or TLS refused, the membership fenced or failed for good):
   * every later poll(), iteration step, pollBatch(), commit() and run() rejects with it until close(), as Java's
   * consumer throws on every poll. Reported once, it would leave later polls returning null like an idle topic.
   */
  private fatalError: GregorError | null = null;
  /** key.deserializer / value.deserializer; null when records are handed out as fetched (the zero-cost path). */
  private readonly deserializers: Deserializers | null;
  /** gregor.error.policy with its dead-letter sink. */
  private readonly failures: FailurePolicy;

  /**
   * @param config Kafka's property names ('bootstrap.servers', 'group.id', ...) with values, or a configuration
   *   resolved by resolveConfig(). Unknown or invalid properties throw ConfigError naming the closest valid one.
   *   key.deserializer and value.deserializer type what is delivered (Delivered): a resolved configuration types
   *   as raw Messages whatever it holds.
   */
  constructor(config: (ConsumerConfig & { 'key.deserializer'?: KS; 'value.deserializer'?: VS }) | ResolvedConsumerConfig, options: ConsumerOptions = {}) {
    super();
    this.config = resolveConfig('consumer', config);
    this.settings = consumerSettings(this.config);
    this.deserializers = Deserializers.from(this.config);
    // One logger from the configuration (gregor.logger or stderr, one rate limit) for every layer of this consumer.
    const logger = loggerFor(this.config);
    this.logger = logger;
    let sink = options.deadLetterSink ?? null;
    if (this.settings.errorPolicy === 'dead-letter' && sink === null) {
      const factory = deadLetterSinkFactory();
      if (factory === null) throw new ConfigError('gregor.error.policy=dead-letter needs the dead-letter sink: import the Consumer from the package (\'gregor\'), or pass ConsumerOptions.deadLetterSink');
      sink = factory(this.config);
    }
    this.failures = new FailurePolicy(this.settings.errorPolicy, sink, logger);
    this.client = connectCluster(this.config, { logger, connectAddress: options.connectAddress });
    this.buffer = new FetchBuffer(this.settings.fetchBufferBytes);
    // Group traffic goes on the 'group' lane, so a long-polling Fetch never delays a heartbeat.
    this.coordinator = this.settings.groupId === null ? null : this.client.coordinator(CoordinatorType.GROUP, this.settings.groupId, 'group');
    this.offsets = new OffsetManager(
      this.client, this.settings, this.assignmentState, this.buffer, this.coordinator,
      () => this.commitIdentity(), logger, () => this.fetches.update(),
      () => (this.assignmentState.mode === 'subscribe' && this.membership instanceof ClassicMembership ? this.membership.rebalanceRound() : null),
    );
    this.offsets.onReset = (event) => this.emit('offsetReset', event);
    this.delivery = new Delivery(this.buffer, () => this.lifecycle === 'closing' || this.lifecycle === 'closed');
    this.liveness = this.coordinator === null ? null : new GroupLiveness(this.client, this.delivery.activity.buffer as SharedArrayBuffer, this.delivery.activityBase, this.client.logger);
    this.fetches = new FetchManager(this.client, this.settings, this.buffer, this.assignmentState, this.offsets, logger);
    this.telemetry = this.settings.enableMetricsPush
      ? new ClientTelemetry(this.client, consumerTelemetrySource(() => this.metrics(), () => ({
        groupId: this.settings.groupId,
        groupInstanceId: this.settings.groupInstanceId,
        memberId: this.membership?.commitIdentity()?.memberId ?? null,
        clientRack: this.settings.clientRack,
      })), { scope: { name: 'gregor', version: this.client.networkOptions.clientSoftwareVersion }, logger })
      : null;
  }

  /** idle, active, closing or closed. */
  get state(): ConsumerState {
    return this.lifecycle;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // What to read

  /**
   * Joins the consumer group (group.id) and reads the partitions it assigns: of these topics, or of every topic
   * matching the pattern (checked again every metadata.max.age.ms). Calling it again changes the subscription.
   */
  subscribe(topics: readonly string[] | RegExp, listener?: RebalanceListener): void {
    this.checkOpen('subscribe()');
    if (this.assignmentState.mode === 'assign') {
      throw new StateError('subscribe(): the consumer has a manual assignment; call unsubscribe() first (assign() and subscribe() are exclusive)');
    }
    if (this.coordinator === null) throw new StateError('subscribe() needs group.id: partitions are assigned by a consumer group');
    // KIP-848: the broker evaluates a pattern with RE2/J; refuse what it cannot express before changing anything.
    if (this.settings.groupProtocol === 'consumer' && topics instanceof RegExp) toBrokerRegex(topics);
    if (topics instanceof RegExp) {
      this.assignmentState.pattern = topics;
      this.assignmentState.topics = [];
    } else {
      if (!Array.isArray(topics) || topics.length === 0) {
        throw new TypeError('subscribe(): expected a non-empty array of topic names or a RegExp');
      }
      for (const t of topics) {
        if (typeof t !== 'string' || t.length === 0) throw new TypeError(`subscribe(): topic names must be non-empty strings, got ${JSON.stringify(t)}`);
      }
      this.assignmentState.pattern = null;
      this.assignmentState.topics = [...new Set(topics)];
    }
    this.listener = listener ?? null;
    this.reportedTopics.clear();
    this.delivery.resetPollClock();
    this.buffer.meter.rebalanceStarted();
    if (this.membership !== null) {
      this.membership.requestRejoin('the subscription changed');
      return;
    }
    this.assignmentState.mode = 'subscribe';
    this.lifecycle = 'active';
    this.membership = this.settings.groupProtocol === 'consumer'
      ? new ConsumerGroupMembership(this.membershipHost(), this.coordinator)
      : new ClassicMembership(this.membershipHost(), this.coordinator);
    this.membership.start();
    this.fetches.start();
    this.offsets.startAutoCommit();
    this.telemetry?.start();
  }

  /**
   * Reads exactly these partitions, without group membership (commits still go to group.id when set). Replaces the
   * previous assignment. A partition given an offset starts there; the others at the committed offset, else per
   * auto.offset.reset.
   */
  assign(partitions: readonly PartitionAssignment[]): void {
    this.checkOpen('assign()');
    if (this.runner !== null) throw new StateError('assign(): not allowed while run() is processing (stop it with its signal first)');
    if (this.assignmentState.mode === 'subscribe') {
      throw new StateError('assign(): the consumer is subscribed; call unsubscribe() first (assign() and subscribe() are exclusive)');
    }
    if (!Array.isArray(partitions)) throw new TypeError('assign(): expected an array of { topic, partition, offset? }');
    const wanted = new Map<string, PartitionAssignment>();
    for (const p of partitions) {
      const tp = checkTopicPartition(p, 'assign()');
      const offset = p.offset === undefined ? undefined : toOffset(p.offset, `assign() ${describe(tp)}`);
      wanted.set(partitionKey(tp.topic, tp.partition), { ...tp, offset });
    }
    const removed = this.assignmentState.all().filter((s) => !wanted.has(s.key));
    if (removed.length > 0) {
      this.commitOnRemoval(removed);
      this.drop(removed);
    }
    const added = this.assignmentState.add([...wanted.values()]);
    const toInitialize: PartitionState[] = [];
    for (const s of added) {
      const offset = wanted.get(s.key)?.offset;
      if (offset === undefined) toInitialize.push(s);
      else this.offsets.seek(s, offset as bigint);
    }
    this.offsets.initialize(toInitialize);
    this.assignmentState.mode = this.assignmentState.size > 0 ? 'assign' : 'none';
    this.lifecycle = 'active';
    this.delivery.resetPollClock();
    this.fetches.start();
    this.fetches.update();
    if (this.coordinator !== null) this.offsets.startAutoCommit();
    this.telemetry?.start();
    void this.checkTopics(added.map((s) => ({ topic: s.topic, partition: s.partition })));
  }

  /** Stops reading: revokes (committing delivered offsets when auto-commit is on) and leaves the group. */
  async unsubscribe(): Promise<void> {
    this.checkOpen('unsubscribe()');
    if (this.runner !== null) throw new StateError('unsubscribe(): not allowed while run() is processing (stop it with its signal first)');
    const membership = this.membership;
    if (membership !== null) {
      // The membership stays reachable while leaving: the revoke's commit needs its generation and member id.
      this.unsubscribing = true;
      try {
        await membership.leave('the consumer unsubscribed');
      } finally {
        this.unsubscribing = false;
      }
      this.membership = null;
    } else if (this.assignmentState.size > 0) {
      const states = this.assignmentState.all();
      if (this.settings.enableAutoCommit && this.coordinator !== null) {
        await this.offsets.commitDelivered(states).catch((err: unknown) => this.logger.warn('commit on unsubscribe failed', { error: (err as Error).message }));
      }
      this.drop(states);
    }
    this.assignmentState.mode = 'none';
    this.assignmentState.topics = [];
    this.assignmentState.pattern = null;
    this.buffer.clear();
  }

  /** The partitions owned now. */
  assignment(): TopicPartition[] {
    return this.assignmentState.partitions();
  }

  /** The subscribed topics (after resolving a pattern: the topics matched at the last rebalance). */
  subscription(): string[] | RegExp {
    return this.assignmentState.pattern ?? [...this.assignmentState.topics];
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reading

  /**
   * The next message, or null when none arrived within `timeoutMs`. Rejects with a partition's error (corrupt batch,
   * offset out of range with auto.offset.reset=none, ...) when one is waiting; other partitions keep flowing.
   */
  poll(timeoutMs = 1000): Promise<Delivered<KS, VS> | null> {
    if (channels.poll.hasSubscribers) return trace(channels.poll, this.pollDiagnostics('poll'), () => this.pollRaw(timeoutMs)) as Promise<Delivered<KS, VS> | null>;
    return this.pollRaw(timeoutMs) as Promise<Delivered<KS, VS> | null>;
  }

  private pollRaw(timeoutMs: number): Promise<unknown> {
    try {
      this.checkReadable('poll()');
      // A member whose session surely expired (its process stood still) reports its partitions lost before it hands
      // out anything buffered for them: another member may have read and committed past those records meanwhile.
      if (this.sessionLapsed()) return this.expireSession().then(() => this.pollRaw(timeoutMs));
      this.beforePoll();
      if (this.rebalanceGate !== null && !inListener()) return this.rebalanceGate.then(() => this.pollRaw(timeoutMs));
      const m = this.delivery.take();
      if (m !== null) return this.deserializers === null ? this.delivery.handOut(m) : this.deserialized(m, () => this.pollRaw(timeoutMs));
    } catch (err) {
      return this.rejected(err);
    }
    if (!(timeoutMs > 0)) return Promise.resolve(null);
    // Time passes while waiting: the next call reads the clock.
    this.sessionCheckIn = 0;
    const waited = this.delivery.waitForMessage(timeoutMs).then((m) => this.pastGate(m), this.rethrow);
    if (this.deserializers === null) return waited;
    return waited.then((m) => (m === null ? null : this.deserialized(m, () => this.pollRaw(timeoutMs))));
  }

  /** A taken message deserialized and handed out; a failure goes to the policy (`next`: poll again after it). */
  private deserialized(m: Message, next: () => Promise<unknown>): Promise<unknown> {
    let r;
    try {
      r = this.deserializers!.apply(m);
    } catch (err) {
      return this.undeserializable(m, err, next);
    }
    if (r instanceof Promise) return r.then((x) => this.delivery.handOut(x), (err: unknown) => this.undeserializable(m, err, next));
    return this.delivery.handOut(r);
  }

  /**
   * gregor.error.policy for a record poll() or iteration could not deserialize. The position goes back onto the
   * record first (Java's RecordDeserializationException): stop raises the error there (every later poll raises it
   * again until the application seeks past it); dead-letter moves past it only once the dead letter is acknowledged,
   * so no commit passes it before; skip passes over it.
   */
  private async undeserializable(m: Message, err: unknown, next: () => Promise<unknown>): Promise<unknown> {
    if (!(err instanceof DeserializationError) || this.failures.policy === 'skip') {
      if (err instanceof DeserializationError) this.failures.settle(m, err, 0);
      else throw err;
      return next();
    }
    const state = this.assignmentState.get(m.topic, m.partition);
    const owned = state !== undefined && state.position === m.offset + 1n;
    if (owned) this.offsets.seek(state, m.offset, m.leaderEpoch);
    const settled = this.failures.settle(m, err, 0);
    if (settled === null) throw err;
    await settled;
    if (owned && this.assignmentState.get(m.topic, m.partition) === state && state.position === m.offset) this.offsets.seek(state, m.offset + 1n, m.leaderEpoch);
    return next();
  }

  /**
   * The messages available now, up to `max` (default max.poll.records), waiting up to `timeoutMs` for the first one;
   * an empty array when none arrived in time. One promise per batch instead of one per message: the fastest way to
   * read. Messages of the previous batch count as processed once this is called again.
   */
  pollBatch(timeoutMs = 1000, max = this.settings.maxPollRecords): Promise<Delivered<KS, VS>[]> {
    const many = (): Promise<unknown[]> => (this.deserializers !== null ? this.pollBatchDeserialized(timeoutMs, max) : this.pollMany(timeoutMs, max));
    if (channels.poll.hasSubscribers) return trace(channels.poll, this.pollDiagnostics('pollBatch'), many) as Promise<Delivered<KS, VS>[]>;
    return many() as Promise<Delivered<KS, VS>[]>;
  }

  private pollDiagnostics(operation: PollDiagnostics['operation']): PollDiagnostics {
    return { clientId: this.settings.clientId, groupId: this.settings.groupId, operation };
  }

  private async pollMany(timeoutMs: number, max: number): Promise<Message[]> {
    // One clock read per batch (see sessionLapsed()).
    this.sessionCheckIn = 0;
    const first = await this.pollRaw(timeoutMs) as Message | null;
    if (first === null) return [];
    const batch = [first];
    // Errors found after the first message wait for the next call: the messages before them are delivered first.
    this.buffer.nextMany(batch, max);
    this.delivery.holdBatch(batch);
    return this.delivery.handOut(batch);
  }

  /**
   * pollBatch() with deserializers: the first record goes through poll()'s path (its failure follows the policy);
   * the rest are deserialized together, and a failure among them ends the batch before it: the position goes back
   * onto that record, whose error the next poll meets first.
   */
  private async pollBatchDeserialized(timeoutMs: number, max: number): Promise<unknown[]> {
    this.sessionCheckIn = 0;
    const first = await this.pollRaw(timeoutMs) as { record: Message } | null;
    if (first === null) return [];
    const raw = [first.record];
    this.buffer.nextMany(raw, max);
    const out: unknown[] = [first];
    const pending: Promise<unknown>[] = [];
    let cut = raw.length;
    for (let i = 1; i < raw.length && i < cut; i++) {
      try {
        const r = this.deserializers!.apply(raw[i]);
        out.push(r);
        if (r instanceof Promise) pending.push(r.catch(() => { cut = Math.min(cut, i); }));
      } catch {
        cut = i;
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    if (cut < raw.length) {
      const m = raw[cut];
      const state = this.assignmentState.get(m.topic, m.partition);
      if (state !== undefined) this.offsets.seek(state, m.offset, m.leaderEpoch);
      raw.length = cut;
      out.length = cut;
    }
    for (let i = 1; i < out.length; i++) if (out[i] instanceof Promise) out[i] = await out[i];
    this.delivery.holdBatch(raw);
    return this.delivery.handOut(out);
  }

  /**
   * Batches of messages as they arrive, until close() (see pollBatch()). `for await (const batch of
   * consumer.batches()) for (const m of batch) ...` costs one promise per batch.
   */
  batches(max = this.settings.maxPollRecords): AsyncIterable<Delivered<KS, VS>[]> {
    return {
      [Symbol.asyncIterator]: () => {
        let open = true;
        this.openIterators++;
        const finish = (): IteratorResult<Delivered<KS, VS>[]> => {
          if (open) this.openIterators--;
          open = false;
          return { done: true, value: undefined };
        };
        return {
          next: async (): Promise<IteratorResult<Delivered<KS, VS>[]>> => {
            for (;;) {
              if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return finish();
              let batch: Delivered<KS, VS>[];
              try {
                batch = await this.pollBatch(60_000, max);
              } catch (err) {
                // for await calls no return() after a rejected next(): the loop has ended all the same.
                finish();
                throw err;
              }
              if (batch.length > 0) return { done: false, value: batch };
            }
          },
          return: async (): Promise<IteratorResult<Delivered<KS, VS>[]>> => finish(),
        };
      },
    };
  }

  /**
   * Messages as they arrive, until close(). Backpressure: fetching pauses while the buffered data is over its byte
   * budget, so a slow loop body never makes memory grow. Breaking out of the loop does not close the consumer.
   */
  [Symbol.asyncIterator](): AsyncIterator<Delivered<KS, VS>> {
    let open = true;
    this.openIterators++;
    type Step = IteratorResult<Delivered<KS, VS>>;
    const finish = (): Step => {
      if (open) this.openIterators--;
      open = false;
      return { done: true, value: undefined };
    };
    // for await calls no return() after a rejected next(): the loop has ended all the same. Only the paths that wait
    // or deserialize can reject; the hand-out of a buffered message cannot.
    const failed = (err: unknown): never => {
      finish();
      throw err;
    };
    const iterator = {
      next: (): Promise<Step> => {
        if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return Promise.resolve(finish());
        let m: Message | null;
        try {
          this.checkReadable('iteration');
          if (this.sessionLapsed()) return this.expireSession().then(() => iterator.next());
          this.beforePoll();
          if (this.rebalanceGate !== null && !inListener()) return this.rebalanceGate.then(() => iterator.next());
          m = this.delivery.take();
        } catch (err) {
          finish();
          return this.rejected(err);
        }
        if (this.deserializers !== null) {
          if (m !== null) return this.deserialized(m, () => iterator.next()).then((v) => this.step(v, finish), failed);
          this.sessionCheckIn = 0;
          return this.delivery.waitForMessage(Infinity).then((m) => this.pastGate(m), this.rethrow)
            .then((w) => (w === null ? (this.lifecycle === 'active' ? iterator.next() : finish()) : this.deserialized(w, () => iterator.next()).then((v) => this.step(v, finish))))
            .then(undefined, failed);
        }
        if (m !== null) return this.delivery.handOut(new YieldStep(m as Delivered<KS, VS>));
        this.sessionCheckIn = 0;
        return this.delivery.waitForMessage(Infinity).then((m) => this.pastGate(m), this.rethrow)
          .then((w): Step | Promise<Step> => (w === null ? (this.lifecycle === 'active' ? iterator.next() : finish()) : new YieldStep(w as Delivered<KS, VS>)))
          .then(undefined, failed);
      },
      return: (): Promise<Step> => Promise.resolve(finish()),
    };
    return iterator;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Processing with concurrent handlers

  /**
   * Hands records to `eachMessage` (or `eachBatch`) concurrently, ordered per partition, per key or not at all, and
   * commits per partition the completed prefix with the completions beyond it in the commit metadata. Resolves when
   * `signal` aborts or close() is called, after handlers in flight finished and their completions were committed;
   * rejects with a HandlerError when the retry policy gives up on a record, or with a partition's error. While it
   * runs, poll(), iteration, commit() and seek() throw StateError. See README, "run()".
   */
  run(options: RunOptions<Delivered<KS, VS>>): Promise<RunSummary> {
    let runner: Runner;
    try {
      this.checkReadable('run()');
      if (this.runner !== null) throw new StateError('run(): already running; one run() at a time');
      if (this.openIterators > 0) throw new StateError('run(): the consumer is being iterated (for await or batches()); finish the loop first');
      const host = this.runnerHost();
      runner = new Runner(resolveRunOptions(options, this.settings.maxPollRecords, this.settings.errorPolicy, this.failures, this.deserializers), host);
      this.runnerHostInUse = host;
    } catch (err) {
      return this.rejected(err);
    }
    this.runner = runner;
    // run() commits what its handlers completed; position-based auto-commit would commit records not yet handled.
    this.offsets.stopAutoCommit();
    return runner.run(this.assignmentState.partitions());
  }

  /**
   * Commits of run() that failed since this consumer was made (periodic, before a revoke, final); each was also a
   * 'commitFailed' event and a warning. A counter for metrics.
   */
  get commitFailures(): number {
    return this.failedCommits;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Offsets

  /**
   * Commits offsets to the group. Without arguments: the positions of all owned partitions, i.e. the offset after
   * the last message handed out. With a list: exactly those offsets (each the next offset to read). Rejects with
   * the broker's exact error when the commit fails for a non-retriable reason.
   */
  async commit(offsets?: readonly OffsetCommit[]): Promise<void> {
    // A revoked listener may commit while close() leaves the group (Java's commitSync in onPartitionsRevoked).
    if (!(this.lifecycle === 'closing' && inListener())) this.checkOpen('commit()');
    if (this.fatalError !== null) throw this.fatalError;
    if (this.runner !== null) throw new StateError('commit(): run() commits the completed records itself while it runs');
    if (this.coordinator === null) throw new StateError('commit() needs group.id: offsets are committed to a consumer group');
    if (offsets === undefined) {
      await this.offsets.commitDelivered();
      return;
    }
    if (!Array.isArray(offsets)) throw new TypeError('commit(): expected an array of { topic, partition, offset }');
    const list: OffsetToCommit[] = offsets.map((o) => {
      const tp = checkTopicPartition(o, 'commit()');
      if (this.assignmentState.mode === 'subscribe' && !this.assignmentState.has(tp)) {
        throw new StateError(`commit(): ${describe(tp)} is not assigned to this member; committing it could overwrite its owner's progress`);
      }
      return { ...tp, offset: toOffset(o.offset, `commit() ${describe(tp)}`), leaderEpoch: o.leaderEpoch ?? -1, metadata: o.metadata ?? null };
    });
    if (list.length === 0) return;
    await this.offsets.commit(list);
  }

  /** The group's committed offsets for these partitions (default: the owned ones). */
  async committed(partitions?: readonly TopicPartition[], timeoutMs = this.settings.defaultApiTimeoutMs): Promise<CommittedOffsetInfo[]> {
    this.checkOpen('committed()');
    if (this.coordinator === null) throw new StateError('committed() needs group.id: offsets are committed to a consumer group');
    const list = (partitions ?? this.assignmentState.partitions()).map((p) => checkTopicPartition(p, 'committed()'));
    if (list.length === 0) return [];
    await this.client.refreshMetadata([...new Set(list.map((tp) => tp.topic))]);
    const found = await this.offsets.fetchCommitted(list, Date.now() + timeoutMs);
    return list.map((tp) => {
      const c = found.get(partitionKey(tp.topic, tp.partition));
      return { ...tp, offset: c?.offset ?? null, leaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? null };
    });
  }

  /** The offset of the next message this consumer will hand out for an owned partition (waits until it is known). */
  async position(partition: TopicPartition, timeoutMs = this.settings.defaultApiTimeoutMs): Promise<bigint> {
    this.checkOpen('position()');
    const state = this.owned(checkTopicPartition(partition, 'position()'), 'position()');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.offsets.settled(state, deadline);
      if (state.phase === 'failed' && state.error !== null) throw state.error;
      if (this.assignmentState.getByKey(state.key) !== state) throw new StateError(`position(): ${describe(state)} was revoked meanwhile`);
      if (state.position !== null && state.phase !== 'resetting' && state.phase !== 'initializing') return state.position;
      if (Date.now() >= deadline) throw kafkaError(ErrorCode.REQUEST_TIMED_OUT, `position() of ${describe(state)}: not known within ${timeoutMs} ms`);
      // Ref'd: the application awaits this call, as it would a request.
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())), undefined, { ref: true });
    }
  }

  /** Moves an owned partition's position: the next message handed out for it is at `offset`. */
  seek(partition: TopicPartition, offset: bigint | number): void {
    this.checkOpen('seek()');
    if (this.runner !== null) throw new StateError('seek(): not allowed while run() is processing (stop it with its signal first)');
    const tp = checkTopicPartition(partition, 'seek()');
    const state = this.owned(tp, 'seek()');
    this.offsets.seek(state, toOffset(offset, `seek() ${describe(tp)}`));
  }

  /** Moves partitions (default: all owned) to their earliest offset. Resolves when the new positions are known. */
  seekToBeginning(partitions?: readonly TopicPartition[]): Promise<void> {
    return this.seekToEdge(partitions, 'earliest');
  }

  /** Moves partitions (default: all owned) to their end (the last stable offset under read_committed). */
  seekToEnd(partitions?: readonly TopicPartition[]): Promise<void> {
    return this.seekToEdge(partitions, 'latest');
  }

  /** For each partition, the earliest offset whose timestamp is at or after the given time (ListOffsets). */
  async offsetsForTimes(queries: readonly TimestampQuery[], timeoutMs = this.settings.defaultApiTimeoutMs): Promise<OffsetForTime[]> {
    this.checkOpen('offsetsForTimes()');
    const requests = queries.map((q) => {
      const tp = checkTopicPartition(q, 'offsetsForTimes()');
      const t = q.timestamp instanceof Date ? q.timestamp.getTime() : q.timestamp;
      const ts = typeof t === 'bigint' ? t : typeof t === 'number' && Number.isSafeInteger(t) ? BigInt(t) : null;
      if (ts === null || ts < 0n) throw new TypeError(`offsetsForTimes() ${describe(tp)}: timestamp must be a non-negative integer or a Date`);
      return { ...tp, timestamp: ts };
    });
    const found = await this.listOffsets(requests, timeoutMs);
    return requests.map((r) => {
      const f = found.get(partitionKey(r.topic, r.partition));
      return {
        topic: r.topic,
        partition: r.partition,
        offset: f?.offset ?? null,
        timestamp: f === undefined || f === null ? null : Number(f.timestamp),
        leaderEpoch: f?.leaderEpoch ?? -1,
      };
    });
  }

  /** The earliest offset of each partition (its log start offset). */
  async beginningOffsets(partitions: readonly TopicPartition[], timeoutMs = this.settings.defaultApiTimeoutMs): Promise<Map<string, bigint>> {
    return this.edgeOffsets(partitions, EARLIEST_TIMESTAMP, timeoutMs, 'beginningOffsets()');
  }

  /** The end offset of each partition (high watermark; last stable offset under read_committed). */
  async endOffsets(partitions: readonly TopicPartition[], timeoutMs = this.settings.defaultApiTimeoutMs): Promise<Map<string, bigint>> {
    return this.edgeOffsets(partitions, LATEST_TIMESTAMP, timeoutMs, 'endOffsets()');
  }

  /**
   * Per owned partition: position, the high watermark and last stable offset from the last Fetch response, and the
   * lag between them. No request is made; null until a fetch answered for the partition.
   */
  lag(): PartitionLag[] {
    const readCommitted = this.settings.isolationLevel === 'read_committed';
    return this.assignmentState.all().map((s) => ({
      topic: s.topic,
      partition: s.partition,
      position: s.position,
      highWatermark: s.highWatermark >= 0n ? s.highWatermark : null,
      lastStableOffset: s.lastStableOffset >= 0n ? s.lastStableOffset : null,
      lag: s.lag(readCommitted),
    }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Flow control

  /** Stops fetching and delivering these partitions; what was fetched is kept and delivered after resume(). */
  pause(partitions: readonly TopicPartition[]): void {
    this.checkOpen('pause()');
    for (const p of partitions) {
      this.setPaused(this.owned(checkTopicPartition(p, 'pause()'), 'pause()'), true);
    }
    this.fetches.update();
  }

  /** Fetches and delivers these paused partitions again, starting with what was fetched before pause(). */
  resume(partitions: readonly TopicPartition[]): void {
    this.checkOpen('resume()');
    for (const p of partitions) {
      this.setPaused(this.owned(checkTopicPartition(p, 'resume()'), 'resume()'), false);
    }
    this.fetches.update();
  }

  /**
   * Pauses or resumes one partition's fetching and its buffered data; false when it was so already. The caller
   * updates the fetchers (once, after a list).
   */
  private setPaused(state: PartitionState, paused: boolean, by: 'application' | 'run' = 'application'): boolean {
    const before = state.paused;
    if (by === 'application') state.pausedByApplication = paused;
    else state.heldByRun = paused;
    if (state.paused === before) return false;
    if (state.paused) this.buffer.pause(state);
    else this.buffer.resume(state);
    return true;
  }

  /** The partitions paused now: by pause(), or held by run() while its commit metadata would not fit. */
  paused(): TopicPartition[] {
    return this.assignmentState.all().filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Closing

  /**
   * Commits the delivered offsets when auto-commit is on, leaves the group, closes every connection. Pending polls
   * resolve with null and iterations end. Safe to call more than once: later calls return the same promise.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.lifecycle = 'closing';
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // run() drains first: handlers finish, their completions are committed while the membership still stands.
    if (this.runner !== null) await this.runner.stop();
    this.delivery.releaseWaiters();
    this.offsets.stopAutoCommit();
    const membership = this.membership;
    try {
      if (membership !== null) {
        await membership.leave('the consumer is closing');
        this.membership = null;
      } else if (this.assignmentState.size > 0 && this.settings.enableAutoCommit && this.coordinator !== null) {
        await this.offsets.commitDelivered().catch((err: unknown) => this.logger.warn('commit on close failed', { error: (err as Error).message }));
      }
    } finally {
      // KIP-714: the terminating push carries the final counts (the last commit included), before connections close.
      await this.telemetry?.close();
      this.drop(this.assignmentState.all());
      await this.fetches.close();
      this.offsets.close();
      this.buffer.clear();
      await this.liveness?.close();
      await this.client.close();
      await this.failures.close().catch((err: unknown) => this.logger.warn('closing the dead-letter sink failed', { error: (err as Error).message }));
      this.lifecycle = 'closed';
    }
  }

  /**
   * A snapshot of this consumer's metrics (always counted, at the cost of a few number increments per fetch and per
   * record): records and bytes consumed, per-partition position and lag, fetch, commit and rebalance counts and
   * durations, buffered bytes, connections, heartbeat age. run()'s handler calls (`process.duration`) are timed from
   * the first call of this method on: a clock read per call is paid only once someone looks. Named after the
   * OpenTelemetry messaging conventions; see prometheusText() for the Prometheus form and README, "Observability".
   */
  metrics(): ConsumerMetrics {
    const meter = this.buffer.meter;
    if (!meter.processTimed) {
      // The first read turns messaging.process.duration on, for run() calls from now on (see ConsumerMeter).
      meter.processTimed = true;
      if (this.runnerHostInUse !== null) this.runnerHostInUse.processDuration = meter.processDuration;
    }
    const partitions = meter.partitions(this.assignmentState.all(), this.settings.isolationLevel === 'read_committed');
    let consumedMessages = 0;
    let consumedBytes = 0;
    for (const p of partitions) {
      consumedMessages += p.consumedMessages;
      consumedBytes += p.consumedBytes;
    }
    const heartbeatAt = this.membership?.lastHeartbeatAt ?? 0;
    return {
      attributes: { 'messaging.system': 'kafka', 'messaging.consumer.group.name': this.settings.groupId, 'messaging.client.id': this.settings.clientId },
      consumedMessages,
      consumedBytes,
      partitions,
      fetch: { requests: meter.fetchRequests, errors: meter.fetchErrors, duration: meter.fetchDuration.snapshot(), bytes: meter.fetchBytes },
      bufferedBytes: this.buffer.bufferedBytes,
      commit: { commits: meter.commits, failures: meter.commitFailures, duration: meter.commitDuration.snapshot() },
      process: { duration: meter.processDuration.snapshot() },
      rebalance: {
        rebalances: meter.rebalances,
        revocations: meter.revocations,
        losses: meter.losses,
        duration: meter.rebalanceDuration.snapshot(),
        inProgress: meter.rebalanceInProgress,
      },
      connections: this.client.connectionStats(),
      heartbeatAgeSeconds: heartbeatAt > 0 ? Math.max(0, Date.now() - heartbeatAt) / 1000 : null,
    };
  }

  /**
   * The client instance id a broker assigned to this consumer for KIP-714 client telemetry (Kafka's base64 uuid, as
   * the broker's telemetry receiver reports it), as Java's clientInstanceId(). Rejects with StateError when
   * enable.metrics.push is false, TimeoutError when no broker assigned one within `timeoutMs` (default
   * default.api.timeout.ms; a broker without a telemetry receiver never does).
   */
  async clientInstanceId(timeoutMs: number = this.settings.defaultApiTimeoutMs): Promise<string> {
    this.checkOpen('clientInstanceId()');
    if (this.telemetry === null) throw new StateError('clientInstanceId(): client telemetry is disabled (enable.metrics.push=false)');
    this.telemetry.start();
    const signal = AbortSignal.timeout(timeoutMs);
    const id = await this.telemetry.waitForClientInstanceId(signal).catch(() => null);
    if (id === null) throw new TimeoutError(`clientInstanceId(): no client instance id within ${timeoutMs} ms (does the cluster have a client telemetry receiver?)`);
    return id;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Internals

  /** An iteration step for a value deserialized() produced: a record, or the step iterator.next() already made. */
  private step(v: unknown, finish: () => IteratorResult<Delivered<KS, VS>>): IteratorResult<Delivered<KS, VS>> {
    if (v !== null && typeof v === 'object' && 'done' in v) return v as IteratorResult<Delivered<KS, VS>>;
    return v === null ? finish() : { done: false, value: v as Delivered<KS, VS> };
  }

  private checkOpen(what: string): void {
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') throw new StateError(`${what} called after close()`);
  }

  private checkReadable(what: string): void {
    this.checkOpen(what);
    if (this.fatalError !== null) throw this.fatalError;
    if (this.assignmentState.mode === 'none') throw new StateError(`${what} called before subscribe() or assign()`);
    if (this.runner !== null) throw new StateError(`${what} called while run() is processing; records go to its handlers`);
  }

  private runnerHost(): RunnerHost {
    const state = (tp: TopicPartition): PartitionState | undefined => this.assignmentState.get(tp.topic, tp.partition);
    return {
      take: () => {
        const err = this.buffer.takeError();
        if (err !== undefined) {
          this.noteFatal(err);
          throw err;
        }
        return this.buffer.next();
      },
      polled: () => this.beforePoll(),
      onData: (listener) => this.buffer.onData(listener),
      committed: this.coordinator === null ? null : (tps) => this.offsets.fetchCommitted(tps, Date.now() + this.settings.defaultApiTimeoutMs),
      commit: (list) => this.offsets.commit(list),
      commitFailed: (event) => {
        this.failedCommits++;
        this.emit('commitFailed', event);
      },
      pauseFetch: (tp) => {
        const s = state(tp);
        if (s === undefined || !this.setPaused(s, true, 'run')) return false;
        this.fetches.update();
        return true;
      },
      resumeFetch: (tp) => {
        const s = state(tp);
        if (s !== undefined && this.setPaused(s, false, 'run')) this.fetches.update();
      },
      rewind: (tp, offset) => {
        const s = state(tp);
        if (s !== undefined && s.position !== offset) this.offsets.seek(s, offset);
      },
      autoCommitIntervalMs: this.settings.autoCommitIntervalMs,
      logger: this.logger,
      processDuration: this.buffer.meter.processTimed ? this.buffer.meter.processDuration : undefined,
      identity: { clientId: this.settings.clientId, groupId: this.settings.groupId },
      detach: () => {
        this.runner = null;
        this.runnerHostInUse = null;
        if (this.lifecycle === 'active' && this.assignmentState.mode !== 'none') this.offsets.startAutoCommit();
      },
    };
  }

  private owned(tp: TopicPartition, what: string): PartitionState {
    const state = this.assignmentState.get(tp.topic, tp.partition);
    if (state === undefined) throw new StateError(`${what}: ${describe(tp)} is not assigned to this consumer`);
    return state;
  }

  /**
   * True when the member's session surely expired (membership.sessionLapsed(): no successful heartbeat for
   * session.timeout.ms). That reads the clock, which cost 8 % of the busy time at 100 B records when done per message
   * (Date.now() is a call into the runtime, ~40-170 ns here), so the clock is read on the first message after a wait
   * (a poll or an iteration that waited for data), on every pollBatch(), and every SESSION_CHECK_EVERY messages
   * handed out from the buffer in between. A lapse needs the process stopped or its event loop blocked for longer
   * than the session timeout; when that happens in the middle of a run of buffered messages, at most
   * SESSION_CHECK_EVERY - 1 further messages go out before it is seen (Java checks once per poll of up to
   * max.poll.records).
   */
  private sessionLapsed(): boolean {
    if (--this.sessionCheckIn > 0) return false;
    this.sessionCheckIn = SESSION_CHECK_EVERY;
    return this.sessionLapsedNow();
  }

  /**
   * The check itself, the clock read now; the count to the next check is left alone: after a wait it stays 0, so the
   * next call checks again (the application may block on the message it gets now: the blocked-loop test).
   */
  private sessionLapsedNow(): boolean {
    const membership = this.membership;
    return membership !== null && membership.sessionLapsed();
  }

  /** After sessionLapsed(): the membership reports the partitions lost (dropping what is buffered) and joins again. */
  private expireSession(): Promise<void> {
    this.buffer.meter.rebalanceStarted();
    return this.membership!.expireSession();
  }

  /**
   * Keeps an error the application was just given when it ends the consumer's use: credentials refused
   * (AuthenticationError), TLS refused (TlsError; neither is retriable), or an ACL refused the background work of
   * the subscription or assignment (AuthorizationError: metadata, fetch, committed offsets; the same request fails
   * until the ACLs change; a consumer created after the change picks it up).
   * The membership's fatal errors (fenced group.instance.id, ...) are kept where the membership reports them.
   */
  private noteFatal(err: unknown): void {
    if (this.fatalError === null && isGregorError(err) && (err.code === 'ERR_AUTHENTICATION' || err.code === 'ERR_TLS' || err instanceof AuthorizationError)) {
      this.fatalError = err;
    }
  }

  /**
   * A rejection for an error thrown by a call. The sticky fatal error rejects after the event loop's next turn: a
   * loop that catches and polls again must not spin in microtasks alone, starving timers and sockets.
   */
  private rejected<T>(err: unknown): Promise<T> {
    this.noteFatal(err);
    if (err !== this.fatalError) return Promise.reject(err);
    return new Promise<T>((_resolve, reject) => setImmediate(reject, err));
  }

  /** A waiting poll's rejection: kept when fatal (noteFatal()), then passed on. */
  private readonly rethrow = (err: unknown): never => {
    this.noteFatal(err);
    throw err;
  };

  /** The application came back for more (poll, iteration step, pollBatch). */
  private beforePoll(): void {
    this.delivery.beforePoll();
    if (this.membership !== null) this.membership.onPoll();
  }

  private commitIdentity(): CommitIdentity | null {
    if (this.assignmentState.mode === 'subscribe') return this.membership?.commitIdentity() ?? null;
    return ANONYMOUS;
  }

  private commitOnRemoval(states: readonly PartitionState[]): void {
    if (!this.settings.enableAutoCommit || this.coordinator === null) return;
    const list = this.delivery.finishedOffsets(states);
    if (list.length === 0) return;
    this.offsets.commitChanged(list).catch((err: unknown) => this.logger.warn('commit of removed partitions failed', { error: (err as Error).message }));
  }

  /** Nothing more of these partitions is fetched or delivered: their buffered data goes, in-flight data is stale. */
  private revokeStates(states: readonly PartitionState[]): void {
    this.buffer.dropPartitions(states);
    for (const s of states) s.revoke();
  }

  /** Stops fetching and delivering partitions and forgets them. */
  private drop(states: readonly PartitionState[]): void {
    this.buffer.meter.retire(states);
    this.revokeStates(states);
    this.assignmentState.remove(states.map((s) => ({ topic: s.topic, partition: s.partition })));
    this.offsets.forget(states);
    this.fetches.update();
  }

  private async seekToEdge(partitions: readonly TopicPartition[] | undefined, target: 'earliest' | 'latest'): Promise<void> {
    const what = target === 'earliest' ? 'seekToBeginning()' : 'seekToEnd()';
    this.checkOpen(what);
    const states = partitions === undefined
      ? this.assignmentState.all()
      : partitions.map((p) => this.owned(checkTopicPartition(p, what), what));
    if (states.length === 0) return;
    await this.offsets.reset(states, target, target === 'earliest' ? 'seek-to-beginning' : 'seek-to-end');
    for (const s of states) if (s.phase === 'failed' && s.error !== null) throw s.error;
  }

  private async listOffsets(requests: readonly (TopicPartition & { timestamp: bigint })[], timeoutMs: number) {
    if (requests.length === 0) return new Map();
    await this.client.refreshMetadata([...new Set(requests.map((r) => r.topic))]);
    return this.offsets.listOffsets(requests, Date.now() + timeoutMs);
  }

  private async edgeOffsets(partitions: readonly TopicPartition[], timestamp: bigint, timeoutMs: number, what: string): Promise<Map<string, bigint>> {
    this.checkOpen(what);
    const requests = partitions.map((p) => ({ ...checkTopicPartition(p, what), timestamp }));
    const found = await this.listOffsets(requests, timeoutMs);
    const out = new Map<string, bigint>();
    for (const r of requests) {
      const f = found.get(partitionKey(r.topic, r.partition));
      if (f !== undefined && f !== null) out.set(partitionKey(r.topic, r.partition), f.offset);
    }
    return out;
  }

  /** assign() of topics or partitions that do not exist is reported to the application, not waited on silently. */
  private async checkTopics(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    const topics = [...new Set(partitions.map((tp) => tp.topic))];
    try {
      await this.client.refreshMetadata(topics);
    } catch {
      return; // connection problems surface through fetching
    }
    for (const tp of partitions) {
      if (this.assignmentState.get(tp.topic, tp.partition) === undefined) continue;
      const count = this.client.partitionCount(tp.topic);
      if (count === undefined) this.reportUnknownTopic(tp.topic);
      else if (tp.partition >= count) {
        this.buffer.pushError(kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `assign(): ${describe(tp)} does not exist (the topic has ${count} partitions)`));
      }
    }
  }

  /**
   * A topic the metadata does not describe: reported once to the application when the broker says it does not exist
   * or may not be read (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED...). A retriable answer
   * (LEADER_NOT_AVAILABLE while an auto-created topic gets its leaders) is waited out.
   */
  private reportUnknownTopic(topic: string): void {
    if (this.reportedTopics.has(topic)) return;
    const code = this.client.topicError(topic) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const error = kafkaError(code, code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `topic ${JSON.stringify(topic)} does not exist` : `topic ${JSON.stringify(topic)}`, null, { topic });
    if (error.retriable && code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return;
    this.reportedTopics.add(topic);
    this.logger.warn('topic cannot be read', { topic, error: error.errorName });
    this.buffer.pushError(error);
  }

  private membershipHost(): ConsumerGroupHost {
    return {
      client: this.client,
      subscription: () => this.assignmentState.pattern !== null
        ? { pattern: this.assignmentState.pattern }
        : { topics: this.assignmentState.topics },
      settings: this.settings,
      logger: this.logger,
      subscribedTopics: async () => {
        const a = this.assignmentState;
        if (a.pattern !== null) {
          await this.client.refreshMetadata('all');
          return this.client.topicNames()
            .filter((t) => !(this.settings.excludeInternalTopics && this.client.isInternalTopic(t)) && a.matches(t))
            .sort();
        }
        await this.client.refreshMetadata(a.topics);
        for (const t of a.topics) if (this.client.partitionCount(t) === undefined) this.reportUnknownTopic(t);
        return [...a.topics];
      },
      ownedPartitions: () => this.assignmentState.partitions(),
      assigned: (partitions) => this.gated(() => traced(channels.rebalance, () => this.rebalanceDiagnostics('assigned', partitions), async () => {
        this.buffer.meter.rebalanceCompleted();
        const added = this.assignmentState.add(partitions);
        this.offsets.initialize(added);
        this.runner?.assigned(partitions);
        this.fetches.update();
        this.logger.info('partitions assigned', { partitions: partitions.map(describe).join(' ') });
        this.emit('assigned', partitions);
        await this.callListener('assigned', partitions);
      })),
      revoked: (partitions) => this.gated(() => traced(channels.rebalance, () => this.rebalanceDiagnostics('revoked', partitions), async () => {
        this.buffer.meter.revocations++;
        if (this.lifecycle !== 'closing' && !this.unsubscribing) this.buffer.meter.rebalanceStarted();
        const states = partitions.map((tp) => this.assignmentState.get(tp.topic, tp.partition)).filter((s): s is PartitionState => s !== undefined);
        // Nothing more of these partitions reaches the application from here on (R6).
        this.revokeStates(states);
        // Closing or unsubscribing: the application called us, so everything handed out is done. A rebalance: a
        // message of these partitions may still be in the application's hands; the revoke waits until it polls
        // again (bounded by max.poll.interval.ms, as the coordinator waits for our JoinGroup that long), so that
        // message is committed as processed rather than delivered twice.
        const appCalled = (): boolean => this.lifecycle === 'closing' || this.unsubscribing;
        if (this.runner !== null) {
          // run(): its handlers in flight finish (bounded) and their completions are committed, gap metadata included.
          await this.runner.revoked(partitions);
        } else if (!appCalled()) {
          // With a revoked listener the revoke waits for the application's next poll whatever it holds: the listener
          // then runs while that poll waits (rebalanceGate), never beside the application's own loop (its commits).
          await this.delivery.untilProcessed(states, this.settings.maxPollIntervalMs, this.listener?.revoked !== undefined);
        }
        if (this.settings.enableAutoCommit && this.runner === null) {
          // Asked again after the wait: close() may have come meanwhile, and then everything handed out is done.
          const list = appCalled()
            ? states.filter((s) => s.position !== null).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position!, leaderEpoch: s.positionEpoch, metadata: null }))
            : this.delivery.finishedOffsets(states);
          if (list.length > 0) {
            await this.offsets.commitChanged(list).catch((err: unknown) => this.logger.warn('commit before revoke failed', { error: (err as Error).message }));
          }
        }
        this.emit('revoked', partitions);
        await this.callListener('revoked', partitions);
        this.drop(states);
        this.logger.info('partitions revoked', { partitions: partitions.map(describe).join(' ') });
      })),
      lost: (partitions) => this.gated(() => traced(channels.rebalance, () => this.rebalanceDiagnostics('lost', partitions), async () => {
        this.buffer.meter.losses++;
        this.buffer.meter.rebalanceStarted();
        const states = partitions.map((tp) => this.assignmentState.get(tp.topic, tp.partition)).filter((s): s is PartitionState => s !== undefined);
        this.runner?.lost(partitions);
        this.drop(states);
        this.emit('lost', partitions);
        await this.callListener('lost', partitions);
      })),
      liveness: this.liveness!,
      fatal: (error: GregorError) => {
        this.fatalError ??= error;
        this.buffer.pushError(error);
      },
      report: (error: GregorError) => this.buffer.pushError(error),
    };
  }

  private rebalanceDiagnostics(kind: RebalanceDiagnostics['kind'], partitions: readonly TopicPartition[]): RebalanceDiagnostics {
    return { clientId: this.settings.clientId, groupId: this.settings.groupId, kind, partitions };
  }

  /**
   * A message a waiting poll got while a rebalance callback runs goes to the application after the callback (see
   * rebalanceGate); null if its partition was revoked meanwhile (the poll ends empty, an iteration polls again).
   */
  private pastGate(m: Message | null): Message | null | Promise<Message | null> {
    // The first message after a wait is checked against the session before it goes out: the wait may have been a
    // stopped process (R8: SIGSTOP past session.timeout.ms while polling for more; on waking, the Fetch answered
    // meanwhile gave a record another member had already read and committed). The poll ends empty (an iteration
    // polls again) once the partitions are reported lost.
    if (m !== null && this.sessionLapsedNow()) return this.expireSession().then(() => null);
    const gate = this.rebalanceGate;
    if (m === null || gate === null || inListener()) return m;
    return gate.then(() => {
      const s = this.assignmentState.get(m.topic, m.partition);
      return s === undefined || s.phase === 'revoking' ? null : this.pastGate(m);
    });
  }

  /** Runs a rebalance callback with the gate up (see rebalanceGate). */
  private gated(callback: () => Promise<void>): Promise<void> {
    const done = callback();
    const gate = done.then(() => undefined, () => undefined);
    this.rebalanceGate = gate;
    void gate.then(() => {
      if (this.rebalanceGate === gate) this.rebalanceGate = null;
    });
    return done;
  }

  private async callListener(which: keyof RebalanceListener, partitions: TopicPartition[]): Promise<void> {
    const fn = this.listener?.[which];
    if (fn === undefined) return;
    try {
      // A listener that polls or commits is inside the callback: the gate does not hold it (it would wait for itself).
      await listenerScope.run(true, () => fn.call(this.listener, partitions));
    } catch (err) {
      this.logger.warn(`rebalance listener ${which}() threw`, { error: (err as Error).message });
    }
  }
}
