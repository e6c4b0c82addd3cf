// The ShareConsumer: a member of a share group (KIP-932). Any number of members read the same partitions; the
// broker locks each record it hands out to one member for the acquisition lock duration, and the member acknowledges
// it (accept, release, reject; renew extends the lock, KIP-1222). A record not acknowledged before its lock expires
// becomes available again with its delivery count raised; past the group's delivery count limit it is archived.
//
// The parts: membership.ts (ShareGroupHeartbeat through the heartbeat thread), one ShareFetcher per broker leading an
// assigned partition (share-fetcher.ts: the share session, ShareFetch with piggybacked acknowledgements,
// ShareAcknowledge), acknowledgements.ts (what is queued, as AcknowledgementBatches), share-runner.ts (run()).
//
// A record's life here: acquired (a ShareFetch response) -> buffered (waiting for poll()) -> with the application
// (handed out) -> acknowledged (queued on its broker's fetcher, sent on the next request) -> answered.
//
// Deserializers and gregor.error.policy apply at the hand-out (poll(), iteration, run()): a record that cannot be
// deserialized (or, in run(), whose handler still fails after its retries) is settled by the policy, never handed
// on: stop releases it (redelivered, its delivery count raised) and raises the error; skip rejects it (the broker
// archives it); dead-letter writes it to the dead-letter topic and accepts it only once that write is acknowledged
// (acks=all), releasing it when the write fails. A share group has no offset to hold back, so the acknowledgement
// is what makes dead-lettering safe: accepted after the write, at least once in the dead-letter topic. A buffered
// record whose lock has run out is dropped, never handed out (another member may hold it by then). close() sends
// what was acknowledged, accepts (implicit mode) or releases (explicit mode) what the application holds, releases
// what it never saw, and leaves the group.

import { EventEmitter } from 'node:events';
import type { Cluster } from '../../cluster/client.js';
import { connectCluster, loggerFor } from '../../cluster/connect.js';
import { CoordinatorType, type Coordinator } from '../../cluster/coordinator.js';
import { ACTIVITY_POLLS, ACTIVITY_SLOTS, ACTIVITY_WAITING, GroupLiveness } from '../../cluster/group-liveness.js';
import { resolveConfig, type ConsumerConfig, type ResolvedConsumerConfig } from '../../config/index.js';
import { channels, trace } from '../../diagnostics.js';
import { AckTraces } from './ack-traces.js';
import type { Deserializer } from '../../config/types.js';
import { ConfigError, StateError } from '../../errors.js';
import type { Logger } from '../../network/options.js';
import { ErrorCode, kafkaError } from '../../protocol/error-codes.js';
import { RecordSetReader } from '../../protocol/records/decode.js';
import type { ConsumerOptions } from '../api.js';
import { Deserializers } from '../deserialize.js';
import { deadLetterSinkFactory, FailurePolicy } from '../failure-policy.js';
import type { Message } from '../message.js';
import { ACK_NAMES, ACK_TYPE_BY_NAME, AckType, partitionKey, type AckTypeCode, type AcknowledgeType } from './acknowledgements.js';
import {
  AcknowledgementError, ShareConsumerRecord, type AcknowledgementFailure, type ShareConsumerEvents, type ShareConsumerMetrics, type ShareConsumerState,
  type ShareDelivered, type ShareMessage, type ShareRunOptions, type ShareRunSummary,
} from './api.js';
import { ShareMembership, type ShareAssignment } from './membership.js';
import { PrefetchBound } from './prefetch.js';
import { ackError, ShareFetcher, type AckOutcome, type ShareFetcherHost, type WantedPartition } from './share-fetcher.js';
import { ShareRunner } from './share-runner.js';

/** A record this consumer holds: acquired and not yet finally acknowledged. */
export interface Held {
  record: ShareMessage;
  /** The broker whose acquisition lock this is (a record acquired again moves it, see acquired()). */
  nodeId: number;
  topicId: string;
  /** Date.now() when the lock ends at the earliest, counted from the request that acquired it (renewals move it). */
  deadline: number;
  /** Date.now() when the lock has ended at the latest, counted from the answer (renewals move it). */
  endsBy: number;
  /** Handed to the application. */
  delivered: boolean;
}

function heldKey(topic: string, partition: number, offset: bigint): string {
  return `${topic}:${partition}:${offset}`;
}

/** A record as handed out: the raw ShareMessage, or a ShareConsumerRecord (deserializers). */
type Handed = { readonly topic: string; readonly partition: number; readonly offset: bigint };

/** What gregor.error.policy did with a failed record (see _settleFailed). */
export type PolicyOutcome = 'released' | 'rejected' | 'dead-lettered';

