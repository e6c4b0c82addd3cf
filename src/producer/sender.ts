// The sender: takes ready batches from the accumulator, groups them by partition leader into Produce requests,
// and settles each batch from its partition's answer: acknowledged, retried after a backoff, or failed.
//
// It runs on wake-ups (a batch filled up, a flush, an answer arrived) and on a timer for the next linger.ms expiry,
// retry backoff or delivery deadline; there is no loop spinning in the background.
//
// Before a batch can go out: its partition's leader must be known (else a metadata refresh, spaced by
// retry.backoff.ms), an idempotent producer needs its producer id (InitProducerId), and in a transaction the
// partition must have been added to it (AddPartitionsToTxn). A batch keeps its producer id, epoch and sequence
// numbers from its first send, so a retry is recognised by the broker as the same batch.
//
// Retried (with exponential backoff, KIP-580): retriable errors (NOT_LEADER_OR_FOLLOWER and the other leaderMoved()
// codes of protocol/error-kinds.ts, which also refresh the metadata; NOT_ENOUGH_REPLICAS; a lost connection; a
// request timeout), up to `retries` times and never past delivery.timeout.ms after the batch was opened.
// DUPLICATE_SEQUENCE_NUMBER means the broker already has the batch: it is acknowledged (offsets unknown). Anything
// else fails the batch's sends.

import { ProtocolError, TimeoutError, isGregorError, StateError } from '../errors.js';
import { ApiKey, ErrorCode, kafkaError, leaderMoved, producerFenced, type ProduceResponse, type ProduceResponsePartitionProduceResponse } from '../protocol/index.js';
import { encodeRecordBatch, type CompressionType } from '../protocol/records/index.js';
import type { ProducerBatch, RecordAccumulator } from './accumulator.js';
import type { Cluster } from '../cluster/client.js';
import { backoff } from '../cluster/retry.js';
import { TXN_MAX_VERSIONS, fencedError, type TransactionManager } from './transactions.js';

export interface SenderSettings {
  /** -1 (all), 0 or 1, as sent in the request. */
  acks: number;
  lingerMs: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  maxRequestSize: number;
  retries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  compression: CompressionType;
}

/** Sender counters, for tests and logs. */
export interface SenderStats {
  produceRequests: number;
  batchesSent: number;
  retries: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Sender {
  readonly stats: SenderStats = { produceRequests: 0, batchesSent: 0, retries: 0 };
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  private refreshing = false;
  private metadataRetryAt = 0;
  private initializing = false;
  private adding = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly accumulator: RecordAccumulator,
    private readonly txn: TransactionManager,
    private readonly settings: SenderSettings,
  ) {}

