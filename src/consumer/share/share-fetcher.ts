// One broker's share session (KIP-932) and the loop that drives it: ShareFetch to acquire records of the partitions
// this broker leads, with the acknowledgements queued for them riding along (piggybacked), ShareAcknowledge when
// there is something to acknowledge but nothing to fetch (the application's buffer is full, a partition went away)
// and for renewals (KIP-1222: a request with IsRenewAck may not fetch).
//
// The session, like a KIP-227 fetch session: epoch 0 opens it with every partition; later requests (epoch 1, 2, ...,
// one at a time, wrapping to 1 after 2^31-1) name only partitions added or carrying acknowledgements, and forget the
// ones removed; epoch -1 closes it. A first request (epoch 0) may not carry acknowledgements. Session errors
// (SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH) and a lost connection start a new session; acknowledgements
// of a request the broker did not apply are queued again (acquisition locks belong to the member, not the session).
//
//   idle --(partitions, room in the buffer)--> fetching --(response)--> idle
//   idle --(acks queued, no fetch wanted)--> acknowledging --(response)--> idle
//   any --(close)--> final ShareAcknowledge at epoch -1 with what is left --> closed

import type { Cluster } from '../../cluster/client.js';
import { backoff, sleep } from '../../cluster/retry.js';
import { GregorError, KafkaError, StateError } from '../../errors.js';
import type { Logger } from '../../network/options.js';
import { ApiKey, type ResponseBody } from '../../protocol/index.js';
import { ErrorCode, errorName, kafkaError } from '../../protocol/error-codes.js';
import { authorizationFailed, leaderMoved } from '../../protocol/error-kinds.js';
import { AckQueue, partitionKey, toBatches, type TakenAcks } from './acknowledgements.js';
import { channels, traced } from '../../diagnostics.js';

/** A partition this broker's session should read. */
export interface WantedPartition {
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
}

/** An acknowledgement's outcome for one partition of a request: 0 when applied. */
export interface AckOutcome {
  readonly taken: TakenAcks;
  /** Per partition key: the acknowledge error code (0: applied). */
  readonly errors: ReadonlyMap<string, { code: number; message: string | null }>;
  /** Set when the whole request failed and the acknowledgements were not applied (and were not queued again). */
  readonly failed: Error | null;
  /** The lock duration the broker reported with a renewal (ShareAcknowledge v2), or 0. */
  readonly lockTimeoutMs: number;
}

/** What a fetcher needs from its share consumer. */
export interface ShareFetcherHost {
  readonly cluster: Cluster;
  readonly logger: Logger;
  readonly groupId: string;
  /** The member id of the share group membership. */
  memberId(): string;
  /** The partitions led by this broker that the membership is assigned. */
  wanted(nodeId: number): ReadonlyMap<string, WantedPartition>;
  /** How many records a ShareFetch should acquire now (0: none; the consumer's fetch-ahead bound, prefetch.ts). */
  recordsWanted(): number;
  /** fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes; acquireMode 0 batch_optimized, 1 record_limit. */
  readonly fetch: { maxWaitMs: number; minBytes: number; maxBytes: number; acquireMode: number };
  /** Records acquired from one partition, their lock duration and when the request that acquired them left. */
  onAcquired(nodeId: number, p: WantedPartition, records: Buffer | null,
    acquired: readonly { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[], lockTimeoutMs: number, sentAt: number): void;
  /** A request's acknowledgements were answered. */
  onAcknowledged(nodeId: number, outcome: AckOutcome): void;
  /** A partition's leader moved (or its metadata is stale): the host refreshes and routes it again. */
  onLeaderMoved(topic: string): void;
  /** A fatal error (authorization): the consumer reports it to the application. */
  onFatal(err: Error): void;
}

const MAX_EPOCH = 2147483647;

export class ShareFetcher {
  readonly acks = new AckQueue();
  private epoch = 0;
  private readonly inSession = new Map<string, WantedPartition>();
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private failures = 0;
  private lastError: Error | null = null;
  /** Requests in flight carrying acknowledgements (0 or 1: one request at a time). */
  carrying = 0;
  /** The MaxRecords of the ShareFetch in flight (0: none): counted against the consumer's fetch-ahead bound. */
  asking = 0;
  /** Requests sent in this fetcher's life, by kind (for tests and metrics). */
  readonly sent = { fetch: 0, acknowledge: 0 };