function newShareRecord(m: Message, key: unknown, value: unknown): ShareConsumerRecord<unknown, unknown> {
  return new ShareConsumerRecord(m, key, value);
}

/**
 * A member of a share group (KIP-932): reads the subscribed topics together with the group's other members, any
 * number of them, each record locked to one member until it is acknowledged (see README, "Share groups").
 * key.deserializer and value.deserializer type what is handed out (ShareDelivered), as for Consumer.
 */
export class ShareConsumer<KS extends Deserializer | undefined = Deserializer, VS extends Deserializer | undefined = Deserializer>
  extends EventEmitter<ShareConsumerEvents> implements AsyncIterable<ShareDelivered<KS, VS>> {
  /** The resolved configuration (frozen). */
  readonly config: ResolvedConsumerConfig;
  /** group.id: the share group this consumer is a member of. */
  readonly groupId: string;
  private readonly cluster: Cluster;
  /** @internal the consumer's logger (run() logs through it) */
  readonly _logger: Logger;
  private readonly coordinator: Coordinator;
  private readonly liveness: GroupLiveness;
  private readonly membership: ShareMembership;
  private readonly activity = new Int32Array(new SharedArrayBuffer(ACTIVITY_SLOTS * 4));
  private readonly fetchers = new Map<number, ShareFetcher>();
  private routes = new Map<number, Map<string, WantedPartition>>();
  private assignment: ShareAssignment = new Map();
  private subscription: readonly string[] = [];
  private readonly buffer: Held[] = [];
  /** How many records are worth acquiring ahead of the application (its pace against the lock). */
  private readonly prefetch = new PrefetchBound();
  /** The gregor:share:acknowledge traces in flight (only while someone subscribes). */
  private readonly ackTraces: AckTraces;
  private readonly held = new Map<string, Held>();
  private lifecycle: ShareConsumerState = 'idle';
  private fatal: Error | null = null;
  private waiters: (() => void)[] = [];
  private ackWaiters: (() => void)[] = [];
  private failuresSinceCommit: AcknowledgementFailure[] = [];
  private readonly explicit: boolean;
  private readonly maxPollRecords: number;
  /** @internal the lock duration of the last ShareFetch response (the group's share.record.lock.duration.ms) */
  _lockDurationMs = 30_000;
  private running = false;
  private stopRunner: (() => Promise<void>) | null = null;
  private readonly fetcherHost: ShareFetcherHost;
  /** key.deserializer / value.deserializer; null when records are handed out as acquired. */
  private readonly deserializers: Deserializers | null;
  /** @internal gregor.error.policy with its dead-letter sink (run() settles through _settleFailed). */
  readonly _failures: FailurePolicy;
  /** Dead-letter writes in flight: close() waits for them before it releases what is held. */
  private readonly deadLettering = new Set<Promise<unknown>>();
  /** A stop-policy error found beside records that were handed out: raised by the next poll() (see deliverable()). */
  private pendingError: unknown = null;
  private readonly counts = {
    acquisitions: 0, delivered: 0, acknowledgementFailures: 0, lockExpiries: 0, reacquired: 0, rejected: 0, deadLettered: 0,
    acknowledgements: { accept: 0, release: 0, reject: 0, gap: 0, renew: 0 },
  };

  /**
   * @param config Kafka's property names, as for Consumer; group.id names the share group. key.deserializer and
   *   value.deserializer type what is handed out (ShareDelivered).
   * @param options connectAddress, and deadLetterSink (gregor.error.policy=dead-letter) as for Consumer.
   */
  constructor(config: (ConsumerConfig & { 'key.deserializer'?: KS; 'value.deserializer'?: VS }) | ResolvedConsumerConfig, options: ConsumerOptions = {}) {
    super();
    this.config = resolveConfig('consumer', config);
    const groupId = this.config['group.id'];
    if (groupId === undefined || groupId === '') throw new ConfigError('a ShareConsumer needs group.id: the share group to read as a member of');
    this.groupId = groupId;
    this.ackTraces = new AckTraces(this.config['client.id'], groupId);
    this.explicit = this.config['share.acknowledgement.mode'] === 'explicit';
    this.maxPollRecords = this.config['max.poll.records'];
    this._logger = loggerFor(this.config);
    this.deserializers = Deserializers.from(this.config);
    let sink = options.deadLetterSink ?? null;
    if (this.config['gregor.error.policy'] === 'dead-letter' && sink === null) {
      const factory = deadLetterSinkFactory();
      if (factory === null) throw new ConfigError('gregor.error.policy=dead-letter needs the dead-letter sink: import the ShareConsumer from the package (\'gregor\'), or pass ConsumerOptions.deadLetterSink');
      sink = factory(this.config);
    }
    this._failures = new FailurePolicy(this.config['gregor.error.policy'], sink, this._logger);
    this.cluster = connectCluster(this.config, { logger: this._logger, connectAddress: options.connectAddress });
    // A share group lives on a group coordinator like any group (FindCoordinator key type GROUP); key type SHARE
    // finds the share coordinator of one share-partition's state, a broker-to-broker matter.
    this.coordinator = this.cluster.coordinator(CoordinatorType.GROUP, groupId, 'group');
    const base = Date.now();
    this.liveness = new GroupLiveness(this.cluster, this.activity.buffer as SharedArrayBuffer, base, this._logger);
    this.membership = new ShareMembership({
      cluster: this.cluster, coordinator: this.coordinator, liveness: this.liveness, logger: this._logger, groupId,
      rackId: this.config['client.rack'] === '' ? null : this.config['client.rack'],
      maxPollIntervalMs: this.config['max.poll.interval.ms'],
      onAssignment: (a) => this.assign(a),
      onFatal: (err) => this.fail(err),
    });
    this.fetcherHost = {
      cluster: this.cluster, logger: this._logger, groupId,
      fetch: {
        maxWaitMs: this.config['fetch.max.wait.ms'], minBytes: this.config['fetch.min.bytes'],
        maxBytes: this.config['fetch.max.bytes'],
        acquireMode: this.config['share.acquire.mode'] === 'record_limit' ? 1 : 0,
      },
      memberId: () => this.membership.memberId,
      wanted: (nodeId) => this.routes.get(nodeId) ?? new Map(),
      recordsWanted: () => this.recordsWanted(),
      onAcquired: (nodeId, p, records, acquired, lockTimeoutMs, sentAt) => this.acquired(nodeId, p, records, acquired, lockTimeoutMs, sentAt),
      onAcknowledged: (_nodeId, outcome) => this.acknowledged(outcome),
      onLeaderMoved: (topic) => {
        this.cluster.markStale(topic);
        void this.cluster.refreshMetadata([topic]).then(() => this.route(), () => {});
      },
      onFatal: (err) => this.fail(err),
    };
  }

  /** idle (not subscribed yet), active, closing or closed. */
  get state(): ShareConsumerState {
    return this.lifecycle;
  }

  /** The member id this consumer chose for the share group (KIP-932: the member picks it). */
  get memberId(): string {
    return this.membership.memberId;
  }

  /** Joins the share group (group.id) reading these topics; calling it again changes the subscription. */
  subscribe(topics: readonly string[]): void {
    this.checkOpen('subscribe()');
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new TypeError('subscribe(): expected a non-empty array of topic names');
    }
    this.lifecycle = 'active';
    this.subscription = [...topics];
    void this.cluster.refreshMetadata(topics).catch(() => {});
    this.membership.subscribe(topics);
  }

  /**
   * Up to max.poll.records records, waiting up to `timeoutMs` for the first. Implicit mode
   * (share.acknowledgement.mode=implicit) accepts the records of the previous poll() first; explicit mode requires
   * each of them to have been acknowledged (a StateError otherwise, as Java's KafkaShareConsumer).
   */
  async poll(timeoutMs = 1000): Promise<ShareDelivered<KS, VS>[]> {
    this.checkOpen('poll()');
    if (this.running) throw new StateError('poll(): run() is handling the records of this consumer');
    this.settleDelivered('poll()');
    this.raisePending();
    const take = (): Promise<unknown[]> => (this.deserializers === null ? this._take(this.maxPollRecords, timeoutMs) : this._take(this.maxPollRecords, timeoutMs).then((r) => this.deliverable(r)));
    if (channels.poll.hasSubscribers) {
      const payload = { clientId: this.config['client.id'], groupId: this.groupId, operation: 'pollBatch' as const };
      return trace(channels.poll, payload, take) as Promise<ShareDelivered<KS, VS>[]>;
    }
    return take() as Promise<ShareDelivered<KS, VS>[]>;
  }

  /** Records one at a time; implicit mode accepts each when the loop asks for the next (see poll()). */
  async *[Symbol.asyncIterator](): AsyncGenerator<ShareDelivered<KS, VS>, void, undefined> {
    while (this.lifecycle === 'active' || this.lifecycle === 'idle') {
      this.settleDelivered('the iterator');
      this.raisePending();
      const taken = await this._take(1, 1000);
      const [record] = this.deserializers === null ? taken : await this.deliverable(taken);
      if (record !== undefined) yield record as ShareDelivered<KS, VS>;
    }
  }

  /**
   * Acknowledges a record handed out by this consumer: 'accept' (done), 'release' (give it back: delivered again,
   * to any member, its delivery count raised), 'reject' (archive it: never delivered again), 'renew' (KIP-1222: keep
   * the lock for another lock duration; the record still needs a final acknowledgement). Sent with the next request
   * to the record's broker; commit() waits for the answers.
   */
  acknowledge(record: ShareDelivered<KS, VS> | ShareMessage, type: AcknowledgeType = 'accept'): void {
    if (this.lifecycle === 'closed') throw new StateError('acknowledge(): the share consumer is closed');
    const code = ACK_TYPE_BY_NAME[type];
    if (code === undefined) throw new TypeError(`acknowledge(): type must be 'accept', 'release', 'reject' or 'renew', got ${JSON.stringify(type)}`);
    const h = this.held.get(heldKey(record.topic, record.partition, record.offset));
    if (h === undefined || !h.delivered) {
      throw new StateError(`acknowledge(): ${record.topic}[${record.partition}] offset ${record.offset} is not held by this consumer (never handed out, or already acknowledged)`);
    }
    this._queueAck(h, code);
  }

  /**
   * @internal queues an acknowledgement of a held record on its broker's fetcher. One whose lock surely ended is
   * refused here, not sent: the broker answers such an acknowledgement with INVALID_RECORD_STATE only while it still
   * tracks the record; once other members acknowledged it and the share-partition start offset passed it, the
   * broker ignores it and answers NONE, which would tell the application that its late accept counted.
   */
  _queueAck(h: Held, code: AckTypeCode): void {
    this.ackTraces.made(h.record, code);
    if (code !== AckType.RENEW) {
      this.held.delete(heldKey(h.record.topic, h.record.partition, h.record.offset));
      const now = Date.now();
      if (now > h.deadline) this.counts.lockExpiries++;
      if (now > h.endsBy) {
        this.refuseExpired(h);
        return;
      }
    }
    const fetcher = this.fetcherFor(h.nodeId);
    fetcher.acks.add(h.topicId, h.record.partition, h.record.offset, code);
    fetcher.start();
    fetcher.kick();
  }

  /**
   * Sends every acknowledgement made so far (in implicit mode, first accepts what poll() handed out) and waits for
   * the brokers' answers. Rejects with an AcknowledgementError naming the refused ones (an expired lock:
   * INVALID_RECORD_STATE).
   */
  async commit(): Promise<void> {
    this.checkOpen('commit()');
    if (!this.explicit) this.acceptDelivered();
    this.flushExpired();
    await this._acksSettled();
    const failures = this.failuresSinceCommit;
    this.failuresSinceCommit = [];
    if (failures.length > 0) {
      throw new AcknowledgementError(`commit(): the broker refused ${failures.length} acknowledgement(s): ${failures[0].error.message}`, failures);
    }
  }

  /**
   * Handles records with a handler until `signal` aborts or close(): each record is accepted when its handler
   * resolves, lock renewals keep long handlers' records (see ShareRunOptions), and a record that still fails after
   * its retries follows gregor.error.policy (stop: released, run() rejects with a HandlerError; skip: rejected).
   */
  async run(options: ShareRunOptions<ShareDelivered<KS, VS>>): Promise<ShareRunSummary> {
    this.checkOpen('run()');
    if (this.running) throw new StateError('run(): already running');
    this.running = true;
    try {
      const runner = new ShareRunner(this, options as ShareRunOptions<unknown>, this.deserializers);
      this.stopRunner = () => runner.stop();
      return await runner.run();
    } finally {
      this.running = false;
      this.stopRunner = null;
    }
  }

  /** Counters and what is held now (see ShareConsumerMetrics). */
  metrics(): ShareConsumerMetrics {
    let withApplication = 0;
    for (const h of this.held.values()) if (h.delivered) withApplication++;
    let shareFetch = 0;
    let shareAcknowledge = 0;
    for (const f of this.fetchers.values()) {
      shareFetch += f.sent.fetch;
      shareAcknowledge += f.sent.acknowledge;
    }
    let assignedPartitions = 0;
    for (const ps of this.assignment.values()) assignedPartitions += ps.length;
    return {
      attributes: { 'messaging.system': 'kafka', 'messaging.consumer.group.name': this.groupId, 'messaging.client.id': this.config['client.id'] },
      acquisitions: this.counts.acquisitions,
      delivered: this.counts.delivered,
      acknowledgements: { ...this.counts.acknowledgements },
      acknowledgementFailures: this.counts.acknowledgementFailures,
      errorPolicy: { rejected: this.counts.rejected, deadLettered: this.counts.deadLettered },
      lockExpiries: this.counts.lockExpiries,
      reacquired: this.counts.reacquired,
      held: this.held.size,
      withApplication,
      memberEpoch: this.membership.memberEpoch,
      assignedPartitions,
      requests: { shareFetch, shareAcknowledge },
    };
  }

  /**
   * Sends the acknowledgements made (implicit mode: accepts what the application was handed), releases the records
   * it holds otherwise, closes the share sessions and leaves the group. Idempotent.
   */
  async close(): Promise<void> {
    if (this.lifecycle === 'closed' || this.lifecycle === 'closing') return;
    this.lifecycle = 'closing';
    this.wakeAll();
    // run()'s handlers finish (or time out) and acknowledge their records before anything is released; so do the
    // dead-letter writes (a record written and then released would be both dead-lettered and redelivered).
    await this.stopRunner?.();
    while (this.deadLettering.size > 0) await Promise.allSettled([...this.deadLettering]);
    for (const h of [...this.held.values()]) {
      if (h.delivered) this._queueAck(h, this.explicit ? AckType.RELEASE : AckType.ACCEPT);
      else this.giveBack(h);
    }
    this.buffer.length = 0;
    await Promise.all([...this.fetchers.values()].map((f) => f.close()));
    await this._failures.close().catch((err: unknown) => this._logger.warn('closing the dead-letter sink failed', { error: (err as Error).message }));
    // Records acquired by a ShareFetch that was in flight were released at arrival and sent with the close above.
    await this.membership.leave();
    await this.liveness.close();
    await this.cluster.close();
    this.lifecycle = 'closed';
    this.wakeAll();
  }

  // ---- the runner's and the iterator's side ----------------------------------------------------------------------

  /** @internal takes up to `max` buffered records (waiting up to `timeoutMs` for one) and hands them out. */
  async _take(max: number, timeoutMs: number): Promise<ShareMessage[]> {
    this.activity[ACTIVITY_POLLS]++;
    const deadline = Date.now() + timeoutMs;
    this.prefetch.onAsk(max, deadline - timeoutMs);
    for (;;) {
      if (this.fatal !== null) throw this.fatal;
      if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return [];
      const out: ShareMessage[] = [];
      const now = Date.now();
      while (out.length < max && this.buffer.length > 0) {
        const h = this.buffer.shift()!;
        const key = heldKey(h.record.topic, h.record.partition, h.record.offset);
        if (h.deadline <= now) {
          // The lock ran out before the application saw the record: another member may hold it now.
          this.held.delete(key);
          this.counts.lockExpiries++;
          continue;
        }
        h.delivered = true;
        out.push(h.record);
      }
      if (out.length > 0) {
        this.counts.delivered += out.length;
        this.prefetch.onHandedOut(out.length, now);
        for (const f of this.fetchers.values()) f.kick();
        return out;
      }
      const left = deadline - Date.now();
      if (left <= 0) return out;
      for (const f of this.fetchers.values()) f.kick();
      Atomics.add(this.activity, ACTIVITY_WAITING, 1);
      try {
        await new Promise<void>((resolve) => {
          this.waiters.push(resolve);
          setTimeout(resolve, left).unref();
        });
      } finally {
        Atomics.sub(this.activity, ACTIVITY_WAITING, 1);
      }
    }
  }

  /** @internal the held record of a handed-out message, undefined once finally acknowledged. */
  _heldOf(record: Handed): Held | undefined {
    return this.held.get(heldKey(record.topic, record.partition, record.offset));
  }

  /** Acknowledgements refused because the lock had ended, per partition, reported together (flushExpired()). */
  private expiredAcks = new Map<string, { topic: string; partition: number; offsets: bigint[] }>();

  private refuseExpired(h: Held): void {
    const k = `${h.record.topic}:${h.record.partition}`;
    let e = this.expiredAcks.get(k);
    if (e === undefined) {
      if (this.expiredAcks.size === 0) queueMicrotask(() => this.flushExpired());
      this.expiredAcks.set(k, (e = { topic: h.record.topic, partition: h.record.partition, offsets: [] }));
    }
    e.offsets.push(h.record.offset);
  }

  private flushExpired(): void {
    const all = this.expiredAcks;
    if (all.size === 0) return;
    this.expiredAcks = new Map();
    for (const { topic, partition, offsets } of all.values()) {
      const error = kafkaError(ErrorCode.INVALID_RECORD_STATE,
        `acknowledging records of ${topic}[${partition}], not sent: their acquisition lock had ended (another member may have them)`,
        null, { group: this.groupId, topic });
      this.counts.acknowledgementFailures += offsets.length;
      const failure: AcknowledgementFailure = { topic, partition, offsets, error, maybeApplied: false };
      for (const o of offsets) this.ackTraces.refused(topic, partition, o, error);
      this._logger.warn('share consumer: acknowledgements after the lock ended', { group: this.groupId, topic, partition, count: offsets.length });
      this.failuresSinceCommit.push(failure);
      this.emit('acknowledgementFailed', failure);
    }
  }

  /**
   * @internal gregor.error.policy for a held record that failed: could not be deserialized (attempts 0) or run()'s
   * handler still failed after `attempts` calls. stop: released, 'released' (the caller raises the error); skip:
   * rejected; dead-letter: accepted once the dead letter is acknowledged, or released and a DeadLetterError thrown.
   */
  async _settleFailed(h: Held, error: unknown, attempts: number): Promise<PolicyOutcome> {
    // With the policy now, not the application: acknowledge() refuses it, commit() does not accept it.
    h.delivered = false;
    const record = h.record;
    const settled = this._failures.settle(record, error, attempts);
    if (settled === null) {
      this._logger.warn('record released (gregor.error.policy=stop)', {
        record: `${record.topic}[${record.partition}] offset ${record.offset}`, deliveryCount: record.deliveryCount, attempts,
        error: error instanceof Error ? error.message : String(error),
      });
      if (this._heldOf(record) === h) this._queueAck(h, AckType.RELEASE);
      return 'released';
    }
    if (settled === 'skipped') {
      if (this._heldOf(record) === h) this._queueAck(h, AckType.REJECT);
      this.counts.rejected++;
      return 'rejected';
    }
    this.deadLettering.add(settled);
    try {
      await settled;
    } catch (err) {
      // Never accepted unless written: released, the group delivers it again (its delivery count raised).
      if (this._heldOf(record) === h) this._queueAck(h, AckType.RELEASE);
      throw err;
    } finally {
      this.deadLettering.delete(settled);
    }
    // Still held unless run()'s drain timeout released it meanwhile: then it is redelivered too (at least once).
    if (this._heldOf(record) === h) this._queueAck(h, AckType.ACCEPT);
    this.counts.deadLettered++;
    return 'dead-lettered';
  }

  /** @internal resolves once nothing is queued or in flight to any broker. */
  async _acksSettled(): Promise<void> {
    while ([...this.fetchers.values()].some((f) => f.acks.size > 0 || f.carrying > 0)) {
      if (this.fatal !== null) throw this.fatal;
      await new Promise<void>((resolve) => {
        this.ackWaiters.push(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
  }

  // ---- internals ---------------------------------------------------------------------------------------------

  private checkOpen(what: string): void {
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') throw new StateError(`${what}: the share consumer is ${this.lifecycle}`);
  }

  /**
   * The taken records deserialized, in order; those that fail are settled by the policy and left out. A stop-policy
   * error (or a failed dead letter) is raised now when nothing else was taken, else by the next poll() (the records
   * beside it are handed out first: the consumer's rule, see Consumer.pollBatch()).
   */
  private async deliverable(records: readonly ShareMessage[]): Promise<unknown[]> {
    const d = this.deserializers!;
    const made: unknown[] = [];
    let waiting = false;
    for (const m of records) {
      try {
        const r = d.apply(m, newShareRecord);
        if (r instanceof Promise) waiting = true;
        made.push(r);
      } catch (err) {
        made.push(Promise.reject(err));
        waiting = true;
      }
    }
    const results = waiting ? await Promise.allSettled(made) : made.map((value) => ({ status: 'fulfilled' as const, value }));
    const out: unknown[] = [];
    const failed: Promise<PolicyOutcome>[] = [];
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') {
        out.push(r.value);
        continue;
      }
      const h = this._heldOf(records[i]);
      if (h !== undefined) failed.push(this._settleFailed(h, r.reason, 0).then((o) => (o === 'released' ? Promise.reject(r.reason) : o)));
    }
    if (failed.length > 0) {
      const raised = (await Promise.allSettled(failed)).find((o) => o.status === 'rejected');
      if (raised !== undefined) {
        if (out.length === 0) throw raised.reason;
        this.pendingError ??= raised.reason;
      }
    }
    return out;
  }

  private raisePending(): void {
    const err = this.pendingError;
    if (err === null) return;
    this.pendingError = null;
    throw err;
  }

  private settleDelivered(what: string): void {
    if (this.explicit) {
      for (const h of this.held.values()) {
        if (h.delivered) throw new StateError(`${what}: share.acknowledgement.mode=explicit and ${h.record.topic}[${h.record.partition}] offset ${h.record.offset} was not acknowledged`);
      }
    } else {
      this.acceptDelivered();
    }
  }

  /**
   * Releases a buffered record the application never saw; one whose lock already ran out is only forgotten (the
   * broker made it available again itself, and a release would be refused with INVALID_RECORD_STATE).
   */
  private giveBack(h: Held): void {
    if (h.deadline > Date.now()) {
      this._queueAck(h, AckType.RELEASE);
      return;
    }
    this.held.delete(heldKey(h.record.topic, h.record.partition, h.record.offset));
    this.counts.lockExpiries++;
  }

  private acceptDelivered(): void {
    for (const h of [...this.held.values()]) if (h.delivered) this._queueAck(h, AckType.ACCEPT);
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private fail(err: Error): void {
    this.fatal ??= err;
    this._logger.error('share consumer stopped', { group: this.groupId, error: err.message });
    this.wakeAll();
  }

  private fetcherFor(nodeId: number): ShareFetcher {
    let f = this.fetchers.get(nodeId);
    if (f === undefined) {
      f = new ShareFetcher(nodeId, this.fetcherHost);
      this.fetchers.set(nodeId, f);
    }
    return f;
  }

  /**
   * Records a ShareFetch should acquire now: the fetch-ahead budget (prefetch.ts) less what is buffered and what
   * the ShareFetches in flight asked for, at most max.poll.records per request. The cap keeps today's memory bound:
   * a buffer's worth plus one request's worth per broker.
   */
  private recordsWanted(): number {
    if (this.lifecycle !== 'active' || this.membership.memberEpoch <= 0) return 0;
    let asking = 0;
    for (const f of this.fetchers.values()) asking += f.asking;
    const cap = this.maxPollRecords * (1 + this.routes.size);
    const n = this.prefetch.budget(this._lockDurationMs, Date.now(), cap) - this.buffer.length - asking;
    return n <= 0 ? 0 : Math.min(n, this.maxPollRecords);
  }

  /**
   * A new assignment from the coordinator: route its partitions to their leaders' fetchers. Buffered records of a
   * partition no longer assigned are released, not kept until their locks end: the partition's new reader gets them
   * at once.
   */
  private assign(a: ShareAssignment): void {
    this.assignment = a;
    let kept = 0;
    for (const h of this.buffer) {
      if (a.get(h.topicId)?.includes(h.record.partition) === true) {
        this.buffer[kept++] = h;
        continue;
      }
      this.giveBack(h);
    }
    this.buffer.length = kept;
    void this.route();
  }

  private async route(): Promise<void> {
    const a = this.assignment;
    const unknown = [...a.keys()].filter((id) => this.cluster.topicName(id) === undefined);
    if (unknown.length > 0 || [...a.keys()].some((id) => {
      const topic = this.cluster.topicName(id);
      return topic !== undefined && a.get(id)!.some((p) => this.cluster.leaderFor(topic, p) === undefined);
    })) {
      try {
        // The assignment names topic ids of the subscription (a topic re-created under the same name has a new id).
        await this.cluster.refreshMetadata(this.subscription);
      } catch (err) {
        this._logger.debug('share consumer: metadata refresh failed', { error: (err as Error).message });
      }
    }
    if (a !== this.assignment) return;
    const routes = new Map<number, Map<string, WantedPartition>>();
    const assigned: { topic: string; partition: number }[] = [];
    for (const [topicId, partitions] of a) {
      const topic = this.cluster.topicName(topicId);
      if (topic === undefined) continue;
      for (const partition of partitions) {
        const leader = this.cluster.leaderFor(topic, partition);
        if (leader === undefined || leader.leaderId < 0) continue;
        let r = routes.get(leader.leaderId);
        if (r === undefined) routes.set(leader.leaderId, (r = new Map()));
        r.set(partitionKey(topicId, partition), { topicId, topic, partition });
        assigned.push({ topic, partition });
      }
    }
    this.routes = routes;
    for (const nodeId of routes.keys()) this.fetcherFor(nodeId).start();
    for (const f of this.fetchers.values()) f.kick();
    this.emit('assigned', assigned);
  }

  private acquired(nodeId: number, p: WantedPartition, records: Buffer | null,
    acquired: readonly { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[], lockTimeoutMs: number, sentAt: number): void {
    if (lockTimeoutMs > 0) this._lockDurationMs = lockTimeoutMs;
    // The lock started when the broker answered, after the request left: counting from the send errs on the safe side.
    const lockDeadline = sentAt + lockTimeoutMs;
    const endsBy = Date.now() + lockTimeoutMs;
    const fetcher = this.fetcherFor(nodeId);
    const closing = this.lifecycle !== 'active';
    let n = 0;
    for (const r of acquired) n += Number(r.lastOffset - r.firstOffset + 1n);
    this.counts.acquisitions += n;
    const seen = new Set<bigint>();
    const countOf = (offset: bigint): number => {
      for (const r of acquired) if (offset >= r.firstOffset && offset <= r.lastOffset) return r.deliveryCount;
      return 0;
    };
    if (records !== null && records.length > 0) {
      const reader = new RecordSetReader(records, { checkCrcs: this.config['check.crcs'], topic: p.topic, partition: p.partition, minOffset: acquired[0].firstOffset });
      try {
        for (let b = reader.next(); b !== null; b = reader.next()) {
          if (b.isControl) continue;
          for (const rec of b.records) {
            const dc = countOf(rec.offset);
            if (dc === 0) continue;
            seen.add(rec.offset);
            const message = rec as ShareMessage;
            (message as { deliveryCount: number }).deliveryCount = dc;
            if (closing) {
              fetcher.acks.add(p.topicId, p.partition, rec.offset, AckType.RELEASE);
              continue;
            }
            const key = heldKey(p.topic, p.partition, rec.offset);
            const before = this.held.get(key);
            if (before !== undefined) {
              // Acquired again while this member still holds it: the broker handed it out anew, so the earlier lock
              // is gone (its leader died or moved, or the session that held it was reset) and only this acquisition
              // can be acknowledged. The one held entry moves to it: a buffered record is not handed out twice, and
              // the application's acknowledgement of the copy it already has goes to the broker that holds the lock.
              before.nodeId = nodeId;
              before.topicId = p.topicId;
              before.deadline = lockDeadline;
              before.endsBy = endsBy;
              if (!before.delivered) before.record = message;
              this.counts.reacquired++;
              continue;
            }
            const h: Held = { record: message, nodeId, topicId: p.topicId, deadline: lockDeadline, endsBy, delivered: false };
            this.held.set(key, h);
            this.buffer.push(h);
          }
        }
      } catch (err) {
        // A corrupt batch: what could not be decoded is released (another member, or a later fetch, may read it).
        this._logger.warn('share fetch: undecodable records released', { topic: p.topic, partition: p.partition, error: (err as Error).message });
        for (const r of acquired) {
          for (let o = r.firstOffset; o <= r.lastOffset; o++) if (!seen.has(o)) { seen.add(o); fetcher.acks.add(p.topicId, p.partition, o, AckType.RELEASE); }
        }
      }
    }
    // Acquired offsets with no record (transaction markers, compacted away) are acknowledged as gaps.
    for (const r of acquired) {
      for (let o = r.firstOffset; o <= r.lastOffset; o++) if (!seen.has(o)) fetcher.acks.add(p.topicId, p.partition, o, AckType.GAP);
    }
    fetcher.kick();
    this.wakeAll();
  }

  private acknowledged(outcome: AckOutcome): void {
    const { taken } = outcome;
    for (const [key, p] of taken.partitions) {
      const e = outcome.errors.get(key);
      const topic = this.cluster.topicName(p.topicId) ?? p.topicId;
      const failedWith = outcome.failed ?? (e !== undefined && e.code !== ErrorCode.NONE ? ackError(e.code, e.message, { group: this.groupId, topic, partition: p.partition }) : null);
      if (failedWith === null) {
        for (const [offset, t] of p.offsets) {
          this.counts.acknowledgements[ACK_NAMES[t]]++;
          this.ackTraces.answered(topic, p.partition, offset, t, null);
          if (t === AckType.RENEW) {
            const h = this.held.get(heldKey(topic, p.partition, offset));
            if (h !== undefined) h.deadline = h.endsBy = Date.now() + (outcome.lockTimeoutMs > 0 ? outcome.lockTimeoutMs : this._lockDurationMs);
          }
        }
        continue;
      }
      this.counts.acknowledgementFailures += p.offsets.size;
      for (const [offset, t] of p.offsets) this.ackTraces.answered(topic, p.partition, offset, t, failedWith);
      // Offsets an earlier, unanswered request carried are reported apart: the broker may have applied that one.
      const unanswered = taken.unanswered.get(key);
      const offsets = [...p.offsets.keys()];
      const maybe = unanswered === undefined ? [] : offsets.filter((o) => unanswered.has(o));
      const sure = maybe.length === 0 ? offsets : offsets.filter((o) => !unanswered!.has(o));
      for (const [list, maybeApplied] of [[sure, false], [maybe, true]] as const) {
        if (list.length === 0) continue;
        const failure: AcknowledgementFailure = { topic, partition: p.partition, offsets: list, error: failedWith, maybeApplied };
        this._logger.warn('share consumer: acknowledgements refused', {
          group: this.groupId, topic, partition: p.partition, count: list.length, error: failedWith.message,
          ...(maybeApplied ? { maybeApplied: 'an earlier attempt got no answer; the broker may have applied it' } : {}),
        });
        this.failuresSinceCommit.push(failure);
        this.emit('acknowledgementFailed', failure);
      }
    }
    const w = this.ackWaiters;
    this.ackWaiters = [];
    for (const f of w) f();
  }
}