  /** Asks for a pass over the queues soon (coalesced: many wake-ups in one tick make one pass). */
  wakeup(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      try {
        this.run();
      } catch (err) {
        // A bug must fail the sends it concerns, not crash the application from a timer callback.
        this.cluster.logger.error('producer sender failed', { error: (err as Error).message });
        this.accumulator.failUnsent(err as Error);
      }
    });
  }

  /** No more passes; batches still queued are the caller's to fail. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    const now = Date.now();
    const { metadata } = this.cluster;
    let nextAt = Infinity;
    const byLeader = new Map<number, ProducerBatch[]>();
    const noLeader = new Set<string>();
    const toAdd: Array<{ topic: string; partition: number }> = [];
    const flushing = this.accumulator.flushing > 0;

    for (const q of [...this.accumulator.queues.values()]) {
      if (q.inFlight !== undefined || q.batches.length === 0) continue;
      const batch = q.batches[0];
      if (now >= batch.deadline) {
        this.expire(batch);
        continue;
      }
      nextAt = Math.min(nextAt, batch.deadline);
      const lingered = batch.full || q.batches.length > 1 || flushing || now >= batch.createdAt + this.settings.lingerMs;
      const readyAt = Math.max(batch.retryAt, lingered ? 0 : batch.createdAt + this.settings.lingerMs);
      if (readyAt > now) {
        nextAt = Math.min(nextAt, readyAt);
        continue;
      }
      const leader = metadata.leaderFor(q.topic, q.partition);
      if (leader === undefined || !this.cluster.hasBroker(leader.leaderId)) {
        noLeader.add(q.topic);
        continue;
      }
      if (this.txn.isTransactional && !this.txn.isPartitionAdded(q.topic, q.partition)) {
        toAdd.push({ topic: q.topic, partition: q.partition });
        continue;
      }
      const list = byLeader.get(leader.leaderId) ?? [];
      list.push(batch);
      byLeader.set(leader.leaderId, list);
    }

    if (noLeader.size > 0) {
      if (now >= this.metadataRetryAt) this.refreshMetadata([...noLeader]);
      else nextAt = Math.min(nextAt, this.metadataRetryAt);
    }
    if (toAdd.length > 0) this.addPartitions(toAdd);
    if (byLeader.size > 0 && this.txn.idempotent && !this.txn.hasProducerId) {
      this.initProducerId();
    } else {
      for (const [leaderId, batches] of byLeader) this.sendTo(leaderId, batches);
    }
    this.schedule(nextAt);
  }

  private schedule(at: number): void {
    if (at === Infinity || this.stopped) return;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.wakeup();
    }, Math.max(0, at - Date.now()));
  }

  // ---- preconditions ------------------------------------------------------------------------------------------------

  private refreshMetadata(topics: string[]): void {
    if (this.refreshing) return;
    this.refreshing = true;
    this.cluster.metadata.refresh(topics).catch((err: Error) => {
      this.cluster.logger.warn('metadata refresh for produce failed', { topics, error: err.message });
    }).finally(() => {
      this.refreshing = false;
      this.metadataRetryAt = Date.now() + this.settings.retryBackoffMs;
      this.wakeup();
    });
  }

  private initProducerId(): void {
    if (this.initializing) return;
    this.initializing = true;
    this.txn.ensureProducerId(Date.now() + this.settings.deliveryTimeoutMs).then(
      () => undefined,
      (err: Error) => {
        // No producer id, no idempotent send: fail what waits rather than send it without protection.
        this.accumulator.failUnsent(err);
      },
    ).finally(() => {
      this.initializing = false;
      this.wakeup();
    });
  }

  private addPartitions(partitions: Array<{ topic: string; partition: number }>): void {
    if (this.adding) return;
    this.adding = true;
    this.txn.addPartitions(partitions, Date.now() + this.settings.deliveryTimeoutMs).then(
      () => undefined,
      (err: Error) => {
        this.accumulator.failUnsent(err);
      },
    ).finally(() => {
      this.adding = false;
      this.wakeup();
    });
  }

  // ---- sending ------------------------------------------------------------------------------------------------------

  /** Fixes a batch's identity and bytes at its first send (kept for retries) and marks it in flight. */
  private prepare(batch: ProducerBatch): boolean {
    const q = this.accumulator.queues.get(tpKey(batch.topic, batch.partition));
    if (q === undefined) return false;
    batch.full = true;
    if (batch.encoded === undefined) {
      if (this.txn.idempotent) {
        batch.producerId = this.txn.producerId;
        batch.producerEpoch = this.txn.producerEpoch;
        batch.baseSequence = this.txn.nextSequence(batch.topic, batch.partition, batch.records.length);
      }
      try {
        batch.encoded = encodeRecordBatch({
          records: batch.records,
          compression: this.settings.compression,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          baseSequence: batch.baseSequence,
          isTransactional: this.txn.isTransactional,
        });
      } catch (err) {
        this.failBatch(batch, err as Error);
        return false;
      }
    }
    q.inFlight = batch;
    batch.attempts += 1;
    batch.sent = true;
    return true;
  }

  private sendTo(leaderId: number, batches: ProducerBatch[]): void {
    let request: ProducerBatch[] = [];
    let bytes = 0;
    for (const b of batches) {
      if (!this.prepare(b)) continue;
      const size = b.encoded!.length;
      if (request.length > 0 && bytes + size > this.settings.maxRequestSize) {
        this.produce(leaderId, request);
        request = [];
        bytes = 0;
      }
      request.push(b);
      bytes += size;
    }
    if (request.length > 0) this.produce(leaderId, request);
  }

  private produce(leaderId: number, batches: ProducerBatch[]): void {
    const { metadata } = this.cluster;
    const byTopic = new Map<string, ProducerBatch[]>();
    for (const b of batches) byTopic.set(b.topic, [...(byTopic.get(b.topic) ?? []), b]);
    // Produce v13 names topics by id (KIP-516); without an id for every topic, stay at v12. In a transaction, v11
    // at most (see transactions.ts).
    const allIds = [...byTopic.keys()].every((t) => metadata.topicId(t) !== undefined);
    const maxVersion = this.txn.isTransactional ? TXN_MAX_VERSIONS.Produce : allIds ? undefined : 12;
    const body = (version: number) => ({
      transactionalId: this.txn.transactionalId,
      acks: this.settings.acks,
      timeoutMs: this.settings.requestTimeoutMs,
      topicData: [...byTopic].map(([topic, list]) => ({
        ...(version >= 13 ? { topicId: metadata.topicId(topic) } : { name: topic }),
        partitionData: list.map((b) => ({ index: b.partition, records: b.encoded })),
      })),
    });
    this.stats.produceRequests += 1;
    this.stats.batchesSent += batches.length;
    const expectResponse = this.settings.acks !== 0;
    this.cluster.request(leaderId, ApiKey.Produce, body, { maxVersion, expectResponse }).then(
      (res) => (expectResponse ? this.onResponse(batches, res) : this.onUnacknowledged(batches)),
      (err: Error) => this.onRequestError(batches, err),
    ).catch((err: Error) => {
      // A bug in the handlers above must not leave sends hanging.
      for (const b of batches) this.failBatch(b, err);
    }).finally(() => this.wakeup());
  }

  // ---- answers ------------------------------------------------------------------------------------------------------

  private onUnacknowledged(batches: ProducerBatch[]): void {
    for (const b of batches) this.succeed(b, -1n, -1n);
  }

  private onResponse(batches: ProducerBatch[], res: ProduceResponse): void {
    const { metadata } = this.cluster;
    const results = new Map<string, ProduceResponsePartitionProduceResponse>();
    for (const t of res?.responses ?? []) {
      const name: string | undefined = t.name !== '' && t.name !== undefined ? t.name : metadata.topicName(t.topicId);
      if (name === undefined) continue;
      for (const p of t.partitionResponses ?? []) results.set(tpKey(name, p.index), p);
    }
    for (const b of batches) {
      const r = results.get(tpKey(b.topic, b.partition));
      if (r === undefined) {
        this.retryOrFail(b, new ProtocolError(`the Produce response has no result for ${b.topic}-${b.partition}`, { retriable: true }));
        continue;
      }
      if (r.errorCode === ErrorCode.NONE) {
        this.succeed(b, r.baseOffset, r.logAppendTimeMs);
        continue;
      }
      if (r.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.succeed(b, -1n, -1n);
        continue;
      }
      const context = `Produce to ${b.topic}-${b.partition}`;
      const detail = r.errorMessage ?? r.recordErrors?.map((e) => e.batchIndexErrorMessage).filter(Boolean).join('; ') ?? null;
      const fenced = this.txn.isTransactional && producerFenced(r.errorCode);
      const err = fenced ? fencedError(r.errorCode, context, detail) : kafkaError(r.errorCode, context, detail || null, { topic: b.topic, transactionalId: this.txn.transactionalId ?? undefined });
      // KIP-951: the refusal names the new leader and the response its endpoint: the cache takes it at once and the
      // retry goes there without a backoff (Java skips the backoff when the leader changed); a Metadata refresh still
      // follows for the replicas and ISR. Without a usable hint, the refresh decides where the retry goes.
      const hinted = leaderMoved(r.errorCode) && r.currentLeader !== undefined &&
        this.cluster.updateLeader(b.topic, b.partition, r.currentLeader.leaderId, r.currentLeader.leaderEpoch, res.nodeEndpoints);
      if (leaderMoved(r.errorCode)) metadata.markStale(b.topic);
      this.retryOrFail(b, err, hinted);
    }
  }

  private onRequestError(batches: ProducerBatch[], err: Error): void {
    if (isGregorError(err) && (err.code === 'ERR_CONNECTION' || err.code === 'ERR_TIMEOUT')) this.cluster.metadata.markStale();
    for (const b of batches) this.retryOrFail(b, err);
  }

  private succeed(batch: ProducerBatch, baseOffset: bigint, logAppendTimeMs: bigint): void {
    batch.complete(baseOffset, logAppendTimeMs);
    this.accumulator.remove(batch);
  }

  private retryOrFail(batch: ProducerBatch, err: Error, leaderChanged = false): void {
    const q = this.accumulator.queues.get(tpKey(batch.topic, batch.partition));
    if (q !== undefined && q.inFlight === batch) q.inFlight = undefined;
    if (batch.isSettled) return;
    let final: Error = err;
    if (!this.stopped && isGregorError(err) && err.retriable) {
      if (batch.attempts <= this.settings.retries) {
        const wait = leaderChanged ? 0 : backoff(batch.attempts, this.settings.retryBackoffMs, this.settings.retryBackoffMaxMs);
        if (Date.now() + wait < batch.deadline) {
          batch.retryAt = Date.now() + wait;
          this.stats.retries += 1;
          this.cluster.logger.debug('produce will be retried', { topic: batch.topic, partition: batch.partition, attempt: batch.attempts, error: err.message });
          return;
        }
        final = new TimeoutError(
          `${batch.records.length} record(s) for ${batch.topic}-${batch.partition} not acknowledged within delivery.timeout.ms ` +
            `(${this.settings.deliveryTimeoutMs} ms); last error: ${err.message}`, { cause: err },
        );
      } else {
        final = new TimeoutError(`${batch.topic}-${batch.partition}: gave up after ${batch.attempts} attempts (retries=${this.settings.retries}): ${err.message}`, { cause: err, retriable: false });
      }
    }
    this.failBatch(batch, final);
  }

  private expire(batch: ProducerBatch): void {
    this.failBatch(batch, new TimeoutError(
      `${batch.records.length} record(s) for ${batch.topic}-${batch.partition} not acknowledged within delivery.timeout.ms ` +
        `(${this.settings.deliveryTimeoutMs} ms)${batch.sent ? '' : ': never sent (no leader known, or the producer was not ready)'}`,
    ));
  }

  /** Fails a batch's sends and keeps the producer consistent: a new producer id, or an abortable transaction. */
  failBatch(batch: ProducerBatch, err: Error): void {
    if (batch.isSettled) return;
    batch.fail(err);
    this.accumulator.remove(batch);
    if (this.txn.isTransactional) {
      this.txn.noteFailure(err);
      // The transaction cannot commit: what is still queued for it fails now, not at commit time.
      const state = this.txn.state;
      if (state === 'fatal-error') this.accumulator.failUnsent(err);
      else if (state === 'abortable-error') {
        this.accumulator.failUnsent(new StateError(`the transaction failed (${err.message}); it must be aborted`, { cause: err }));
      }
    } else if (batch.sent && this.txn.idempotent) {
      this.txn.resetProducerId(err.message);
    }
  }
}