  constructor(
    readonly nodeId: number,
    private readonly host: ShareFetcherHost,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Something changed (records taken, acknowledgements queued, assignment): look again. */
  kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Whether the session is open (acknowledgements can go to the broker). */
  get open(): boolean {
    return this.epoch > 0;
  }

  /** Stops the loop after the request in flight; then sends what is queued at epoch -1, closing the session. */
  async close(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loop;
    if (this.epoch <= 0) return;
    const taken = this.acks.take(false);
    try {
      const res = await this.host.cluster.request(this.nodeId, ApiKey.ShareAcknowledge, this.ackBody(taken, -1, false));
      this.sent.acknowledge++;
      if (taken !== null) this.host.onAcknowledged(this.nodeId, this.ackOutcome(taken, res));
    } catch (err) {
      if (taken !== null) this.host.onAcknowledged(this.nodeId, { taken, errors: new Map(), failed: err as Error, lockTimeoutMs: 0 });
    }
    this.epoch = 0;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const wanted = this.host.wanted(this.nodeId);
      try {
        const want = wanted.size > 0 ? this.host.recordsWanted() : 0;
        if (this.acks.hasRenew && this.epoch > 0) {
          await this.acknowledge(true);
        } else if (want > 0 && !this.hasAcksOutside(wanted)) {
          await this.fetch(wanted, want);
        } else if (this.acks.hasFinal && this.epoch > 0) {
          await this.acknowledge(false);
        } else if (this.acks.size > 0 && this.epoch === 0 && wanted.size > 0) {
          // Acknowledgements need an open session: open one (a first request may not carry them), acquiring as
          // little as a ShareFetch may.
          await this.fetch(wanted, 1);
        } else if (this.acks.size > 0 && this.epoch === 0) {
          this.abandonAcks();
          continue;
        } else {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            // A wake-up may be lost between the checks above and here; look again after a short while anyway.
            setTimeout(resolve, 200).unref();
          });
          continue;
        }
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.lastError = err as Error;
        this.reset();
        if (err instanceof KafkaError && authorizationFailed(err.errorCode)) {
          this.host.onFatal(err);
          return;
        }
        // The broker did not answer (gone, unreachable): its partitions may have new leaders that only fresh metadata
        // names, as Java's client asks for a metadata update on a disconnect. Without it a dead leader's partitions
        // were fetched from it until the metadata's periodic refresh.
        if (!(err instanceof KafkaError)) {
          for (const topic of new Set([...wanted.values()].map((p) => p.topic))) this.host.onLeaderMoved(topic);
        }
        // A lasting failure is a warning (the logger prints a repeated line at most every 30 s); a passing one is not.
        const level = this.failures >= 5 ? 'warn' : 'debug';
        this.host.logger[level]('share fetch failed', { node: this.nodeId, failures: this.failures, error: (err as Error).message });
        await sleep(backoff(this.failures, this.host.cluster.retry.retryBackoffMs, this.host.cluster.retry.retryBackoffMaxMs));
      }
    }
  }

  /**
   * No session and no assigned partition led by this broker to open one with: its partitions moved (a leader
   * election, the broker died). Acquisition locks live on the partition's leader and a new leader starts from the
   * share state persisted by the share coordinator, where acquired records are available again: these
   * acknowledgements can never be applied. They fail, named, instead of waiting forever (and commit() with them).
   */
  private abandonAcks(): void {
    for (const renew of [false, true]) {
      const taken = this.acks.take(renew);
      if (taken === null) continue;
      const failed = new StateError(`acknowledging ${taken.count} record(s) acquired from broker ${this.nodeId}: it leads none of this member's partitions any more, and the acquisition locks were its own`,
        this.lastError === null ? undefined : { cause: this.lastError });
      this.host.onAcknowledged(this.nodeId, { taken, errors: new Map(), failed, lockTimeoutMs: 0 });
    }
  }

  private hasAcksOutside(wanted: ReadonlyMap<string, WantedPartition>): boolean {
    return this.epoch > 0 && this.acks.hasFinalOutside(wanted);
  }

  private nextEpoch(): number {
    const e = this.epoch;
    this.epoch = e >= MAX_EPOCH ? 1 : e + 1;
    return e;
  }

  private reset(): void {
    this.epoch = 0;
    this.inSession.clear();
  }

  private async fetch(wanted: ReadonlyMap<string, WantedPartition>, maxRecords: number): Promise<void> {
    const opening = this.epoch === 0;
    const taken = opening ? null : this.acks.take(false);
    const topics = new Map<string, { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: ReturnType<typeof toBatches> }[] }>();
    const add = (topicId: string, partition: number, batches: ReturnType<typeof toBatches>): void => {
      let t = topics.get(topicId);
      if (t === undefined) topics.set(topicId, (t = { topicId, partitions: [] }));
      t.partitions.push({ partitionIndex: partition, acknowledgementBatches: batches });
    };
    const withAcks = new Set<string>();
    if (taken !== null) {
      for (const [key, p] of taken.partitions) {
        withAcks.add(key);
        add(p.topicId, p.partition, toBatches(p.offsets));
      }
    }
    for (const [key, p] of wanted) if (!withAcks.has(key) && (opening || !this.inSession.has(key))) add(p.topicId, p.partition, []);
    const forgotten = new Map<string, number[]>();
    if (!opening) {
      for (const [key, p] of this.inSession) {
        if (wanted.has(key)) continue;
        let f = forgotten.get(p.topicId);
        if (f === undefined) forgotten.set(p.topicId, (f = []));
        f.push(p.partition);
      }
    }
    const { maxWaitMs, minBytes, maxBytes, acquireMode } = this.host.fetch;
    const sentAt = Date.now();
    const epoch = this.nextEpoch();
    let res: ResponseBody<typeof ApiKey.ShareFetch>;
    if (taken !== null) this.carrying++;
    this.asking = maxRecords;
    try {
      this.sent.fetch++;
      // gregor:consumer:fetch, as a consumer's Fetch (its groupId: the share group).
      res = await traced(channels.fetch, () => ({
        clientId: this.host.cluster.identity.clientId, groupId: this.host.groupId, nodeId: this.nodeId,
        partitions: [...wanted.values()].map((p) => ({ topic: p.topic, partition: p.partition })),
      }), () => this.host.cluster.request(this.nodeId, ApiKey.ShareFetch, {
        groupId: this.host.groupId, memberId: this.host.memberId(), shareSessionEpoch: epoch, maxWaitMs, minBytes, maxBytes,
        maxRecords, batchSize: maxRecords, shareAcquireMode: acquireMode, isRenewAck: false,
        topics: [...topics.values()],
        forgottenTopicsData: [...forgotten].map(([topicId, partitions]) => ({ topicId, partitions })),
      }, { lane: 'fetch', timeoutMs: this.host.cluster.requestTimeoutMs + maxWaitMs }));
    } catch (err) {
      // A KafkaError here is the broker's answer (nothing applied); anything else (a timeout, a lost connection)
      // leaves it unknown whether the broker applied the acknowledgements.
      if (taken !== null) this.acks.requeue(taken, { answered: err instanceof KafkaError });
      throw err;
    } finally {
      if (taken !== null) this.carrying--;
      this.asking = 0;
    }
    if (res.errorCode !== ErrorCode.NONE) {
      if (taken !== null) this.acks.requeue(taken, { answered: true });
      throw kafkaError(res.errorCode, `ShareFetch to broker ${this.nodeId}`, res.errorMessage, { group: this.host.groupId });
    }
    // The session now holds what it held, plus what this request named, minus what it forgot.
    for (const [key, p] of wanted) this.inSession.set(key, p);
    for (const key of [...this.inSession.keys()]) if (!wanted.has(key)) this.inSession.delete(key);
    if (taken !== null) this.host.onAcknowledged(this.nodeId, this.ackOutcome(taken, res));
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const p = wanted.get(partitionKey(t.topicId, pd.partitionIndex)) ?? this.byId(t.topicId, pd.partitionIndex);
        if (p === undefined) continue;
        if (pd.errorCode !== ErrorCode.NONE) {
          if (leaderMoved(pd.errorCode) || pd.errorCode === ErrorCode.UNKNOWN_TOPIC_ID) this.host.onLeaderMoved(p.topic);
          else this.host.logger.warn('share fetch: partition error', { topic: p.topic, partition: p.partition, error: errorName(pd.errorCode), message: pd.errorMessage });
          if (authorizationFailed(pd.errorCode)) this.host.onFatal(kafkaError(pd.errorCode, 'ShareFetch', pd.errorMessage, { group: this.host.groupId, topic: p.topic }));
          continue;
        }
        if (pd.acquiredRecords.length > 0) this.host.onAcquired(this.nodeId, p, pd.records, pd.acquiredRecords, res.acquisitionLockTimeoutMs, sentAt);
      }
    }
  }

  private byId(topicId: string, partition: number): WantedPartition | undefined {
    const topic = this.host.cluster.topicName(topicId);
    return topic === undefined ? undefined : { topicId, topic, partition };
  }

  private ackBody(taken: TakenAcks | null, epoch: number, renew: boolean): {
    groupId: string; memberId: string; shareSessionEpoch: number; isRenewAck: boolean;
    topics: { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: ReturnType<typeof toBatches> }[] }[];
  } {
    const topics = new Map<string, { topicId: string; partitions: { partitionIndex: number; acknowledgementBatches: ReturnType<typeof toBatches> }[] }>();
    for (const p of taken?.partitions.values() ?? []) {
      let t = topics.get(p.topicId);
      if (t === undefined) topics.set(p.topicId, (t = { topicId: p.topicId, partitions: [] }));
      t.partitions.push({ partitionIndex: p.partition, acknowledgementBatches: toBatches(p.offsets) });
    }
    return { groupId: this.host.groupId, memberId: this.host.memberId(), shareSessionEpoch: epoch, isRenewAck: renew, topics: [...topics.values()] };
  }

  private async acknowledge(renew: boolean): Promise<void> {
    const taken = this.acks.take(renew);
    if (taken === null) return;
    const epoch = this.nextEpoch();
    let res: ResponseBody<typeof ApiKey.ShareAcknowledge>;
    this.carrying++;
    try {
      this.sent.acknowledge++;
      res = await this.host.cluster.request(this.nodeId, ApiKey.ShareAcknowledge, this.ackBody(taken, epoch, renew),
        { lane: 'fetch', minVersion: renew ? 2 : undefined });
    } catch (err) {
      this.acks.requeue(taken, { answered: err instanceof KafkaError });
      throw err;
    } finally {
      this.carrying--;
    }
    if (res.errorCode !== ErrorCode.NONE) {
      this.acks.requeue(taken, { answered: true });
      throw kafkaError(res.errorCode, `ShareAcknowledge to broker ${this.nodeId}`, res.errorMessage, { group: this.host.groupId });
    }
    this.host.onAcknowledged(this.nodeId, this.ackOutcome(taken, res));
  }

  private ackOutcome(taken: TakenAcks, res: ResponseBody<typeof ApiKey.ShareFetch> | ResponseBody<typeof ApiKey.ShareAcknowledge>): AckOutcome {
    const errors = new Map<string, { code: number; message: string | null }>();
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const key = partitionKey(t.topicId, pd.partitionIndex);
        if (!taken.partitions.has(key)) continue;
        const code = 'acknowledgeErrorCode' in pd ? pd.acknowledgeErrorCode : pd.errorCode;
        const message = 'acknowledgeErrorMessage' in pd ? pd.acknowledgeErrorMessage : pd.errorMessage;
        errors.set(key, { code, message });
      }
    }
    const lockTimeoutMs = 'acquisitionLockTimeoutMs' in res ? res.acquisitionLockTimeoutMs : 0;
    return { taken, errors, failed: null, lockTimeoutMs };
  }
}

/** A failed acknowledgement as an error naming the broker's answer. */
export function ackError(code: number, message: string | null, where: { group: string; topic: string; partition: number }): GregorError {
  return kafkaError(code, `acknowledging records of ${where.topic}[${where.partition}]`, message, { group: where.group, topic: where.topic });
}
