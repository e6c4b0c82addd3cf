// The metadata cache: brokers, controller, cluster id, and per topic its id (KIP-516) and partitions with leader,
// leader epoch, replicas, ISR and offline replicas.
//
// Refresh policy:
//   - on demand: `refresh(topics)` or `refresh('all')` (regex subscriptions need every topic);
//   - periodically: every metadata.max.age.ms, for every topic asked about so far (or all, once 'all' was asked);
//   - when stale: `markStale()`, or `handleError(code)` for a code that means so (staleMetadata() in
//     protocol/error-kinds.ts: the leader or the controller moved), schedules a refresh after
//     a short backoff, so a burst of NOT_LEADER_OR_FOLLOWER from many partitions costs one Metadata request.
// Concurrent refreshes coalesce: a refresh whose topics are covered by the one in flight shares it; the others are
// merged into a single follow-up request that starts when the current one ends.
//
// Leader epochs (KIP-320): a Metadata response from a broker that lags may carry an older leader than the cache has.
// A partition whose cached leader epoch is newer than the response's keeps its cached state (and stays stale), so
// the cache never goes back in time.

import { ConnectionError, StateError } from '../errors.js';
import { ErrorCode, kafkaError, ApiKey, ZERO_UUID_STRING, staleMetadata, type MetadataResponse } from '../protocol/index.js';
import { raceAbort } from '../network/abort.js';
import type { Broker } from '../network/broker.js';
import type { Logger } from '../network/options.js';
import { noopLogger } from '../network/options.js';
import type { Pool } from '../network/pool.js';

export interface PartitionMetadata {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the partition has no leader. */
  readonly leaderId: number;
  /** -1 when the broker did not send one (Metadata < v7). */
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
  /** The partition-level error of the last response (LEADER_NOT_AVAILABLE while an election runs), else 0. */
  readonly errorCode: number;
}

export interface TopicMetadata {
  readonly name: string;
  /** Kafka's printed form (22 characters of URL-safe base64); ZERO_UUID_STRING when the broker has none. */
  readonly topicId: string;
  readonly isInternal: boolean;
  /** Indexed by partition number. */
  readonly partitions: readonly PartitionMetadata[];
}

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface LeaderInfo {
  leaderId: number;
  leaderEpoch: number;
}

export interface MetadataOptions {
  /** metadata.max.age.ms: periodic refresh interval. Default: the pool's option (300000). 0 disables the timer. */
  maxAgeMs?: number;
  /** retry.backoff.ms: delay between a markStale() and the refresh it triggers. Default 100. */
  retryBackoffMs?: number;
  /** allow.auto.create.topics: whether Metadata may auto-create the topics it asks for. Default false. */
  allowAutoTopicCreation?: boolean;
  logger?: Logger;
}

export interface RefreshOptions {
  signal?: AbortSignal;
  /** Reject with the topic's KafkaError when one of the requested topics comes back with an error. Default false. */
  requireTopics?: boolean;
}

type Want = 'all' | Set<string>;

interface PendingRefresh {
  want: Want;
  promise: Promise<void>;
}

export class Metadata {
  /** Metadata requests sent (after coalescing), for tests and metrics. */
  readonly stats = { requests: 0, failures: 0 };
  private readonly pool: Pool;
  private readonly maxAgeMs: number;
  private readonly retryBackoffMs: number;
  private readonly allowAutoTopicCreation: boolean;
  private readonly logger: Logger;

  private topics = new Map<string, TopicMetadata>();
  private readonly namesById = new Map<string, string>();
  private readonly topicErrors = new Map<string, number>();
  private brokerList: BrokerInfo[] = [];
  private cluster: string | null = null;
  private controller = -1;
  private refreshedAt = 0;
  /** Date.now() of the refresh each cached topic was last answered in (fresh(): a refresh that can be skipped). */
  private readonly topicRefreshedAt = new Map<string, number>();
  /** Date.now() of the first failed refresh since the last success (0: the last one succeeded), for KIP-1102. */
  private failingSince = 0;

  /** Topics this client cares about: refreshed periodically and on markStale(). */
  private readonly tracked = new Set<string>();
  private trackAll = false;
  private stale = false;

  private current: PendingRefresh | undefined;
  private queued: (PendingRefresh & { resolve: () => void; reject: (e: Error) => void }) | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private periodicTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(pool: Pool, options: MetadataOptions = {}) {
    this.pool = pool;
    this.maxAgeMs = options.maxAgeMs ?? pool.options.metadataMaxAgeMs;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? false;
    this.logger = options.logger ?? pool.options.logger ?? noopLogger;
  }

  // ---- reading the cache -------------------------------------------------------------------------------------

  get clusterId(): string | null {
    return this.cluster;
  }

  get controllerId(): number {
    return this.controller;
  }

