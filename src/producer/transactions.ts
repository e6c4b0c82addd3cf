// The producer's identity and its transactions: producer id and epoch (InitProducerId), per-partition sequence
// numbers (idempotence, KIP-98), and the transaction state machine with its coordinator requests.
//
// Idempotence: the broker keeps, per producer id and partition, the sequence numbers of the last 5 batches and drops
// a batch it already has (DUPLICATE_SEQUENCE_NUMBER), so a retry after a lost response never writes twice. A
// sequence is given to a batch when it is first sent and kept across its retries. When a batch fails for good its
// sequence is lost and the partition's next batch would be OUT_OF_ORDER, so a non-transactional producer then takes a
// fresh producer id (sequences start again at 0); the Java client bumps the epoch instead (KIP-360), same effect.
//
// Transactions (transaction protocol v1, KIP-98): the partitions of a transaction are registered with the
// transaction coordinator (AddPartitionsToTxn) before the first batch is sent to them, and EndTxn commits or aborts.
// gregor caps AddPartitionsToTxn at v3 (v4+ are the brokers' own verification requests, KIP-890 part 1), EndTxn at
// v4 and, in transactions, Produce at v11: EndTxn v5 and Produce v12 are the transaction v2 protocol (KIP-890 part
// 2, the epoch bumped by every EndTxn, partitions added implicitly), which gregor does not implement. Kafka 4.x
// brokers serve v1 clients with the same guarantees.
//
//   uninitialized --initTransactions()--> ready --beginTransaction()--> in-transaction
//   in-transaction --commitTransaction()--> committing --> ready
//   in-transaction | abortable-error --abortTransaction()--> aborting --> ready
//   in-transaction --a batch or AddPartitionsToTxn failed--> abortable-error (only abortTransaction() gets out)
//   any --fenced (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH) or not authorized--> fatal-error (only close())

import { StateError, isGregorError, type KafkaError } from '../errors.js';
import type { Logger } from '../network/options.js';
import { ApiKey, ErrorCode, fatalForTransaction, kafkaError, producerFenced } from '../protocol/index.js';
import type { Cluster } from '../cluster/client.js';
import { CoordinatorType, type Coordinator } from '../cluster/coordinator.js';
import { withRetries, type RetryPolicy } from '../cluster/retry.js';

/** Where the producer's transaction is (transactional.id set): Java's TransactionManager states. */
export type TransactionState =
  | 'uninitialized'
  | 'ready'
  | 'in-transaction'
  | 'committing'
  | 'aborting'
  | 'abortable-error'
  | 'fatal-error';

/** Highest versions of the transactional APIs gregor sends (transaction protocol v1, see above). */
export const TXN_MAX_VERSIONS = { AddPartitionsToTxn: 3, EndTxn: 4, Produce: 11 } as const;

/** True for a KafkaError that ends a transactional producer's life. */
export function isFatalTransactionError(err: unknown): boolean {
  // Any broker error code, whatever its GregorError code: the authorization ones have their own (ERR_*_AUTHORIZATION).
  return isGregorError(err) && typeof (err as Partial<KafkaError>).errorCode === 'number' && fatalForTransaction((err as KafkaError).errorCode);
}

/**
 * Both PRODUCER_FENCED and INVALID_PRODUCER_EPOCH mean "a newer producer with this transactional id exists"; they are
 * reported as one error (errorName 'PRODUCER_FENCED', the broker's code in the message) so applications test one name.
 */
export function fencedError(code: number, context: string, brokerMessage?: string | null): KafkaError {
  if (code === ErrorCode.INVALID_PRODUCER_EPOCH) {
    return kafkaError(ErrorCode.PRODUCER_FENCED, `${context} (the broker answered INVALID_PRODUCER_EPOCH)`, brokerMessage);
  }
  return kafkaError(code, context, brokerMessage);
}

export interface TransactionOptions {
  transactionalId: string | undefined;
  idempotent: boolean;
  transactionTimeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
}