  get brokers(): readonly BrokerInfo[] {
    return this.brokerList;
  }

  /** Date.now() of the last successful refresh; 0 before the first. */
  get lastRefreshAt(): number {
    return this.refreshedAt;
  }

  /** True after markStale() until the next refresh completes. */
  get isStale(): boolean {
    return this.stale;
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  /**
   * Whether every one of `topics` is cached from a refresh answered at or after `since` (Date.now() ms) and the cache
   * is not marked stale: a caller that needs metadata at least that recent may skip its refresh.
   */
  freshSince(topics: readonly string[], since: number): boolean {
    if (this.stale) return false;
    for (const t of topics) {
      const at = this.topicRefreshedAt.get(t);
      if (at === undefined || at < since || !this.topics.has(t)) return false;
    }
    return true;
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  partitionsFor(topic: string): readonly PartitionMetadata[] | undefined {
    return this.topics.get(topic)?.partitions;
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.get(topic)?.partitions.length;
  }

  partition(topic: string, partition: number): PartitionMetadata | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** The partition's leader and leader epoch; undefined when the topic, the partition or its leader is unknown. */
  leaderFor(topic: string, partition: number): LeaderInfo | undefined {
    const p = this.partition(topic, partition);
    if (p === undefined || p.leaderId < 0) return undefined;
    return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch };
  }

  /** The leader's Broker (connections), or undefined when not known. */
  leaderBroker(topic: string, partition: number): Broker | undefined {
    const leader = this.leaderFor(topic, partition);
    return leader === undefined ? undefined : this.pool.broker(leader.leaderId);
  }

  topicId(topic: string): string | undefined {
    const id = this.topics.get(topic)?.topicId;
    return id === undefined || id === ZERO_UUID_STRING ? undefined : id;
  }

  topicName(topicId: string): string | undefined {
    return this.namesById.get(topicId);
  }

  /** The error code the last refresh returned for a topic (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED...). */
  topicError(topic: string): number | undefined {
    return this.topicErrors.get(topic);
  }

  /** The Broker for a node id (throws a retriable ConnectionError when metadata does not know it). */
  brokerFor(nodeId: number): Broker {
    return this.pool.brokerFor(nodeId);
  }

  // ---- refreshing ----------------------------------------------------------------------------------------------

  /**
   * Fetches metadata for `topics` (default: every tracked topic), or for every topic with 'all'. The topics become
   * tracked (kept fresh by the periodic refresh). Concurrent calls share requests.
   */
  refresh(topics?: readonly string[] | 'all', options: RefreshOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new StateError('the metadata cache is closed'));
    let want: Want;
    if (topics === 'all') {
      this.trackAll = true;
      want = 'all';
    } else {
      for (const t of topics ?? []) {
        if (typeof t !== 'string' || t === '') return Promise.reject(new TypeError('topic names must be non-empty strings'));
        this.tracked.add(t);
      }
      want = this.trackAll && topics === undefined ? 'all' : new Set(topics ?? this.tracked);
    }
    this.ensurePeriodic();
    let p = this.schedule(want);
    if (options.signal) p = raceAbort(p, options.signal);
    if (options.requireTopics && want !== 'all') {
      const names = [...want];
      p = p.then(() => {
        for (const t of names) {
          const code = this.topicErrors.get(t);
          if (code !== undefined) throw kafkaError(code, `metadata for topic '${t}'`, null, { topic: t });
        }
      });
    }
    return p;
  }

  /**
   * KIP-951: a Fetch or Produce answer refusing a partition (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH) names the
   * current leader and its epoch, and the response carries that broker's endpoint. Applied to the cache without a
   * Metadata round trip when the epoch is newer than the cached one and the leader's address is known (cached or in
   * `endpoints`), as Java's Metadata.updatePartitionLeadership does; otherwise ignored (the caller's refresh decides).
   * Returns whether the cache changed. The partition's replicas and ISR stay as they were until the next refresh.
   */
  updateLeader(topic: string, partition: number, leaderId: number, leaderEpoch: number,
    endpoints: readonly { nodeId: number; host: string; port: number; rack: string | null }[] = []): boolean {
    if (this.closed || leaderId < 0 || leaderEpoch < 0) return false;
    const t = this.topics.get(topic);
    const old = t?.partitions[partition];
    if (t === undefined || old === undefined || old.leaderEpoch < 0 || leaderEpoch <= old.leaderEpoch) return false;
    const endpoint = endpoints.find((e) => e.nodeId === leaderId);
    if (endpoint !== undefined) {
      this.pool.addBroker(endpoint.nodeId, endpoint.host, endpoint.port, endpoint.rack);
      if (!this.brokerList.some((b) => b.nodeId === endpoint.nodeId)) {
        this.brokerList = [...this.brokerList, { nodeId: endpoint.nodeId, host: endpoint.host, port: endpoint.port, rack: endpoint.rack }];
      }
    } else if (this.pool.broker(leaderId) === undefined) {
      return false;
    }
    const partitions = [...t.partitions];
    partitions[partition] = { ...old, leaderId, leaderEpoch, errorCode: ErrorCode.NONE };
    this.topics.set(topic, { ...t, partitions });
    return true;
  }

  /** Forgets topics (no longer refreshed or cached), e.g. after an unsubscribe. */
  untrack(topics: readonly string[]): void {
    for (const t of topics) {
      this.tracked.delete(t);
      const id = this.topics.get(t)?.topicId;
      if (id !== undefined) this.namesById.delete(id);
      this.topics.delete(t);
      this.topicErrors.delete(t);
      this.topicRefreshedAt.delete(t);
    }
  }

  /**
   * Notes that the cache is stale (a leader moved, a topic appeared); a refresh of the tracked topics (plus `topic`)
   * follows after retry.backoff.ms. Many calls in a burst cause one refresh.
   */
  markStale(topic?: string): void {
    if (this.closed) return;
    if (topic !== undefined) this.tracked.add(topic);
    this.stale = true;
    if (this.staleTimer !== undefined) return;
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined;
      this.refresh().catch((err: Error) => {
        this.logger.warn('metadata refresh after a stale-metadata error failed', { error: err.message });
        // Try again later: the cache is still stale.
        if (!this.closed) this.markStale();
      });
    }, this.retryBackoffMs);
    this.staleTimer.unref();
  }

  /** Calls markStale() when `errorCode` means the cache is stale (staleMetadata()); returns whether it did. */
  handleError(errorCode: number, topic?: string): boolean {
    if (!staleMetadata(errorCode)) return false;
    this.markStale(topic);
    return true;
  }

  /** Stops the timers; pending refreshes reject with StateError. The pool is closed by its owner. */
  close(): void {
    this.closed = true;
    if (this.staleTimer) clearTimeout(this.staleTimer);
    if (this.periodicTimer) clearInterval(this.periodicTimer);
    this.staleTimer = undefined;
    this.periodicTimer = undefined;
    this.queued?.reject(new StateError('the metadata cache is closed'));
    this.queued = undefined;
  }

  private ensurePeriodic(): void {
    if (this.periodicTimer !== undefined || this.maxAgeMs <= 0 || this.closed) return;
    this.periodicTimer = setInterval(() => {
      if (Date.now() - this.refreshedAt < this.maxAgeMs * 0.9) return;
      this.refresh().catch((err: Error) => this.logger.warn('periodic metadata refresh failed', { error: err.message }));
    }, this.maxAgeMs);
    this.periodicTimer.unref();
  }

  private schedule(want: Want): Promise<void> {
    const current = this.current;
    if (current === undefined) return this.start(want).promise;
    if (covers(current.want, want)) return current.promise;
    if (this.queued === undefined) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.queued = { want, promise, resolve, reject };
    } else {
      this.queued.want = merge(this.queued.want, want);
    }
    return this.queued.promise;
  }

  private start(want: Want): PendingRefresh {
    const promise = this.fetch(want);
    const entry: PendingRefresh = { want, promise };
    this.current = entry;
    const next = (): void => {
      if (this.current !== entry) return;
      this.current = undefined;
      const q = this.queued;
      if (q === undefined || this.closed) return;
      this.queued = undefined;
      this.start(q.want).promise.then(q.resolve, q.reject);
    };
    promise.then(next, next);
    return entry;
  }

  private async fetch(want: Want, rebootstrapped = false): Promise<void> {
    let broker: Broker;
    try {
      broker = await this.pool.anyBroker();
    } catch (err) {
      this.noteFailure();
      throw err;
    }
    const wasStale = this.stale;
    this.stale = false;
    let response: MetadataResponse;
    this.stats.requests += 1;
    try {
      response = await broker.request(ApiKey.Metadata, (version: number) => ({
        // v0 has no null: an empty list means "all topics" there. From v1, null means all and [] means none.
        topics: want === 'all' ? (version === 0 ? [] : null) : [...want].map((name) => ({ name })),
        allowAutoTopicCreation: this.allowAutoTopicCreation,
        includeTopicAuthorizedOperations: false,
      }));
    } catch (err) {
      this.stats.failures += 1;
      if (wasStale) this.stale = true;
      this.noteFailure();
      throw err;
    }
    if (response.errorCode === ErrorCode.REBOOTSTRAP_REQUIRED && !rebootstrapped
      && this.pool.rebootstrap('the broker answered Metadata with REBOOTSTRAP_REQUIRED (KIP-1102)')) {
      // The known brokers are forgotten: the same request again, through a bootstrap address.
      if (wasStale) this.stale = true;
      return this.fetch(want, true);
    }
    if (response.errorCode) {
      this.noteFailure();
      throw kafkaError(response.errorCode, 'Metadata');
    }
    if ((response.brokers ?? []).length === 0) {
      // A broker starting up, or in controlled shutdown (KRaft lists only unfenced brokers, so not itself), can answer
      // Metadata naming no broker at all. Applied, that answer would forget every known broker: the client would then
      // go back to bootstrap.servers, even with metadata.recovery.strategy=none. Java's client ignores such an answer
      // too; it is a failed refresh, asked again after the backoff.
      if (wasStale) this.stale = true;
      this.noteFailure();
      throw new ConnectionError(`${broker.address} answered Metadata naming no broker (starting up or shutting down)`,
        broker.address, { retriable: true });
    }
    this.failingSince = 0;
    this.apply(response, want);
  }

  /**
   * KIP-1102: metadata that has not come for metadata.recovery.rebootstrap.trigger.ms (brokers that accept
   * connections but do not answer, or answer errors) rebootstraps, as when no known broker can be reached at all.
   */
  private noteFailure(): void {
    const now = Date.now();
    if (this.failingSince === 0) {
      this.failingSince = now;
      return;
    }
    if (now - this.failingSince < this.pool.options.rebootstrapTriggerMs) return;
    if (this.pool.rebootstrap(`no metadata for ${now - this.failingSince} ms (metadata.recovery.rebootstrap.trigger.ms)`)) {
      this.failingSince = now;
    }
  }

  private apply(response: MetadataResponse, want: Want): void {
    const brokers: BrokerInfo[] = (response.brokers ?? []).map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack ?? null,
    }));
    this.brokerList = brokers;
    this.pool.updateBrokers(brokers);
    this.cluster = response.clusterId ?? null;
    this.controller = response.controllerId ?? -1;

    let needsRetry = false;
    const now = Date.now();
    const seen = new Set<string>();
    for (const t of response.topics ?? []) {
      const name: string | null = t.name;
      if (name === null || name === undefined) continue; // only for topics queried by id, which we never do
      seen.add(name);
      if (t.errorCode !== ErrorCode.NONE) {
        this.topicErrors.set(name, t.errorCode);
        if (t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) {
          // A topic being created: its partitions appear shortly.
          needsRetry = true;
        } else {
          this.dropTopic(name);
        }
        continue;
      }
      this.topicErrors.delete(name);
      const previous = this.topics.get(name);
      const partitions: PartitionMetadata[] = [];
      for (const p of t.partitions ?? []) {
        let next: PartitionMetadata = {
          topic: name,
          partition: p.partitionIndex,
          leaderId: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes ?? [],
          isr: p.isrNodes ?? [],
          offline: p.offlineReplicas ?? [],
          errorCode: p.errorCode ?? ErrorCode.NONE,
        };
        const old = previous?.partitions[p.partitionIndex];
        const sameTopic = previous !== undefined && previous.topicId === t.topicId;
        if (sameTopic && old !== undefined && old.leaderEpoch >= 0 && next.leaderEpoch >= 0 && old.leaderEpoch > next.leaderEpoch) {
          // KIP-320: this response is older than what we know; keep ours and ask again.
          next = old;
          needsRetry = true;
        }
        if (next.leaderId < 0 || next.errorCode !== ErrorCode.NONE) needsRetry = true;
        partitions[p.partitionIndex] = next;
      }
      const topicId: string = t.topicId ?? ZERO_UUID_STRING;
      if (previous !== undefined && previous.topicId !== topicId) this.namesById.delete(previous.topicId);
      this.topics.set(name, { name, topicId, isInternal: t.isInternal ?? false, partitions });
      this.topicRefreshedAt.set(name, now);
      if (topicId !== ZERO_UUID_STRING) this.namesById.set(topicId, name);
    }
    if (want === 'all') {
      // A full listing: topics missing from it were deleted.
      for (const name of [...this.topics.keys()]) if (!seen.has(name)) this.dropTopic(name);
      for (const name of this.tracked) {
        if (!seen.has(name)) this.topicErrors.set(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
    }
    this.refreshedAt = now;
    if (needsRetry) this.markStale();
  }

  private dropTopic(name: string): void {
    const old = this.topics.get(name);
    if (old === undefined) return;
    this.topics.delete(name);
    this.topicRefreshedAt.delete(name);
    if (this.namesById.get(old.topicId) === name) this.namesById.delete(old.topicId);
  }
}

function covers(have: Want, want: Want): boolean {
  if (have === 'all') return true;
  if (want === 'all') return false;
  for (const t of want) if (!have.has(t)) return false;
  return true;
}

function merge(a: Want, b: Want): Want {
  if (a === 'all' || b === 'all') return 'all';
  return new Set([...a, ...b]);
}