/** A consumed offset to commit inside a transaction (sendOffsetsToTransaction()). */
export interface OffsetToCommit {
  /** The partition's topic. */
  topic: string;
  /** The partition. */
  partition: number;
  /** The offset of the NEXT record to read (last processed + 1), as with Consumer.commit(). */
  offset: bigint;
  /** Optional metadata string stored with the offset. */
  metadata?: string | null;
  /** The leader epoch of the last consumed record, when known (KIP-320). */
  leaderEpoch?: number;
}

/**
 * The consumer group the offsets belong to: its id, or (to let the coordinator fence zombie members, KIP-447) its
 * generation and member id as the consumer knows them.
 */
export type ConsumerGroupMetadata = string | { groupId: string; generationId?: number; memberId?: string; groupInstanceId?: string | null };

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class TransactionManager {
  readonly transactionalId: string | null;
  readonly idempotent: boolean;
  producerId = -1n;
  producerEpoch = -1;
  private stateValue: TransactionState;
  private readonly sequences = new Map<string, number>();
  private initializing: Promise<void> | undefined;
  private readonly cluster: Cluster;
  private readonly options: TransactionOptions;
  private readonly coordinator: Coordinator | undefined;
  /** The abortable or fatal error that put the producer in its error state. */
  private error: Error | undefined;
  private readonly added = new Set<string>();
  private readonly toAdd = new Map<string, { topic: string; partition: number }>();
  private adding: Promise<void> | undefined;
  /** Something (a partition, offsets) was registered with the coordinator: EndTxn is needed to finish. */
  private started = false;

  constructor(cluster: Cluster, options: TransactionOptions) {
    this.cluster = cluster;
    this.options = options;
    this.transactionalId = options.transactionalId ?? null;
    this.idempotent = options.idempotent || this.transactionalId !== null;
    this.stateValue = this.transactionalId === null ? 'ready' : 'uninitialized';
    this.coordinator = this.transactionalId === null ? undefined : cluster.coordinator(CoordinatorType.TRANSACTION, this.transactionalId);
  }

  get state(): TransactionState {
    return this.stateValue;
  }

  get isTransactional(): boolean {
    return this.transactionalId !== null;
  }

  get hasProducerId(): boolean {
    return this.producerId >= 0n;
  }

  // ---- idempotence ------------------------------------------------------------------------------------------------

  /** Non-transactional idempotent producers: gets a producer id from any broker (coalesced). */
  ensureProducerId(deadline: number): Promise<void> {
    if (this.hasProducerId) return Promise.resolve();
    if (this.isTransactional) return Promise.reject(new StateError('the transactional producer needs initTransactions() first'));
    this.initializing ??= withRetries(async () => {
      const res = await this.cluster.requestAny(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: this.options.transactionTimeoutMs });
      if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, 'InitProducerId');
      this.setIdentity(res.producerId, res.producerEpoch);
    }, { ...this.options.retry, what: 'InitProducerId', deadline }).finally(() => {
      this.initializing = undefined;
    });
    return this.initializing;
  }

  /** After a batch failed for good (non-transactional): a new producer id, so sequences restart cleanly. */
  resetProducerId(reason: string): void {
    if (this.isTransactional || !this.hasProducerId) return;
    this.options.logger.warn('producer id reset after a failed batch; later batches use a new one', { reason, producerId: String(this.producerId) });
    this.producerId = -1n;
    this.producerEpoch = -1;
    this.sequences.clear();
  }

  /** The base sequence for a batch of `count` records, advancing the partition's next sequence (wrapping at 2^31). */
  nextSequence(topic: string, partition: number, count: number): number {
    const key = tpKey(topic, partition);
    const base = this.sequences.get(key) ?? 0;
    this.sequences.set(key, (base + count) % 0x80000000);
    return base;
  }

  private setIdentity(producerId: bigint, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.sequences.clear();
  }

  // ---- state checks -------------------------------------------------------------------------------------------------

  /** Throws unless records may be sent now (a transactional producer must be inside a transaction). */
  checkSend(what: string): void {
    if (!this.isTransactional) return;
    switch (this.stateValue) {
      case 'in-transaction':
        return;
      case 'uninitialized':
        throw new StateError(`${what}: call initTransactions() first (transactional.id is set)`);
      case 'ready':
        throw new StateError(`${what}: no transaction is open; call beginTransaction() first`);
      case 'committing':
      case 'aborting':
        throw new StateError(`${what}: the transaction is ${this.stateValue === 'committing' ? 'being committed' : 'being aborted'}`);
      case 'abortable-error':
        throw new StateError(`${what}: the transaction failed and must be aborted (abortTransaction()): ${this.error?.message}`, { cause: this.error });
      case 'fatal-error':
        throw this.error!;
    }
  }

  /** A batch (or AddPartitionsToTxn) failed: fatal for fencing errors, else the transaction can only be aborted. */
  noteFailure(err: Error): void {
    if (!this.isTransactional || this.stateValue === 'fatal-error') return;
    if (isFatalTransactionError(err)) {
      this.stateValue = 'fatal-error';
      this.error = err;
      return;
    }
    if (this.stateValue === 'in-transaction' || this.stateValue === 'committing') {
      this.stateValue = 'abortable-error';
      this.error = err;
    }
  }

  private fail(err: unknown): never {
    if (isFatalTransactionError(err)) {
      this.stateValue = 'fatal-error';
      this.error = err as Error;
    }
    throw err;
  }

  private requireTransactional(what: string): Coordinator {
    if (this.coordinator === undefined) throw new StateError(`${what} needs transactional.id to be set`);
    if (this.stateValue === 'fatal-error') throw this.error!;
    return this.coordinator;
  }

  // ---- transactions -------------------------------------------------------------------------------------------------

  /**
   * Registers the transactional id with its coordinator and gets the producer id and epoch (fencing every older
   * producer with the same id; the coordinator aborts any transaction such a producer left open).
   */
  async initTransactions(deadline: number): Promise<void> {
    const coordinator = this.requireTransactional('initTransactions()');
    if (this.stateValue !== 'uninitialized') throw new StateError(`initTransactions() was already called (state: ${this.stateValue})`);
    if (this.initializing === undefined) {
      this.initializing = withRetries(async () => {
        const res = await coordinator.request(ApiKey.InitProducerId, {
          transactionalId: this.transactionalId,
          transactionTimeoutMs: this.options.transactionTimeoutMs,
        });
        coordinator.check(res.errorCode, `InitProducerId for ${coordinator.describe()}`);
        this.setIdentity(res.producerId, res.producerEpoch);
      }, { ...this.options.retry, what: `InitProducerId for ${coordinator.describe()}`, deadline }).finally(() => {
        this.initializing = undefined;
      });
    }
    try {
      await this.initializing;
    } catch (err) {
      this.fail(err);
    }
    this.stateValue = 'ready';
  }

  beginTransaction(): void {
    this.requireTransactional('beginTransaction()');
    if (this.stateValue === 'uninitialized') throw new StateError('beginTransaction(): call initTransactions() first');
    if (this.stateValue !== 'ready') throw new StateError(`beginTransaction(): a transaction is already open (state: ${this.stateValue})`);
    this.stateValue = 'in-transaction';
    this.added.clear();
    this.toAdd.clear();
    this.started = false;
  }

  isPartitionAdded(topic: string, partition: number): boolean {
    return this.added.has(tpKey(topic, partition));
  }

  /**
   * Registers partitions with the transaction (AddPartitionsToTxn) before their first batch. Calls while a request
   * is out are gathered into the next one. Rejects (and moves to abortable-error or fatal-error) on failure.
   */
  addPartitions(partitions: ReadonlyArray<{ topic: string; partition: number }>, deadline: number): Promise<void> {
    let coordinator: Coordinator;
    try {
      coordinator = this.requireTransactional('AddPartitionsToTxn');
    } catch (err) {
      return Promise.reject(err);
    }
    for (const p of partitions) {
      const key = tpKey(p.topic, p.partition);
      if (!this.added.has(key)) this.toAdd.set(key, p);
    }
    if (this.adding !== undefined || this.toAdd.size === 0) return this.adding ?? Promise.resolve();
    const run = async (): Promise<void> => {
      while (this.toAdd.size > 0 && (this.stateValue === 'in-transaction' || this.stateValue === 'committing')) {
        const batch = [...this.toAdd.values()];
        this.toAdd.clear();
        await this.sendAddPartitions(coordinator, batch, deadline);
      }
    };
    this.adding = run().catch((err: Error) => {
      this.noteFailure(err);
      throw err;
    }).finally(() => {
      this.adding = undefined;
    });
    return this.adding;
  }

  /** Resolves when no AddPartitionsToTxn is out (its outcome decides whether EndTxn is needed). */
  async addsSettled(): Promise<void> {
    await this.adding?.catch(() => undefined);
  }

  private async sendAddPartitions(coordinator: Coordinator, partitions: ReadonlyArray<{ topic: string; partition: number }>, deadline: number): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(p.partition);
      byTopic.set(p.topic, list);
    }
    const topics = [...byTopic].map(([name, list]) => ({ name, partitions: list }));
    const what = `AddPartitionsToTxn for ${coordinator.describe()}`;
    await withRetries(async () => {
      const res = await coordinator.request(ApiKey.AddPartitionsToTxn, {
        v3AndBelowTransactionalId: coordinator.key,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: topics,
      }, { maxVersion: TXN_MAX_VERSIONS.AddPartitionsToTxn });
      // One partition's real error makes the others OPERATION_NOT_ATTEMPTED: report the real one.
      let worst: { code: number; topic: string; where: string } | undefined;
      for (const t of res.resultsByTopicV3AndBelow ?? []) {
        for (const p of t.resultsByPartition ?? []) {
          if (p.partitionErrorCode === ErrorCode.NONE) this.added.add(tpKey(t.name, p.partitionIndex));
          else if (worst === undefined || worst.code === ErrorCode.OPERATION_NOT_ATTEMPTED) worst = { code: p.partitionErrorCode, topic: t.name, where: `${t.name}-${p.partitionIndex}` };
        }
      }
      if (worst !== undefined) {
        if (producerFenced(worst.code)) throw fencedError(worst.code, `${what} (${worst.where})`);
        coordinator.check(worst.code, `${what} (${worst.where})`, null, { topic: worst.topic });
      }
      this.started ||= partitions.length > 0;
    }, { ...this.options.retry, what, deadline });
  }

  /** Checks that the transaction may be committed (called before the flush that precedes EndTxn). */
  checkCommit(): void {
    this.requireTransactional('commitTransaction()');
    if (this.stateValue === 'in-transaction') return;
    if (this.stateValue === 'abortable-error') {
      throw new StateError(`commitTransaction(): the transaction failed and must be aborted: ${this.error?.message}`, { cause: this.error });
    }
    throw new StateError(`commitTransaction(): no transaction is open (state: ${this.stateValue}); call beginTransaction() first`);
  }

  /** Checks that the transaction may be aborted. */
  checkAbort(): void {
    this.requireTransactional('abortTransaction()');
    if (this.stateValue === 'in-transaction' || this.stateValue === 'abortable-error') return;
    throw new StateError(`abortTransaction(): no transaction is open (state: ${this.stateValue})`);
  }

  /**
   * Enters committing/aborting (after checkCommit()/checkAbort()): send() is refused from now on. Returns the
   * state to go back to if ending fails in a way that allows another try.
   */
  beginEnding(commit: boolean): TransactionState {
    const previous = this.stateValue;
    this.stateValue = commit ? 'committing' : 'aborting';
    return previous;
  }

  /** The error that made the transaction abortable, when the flush before a commit hit one. */
  get abortableError(): Error | undefined {
    return this.stateValue === 'abortable-error' ? this.error : undefined;
  }

  /**
   * Ends the transaction (state committing or aborting, see beginEnding): EndTxn to the coordinator, when
   * something was registered with it. On a failure that allows another try (a timeout), the state goes back to
   * `previous`, so the application can call commitTransaction()/abortTransaction() again.
   */
  async endTransaction(commit: boolean, previous: TransactionState, deadline: number): Promise<void> {
    const coordinator = this.requireTransactional(commit ? 'commitTransaction()' : 'abortTransaction()');
    const what = `EndTxn (${commit ? 'commit' : 'abort'}) for ${coordinator.describe()}`;
    try {
      if (this.started) {
        await withRetries(async () => {
          const res = await coordinator.request(ApiKey.EndTxn, {
            transactionalId: coordinator.key,
            producerId: this.producerId,
            producerEpoch: this.producerEpoch,
            committed: commit,
          }, { maxVersion: TXN_MAX_VERSIONS.EndTxn });
          if (producerFenced(res.errorCode)) throw fencedError(res.errorCode, what);
          coordinator.check(res.errorCode, what);
        }, { ...this.options.retry, what, deadline });
      }
    } catch (err) {
      if (isFatalTransactionError(err)) this.fail(err);
      this.restore(previous);
      throw err;
    }
    this.stateValue = 'ready';
    this.added.clear();
    this.toAdd.clear();
    this.started = false;
    this.error = undefined;
  }

  /** Goes back to `previous` after a commit or abort that did not happen (unless a worse state was reached). */
  restore(previous: TransactionState): void {
    if (this.stateValue === 'committing' || this.stateValue === 'aborting') this.stateValue = previous;
  }

  /**
   * Adds consumed offsets to the transaction (KIP-98 exactly-once read-process-write): AddOffsetsToTxn to the
   * transaction coordinator, then TxnOffsetCommit to the group's coordinator. They become the group's committed
   * offsets when the transaction commits, and are discarded when it aborts.
   */
  async sendOffsets(offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata, deadline: number): Promise<void> {
    const coordinator = this.requireTransactional('sendOffsetsToTransaction()');
    this.checkSend('sendOffsetsToTransaction()');
    const g = typeof group === 'string' ? { groupId: group } : group;
    if (typeof g?.groupId !== 'string' || g.groupId === '') throw new TypeError('sendOffsetsToTransaction(): the group id must be a non-empty string');
    const what = `AddOffsetsToTxn for ${coordinator.describe()} and group ${JSON.stringify(g.groupId)}`;
    try {
      await withRetries(async () => {
        const res = await coordinator.request(ApiKey.AddOffsetsToTxn, {
          transactionalId: coordinator.key, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: g.groupId,
        });
        if (producerFenced(res.errorCode)) throw fencedError(res.errorCode, what);
        coordinator.check(res.errorCode, what);
      }, { ...this.options.retry, what, deadline });
      this.started = true;
      const groupCoordinator = this.cluster.coordinator(CoordinatorType.GROUP, g.groupId);
      const byTopic = new Map<string, OffsetToCommit[]>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      const commitWhat = `TxnOffsetCommit for group ${JSON.stringify(g.groupId)}`;
      await withRetries(async () => {
        const res = await groupCoordinator.request(ApiKey.TxnOffsetCommit, {
          transactionalId: coordinator.key,
          groupId: g.groupId,
          producerId: this.producerId,
          producerEpoch: this.producerEpoch,
          generationId: g.generationId ?? -1,
          memberId: g.memberId ?? '',
          groupInstanceId: g.groupInstanceId ?? null,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((o) => ({
              partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata ?? null,
            })),
          })),
        });
        for (const t of res.topics ?? []) {
          for (const p of t.partitions ?? []) {
            if (producerFenced(p.errorCode)) throw fencedError(p.errorCode, `${commitWhat} (${t.name}-${p.partitionIndex})`);
            groupCoordinator.check(p.errorCode, `${commitWhat} (${t.name}-${p.partitionIndex})`, null, { topic: t.name });
          }
        }
      }, { ...this.options.retry, what: commitWhat, deadline });
    } catch (err) {
      this.noteFailure(err as Error);
      throw err;
    }
  }

  /** For logs and errors. */
  describe(): string {
    return this.isTransactional
      ? `transactional id ${JSON.stringify(this.transactionalId)} (producer id ${this.producerId}, epoch ${this.producerEpoch}, ${this.stateValue})`
      : `producer id ${this.producerId}, epoch ${this.producerEpoch}`;
  }
}
