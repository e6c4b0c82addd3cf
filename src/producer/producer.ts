// The minimal producer: public, documented as minimal. gregor is a consumer; this producer exists so tests, the
// demo and applications that need to write a few records can do it without a second client library. It covers the
// essentials with Java-compatible behaviour (property names, defaults, the key partitioner, idempotence,
// transactions) and leaves out the rest (interceptors, metrics, custom partitioners, transaction protocol v2).
//
//   const producer = new Producer({ 'bootstrap.servers': 'localhost:9092' });
//   const { partition, offset } = await producer.send({ topic: 't', key: 'k', value: 'v' });
//   await producer.close();
//
// send() resolves once the record is acknowledged as acks asks (with its offset), or rejects with a typed error.
// Records are batched per partition (batch.size, linger.ms) and compressed (compression.type); see accumulator.ts,
// sender.ts and transactions.ts for the mechanics, DESIGN.md "Producer and admin" for the overview.

import { channels, trace, type SendDiagnostics } from '../diagnostics.js';
import { inspect } from 'node:util';
import { resolveConfig, type ProducerConfig, type ResolvedProducerConfig } from '../config/index.js';
import { AbortError, StateError } from '../errors.js';
import { ErrorCode, kafkaError } from '../protocol/index.js';
import { RECORD_BATCH_OVERHEAD } from '../protocol/records/index.js';
import { RecordAccumulator, type Delivery } from './accumulator.js';
import type { Cluster } from '../cluster/client.js';
import { connectCluster } from '../cluster/connect.js';
import { withRetries, type RetryPolicy } from '../cluster/retry.js';
import { StickyPartitioner, partitionForKey } from './partitioner.js';
import { prepareRecord, type ProducerHeader, type ProducerRecord, type RecordMetadata } from './record.js';
import { Sender, type SenderStats } from './sender.js';
import { TransactionManager, type ConsumerGroupMetadata, type OffsetToCommit, type TransactionState } from './transactions.js';

/** The producer's lifecycle. */
export type ProducerState = 'ready' | 'closing' | 'closed';

/** A call's deadline. */
export interface TimeoutOptions {
  /** Deadline of the call in milliseconds; default delivery.timeout.ms. */
  timeoutMs?: number;
}

/** close()'s options. */
export interface CloseOptions {
  /**
   * How long to wait for queued records to be acknowledged. Default: until each is acknowledged or fails (never
   * longer than delivery.timeout.ms). 0 fails everything still queued at once with AbortError.
   */
  timeoutMs?: number;
}

interface Prepared {
  topic: string;
  partition: number | undefined;
  prepared: ReturnType<typeof prepareRecord>['prepared'];
  size: number;
}

const ACKS: Record<ResolvedProducerConfig['acks'], number> = { all: -1, '1': 1, '0': 0 };

/**
 * The minimal producer (gregor is a consumer; this exists so tests, tools and applications can write records without a
 * second client): Java-compatible property names and defaults, the murmur2 key partitioner, idempotence and
 * transactions. send() resolves with the record's partition and offset once acknowledged.
 */
export class Producer {
  /** The resolved configuration (secrets redacted when printed). */
  readonly config: ResolvedProducerConfig;
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;
  private readonly txn: TransactionManager;
  private readonly sender: Sender;
  private readonly sticky: StickyPartitioner;
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutMs: number;
  private readonly deliveryTimeoutMs: number;
  private readonly maxRequestSize: number;
  private readonly topicLoads = new Map<string, Promise<void>>();
  /**
   * send()/sendBatch() calls not yet in the accumulator (waiting for a new topic's metadata or for buffer space):
   * flush() and close() wait for them too, or a send() made just before would be missed (flush() resolving at once,
   * close() closing the client under its metadata lookup).
   */
  private readonly entering = new Set<Promise<unknown>>();
  private lifecycle: ProducerState = 'ready';
  private closing: Promise<void> | undefined;

  /**
   * @param config Kafka's producer property names ('bootstrap.servers', 'acks', 'transactional.id', ...), or a
   *   configuration resolved by resolveConfig('producer', ...). Unknown or invalid properties throw ConfigError.
   *   No connection is opened until the first send() or initTransactions().
   */
  constructor(config: ProducerConfig | ResolvedProducerConfig | Readonly<Record<string, unknown>>) {
    this.config = resolveConfig('producer', config as ProducerConfig);
    const c = this.config;
    this.requestTimeoutMs = c['request.timeout.ms'];
    this.deliveryTimeoutMs = c['delivery.timeout.ms'];
    this.maxRequestSize = c['max.request.size'];
    this.retry = { retryBackoffMs: c['retry.backoff.ms'], retryBackoffMaxMs: c['retry.backoff.max.ms'] };
    this.cluster = connectCluster(this.config, { client: 'producer' });
    this.accumulator = new RecordAccumulator({ batchSize: c['batch.size'], deliveryTimeoutMs: this.deliveryTimeoutMs });
    this.txn = new TransactionManager(this.cluster, {
      transactionalId: c['transactional.id'],
      idempotent: c['enable.idempotence'],
      transactionTimeoutMs: c['transaction.timeout.ms'],
      retry: this.retry,
      logger: this.cluster.logger,
    });
    this.sender = new Sender(this.cluster, this.accumulator, this.txn, {
      acks: ACKS[c['acks']],
      lingerMs: c['linger.ms'],
      requestTimeoutMs: this.requestTimeoutMs,
      deliveryTimeoutMs: this.deliveryTimeoutMs,
      maxRequestSize: this.maxRequestSize,
      retries: c['retries'],
      retryBackoffMs: this.retry.retryBackoffMs,
      retryBackoffMaxMs: this.retry.retryBackoffMaxMs,
      compression: c['compression.type'],
    });
    this.sticky = new StickyPartitioner(c['batch.size']);
  }

  /** ready, closing or closed. */
  get state(): ProducerState {
    return this.lifecycle;
  }

  /** The transaction state ('uninitialized', 'ready', 'in-transaction', ...); undefined without transactional.id. */
  get transactionState(): TransactionState | undefined {
    return this.txn.isTransactional ? this.txn.state : undefined;
  }

  /** The producer id and epoch given by the broker (idempotence, transactions); undefined before one was assigned. */
  get producerIdentity(): { producerId: bigint; producerEpoch: number } | undefined {
    return this.txn.hasProducerId ? { producerId: this.txn.producerId, producerEpoch: this.txn.producerEpoch } : undefined;
  }

  /** Requests, batches and retries so far (for tests and logs). */
  get stats(): Readonly<SenderStats> {
    return this.sender.stats;
  }

  // ---- sending ------------------------------------------------------------------------------------------------------

  /**
   * Sends one record. Resolves with where it was written once acknowledged (acks=all: by every in-sync replica;
   * acks=1: the leader; acks=0: once written to the socket, offset -1n). Rejects with TypeError/RangeError for a
   * malformed record, KafkaError (MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, PRODUCER_FENCED...), TimeoutError
   * (delivery.timeout.ms passed; the record may or may not have been written), StateError (after close(), or
   * outside a transaction when transactional.id is set).
   */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (channels.send.hasSubscribers) return this.tracedSend(record);
    return this.track(this.enqueue([record], () => 'send()')).then((r) => r[0]);
  }

  /** send() observed on gregor:producer:send: headers its `start` subscribers add (trace context) join the record's. */
  private tracedSend(record: ProducerRecord): Promise<RecordMetadata> {
    const valid = record !== null && typeof record === 'object';
    const payload: SendDiagnostics = {
      clientId: this.config['client.id'],
      topic: valid ? record.topic : '',
      partition: valid && typeof record.partition === 'number' ? record.partition : null,
      key: valid ? record.key ?? null : null,
      headers: [],
    };
    return trace(channels.send, payload, () => this.track(this.enqueue([valid ? withHeaders(record, payload.headers) : record], () => 'send()')).then((r) => r[0]));
  }

  /**
   * Sends records in order (records of one partition are written in this order). Every record is checked before any
   * is queued: a malformed one rejects the call and sends nothing. Resolves when all are acknowledged; rejects with
   * the first failure (records of other partitions may have been written).
   */
  sendBatch(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    if (!Array.isArray(records)) return Promise.reject(new TypeError('sendBatch(): expected an array of records'));
    if (records.length === 0) return Promise.resolve([]);
    return this.track(this.enqueue(records, (i) => `sendBatch() record ${i}`));
  }

  /** Keeps `call` in `entering` until its records are appended (or it failed); returns the call's result. */
  private track<T>(call: { appended: Promise<void>; result: Promise<T> }): Promise<T> {
    const { appended } = call;
    this.entering.add(appended);
    void appended.finally(() => this.entering.delete(appended));
    return call.result;
  }

  /** `appended` settles once the records are in the accumulator (or the call failed first); never rejects. */
  private enqueue(records: readonly ProducerRecord[], where: (i: number) => string): { appended: Promise<void>; result: Promise<RecordMetadata[]> } {
    let appendedNow!: () => void;
    const appended = new Promise<void>((resolve) => {
      appendedNow = resolve;
    });
    const result = this.append(records, where, appendedNow);
    result.then(appendedNow, appendedNow);
    return { appended, result };
  }

  private async append(records: readonly ProducerRecord[], where: (i: number) => string, appended: () => void): Promise<RecordMetadata[]> {
    const what = where(0).replace(/ record 0$/, '');
    this.checkOpen(what);
    this.txn.checkSend(what);
    const now = Date.now();
    const prepared: Prepared[] = records.map((r, i) => prepareRecord(r, where(i), now));
    for (let i = 0; i < prepared.length; i++) {
      const total = prepared[i].size + RECORD_BATCH_OVERHEAD;
      if (total > this.maxRequestSize) {
        throw kafkaError(ErrorCode.MESSAGE_TOO_LARGE,
          `${where(i)}: the record is ${total} bytes in a batch, more than max.request.size (${this.maxRequestSize})`);
      }
    }
    // Topic metadata (partition counts) first; an await here only when a topic is not cached yet.
    for (const topic of new Set(prepared.map((p) => p.topic))) {
      if (this.cluster.metadata.partitionCount(topic) === undefined) await this.loadTopic(topic);
    }
    // Synchronous unless a partition number is beyond the cached count: send() calls made one after the other are
    // appended in that order (an await per record would let a shorter call overtake a longer one).
    const partitions: number[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const chosen = this.choosePartition(prepared[i], where(i));
      partitions.push(typeof chosen === 'number' ? chosen : await chosen);
    }
    // A call made before close() still goes out: close() waits for it (entering).
    if (this.lifecycle === 'closed') throw new StateError(`${what} called after close()`);
    this.txn.checkSend(what);

    const results: Array<Promise<RecordMetadata>> = [];
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i];
      if (!this.accumulator.tryReserve(p.size)) await this.accumulator.reserve(p.size);
      if (this.state === 'closed') {
        this.accumulator.unreserve(p.size);
        throw new StateError(`${what} called after close()`);
      }
      let delivery!: Delivery;
      results.push(new Promise<RecordMetadata>((resolve, reject) => {
        delivery = { resolve, reject };
      }));
      const { full } = this.accumulator.append(p.topic, partitions[i], p.prepared, p.size, delivery, Date.now());
      if (full || i === prepared.length - 1) this.sender.wakeup();
    }
    appended();
    return Promise.all(results);
  }

  /** Loads a topic's metadata (coalesced per topic), retrying while the broker does not know it yet. */
  private loadTopic(topic: string): Promise<void> {
    let p = this.topicLoads.get(topic);
    if (p === undefined) {
      p = withRetries(() => this.cluster.metadata.refresh([topic], { requireTopics: true }), {
        ...this.retry,
        what: `metadata for topic '${topic}'`,
        deadline: Date.now() + this.requestTimeoutMs,
      }).finally(() => this.topicLoads.delete(topic));
      this.topicLoads.set(topic, p);
    }
    return p;
  }

  private choosePartition(p: Prepared, where: string): number | Promise<number> {
    const { metadata } = this.cluster;
    const count = metadata.partitionCount(p.topic) ?? 0;
    if (p.partition !== undefined) {
      if (p.partition < count) return p.partition;
      // Partitions may have been added since the cache was filled: look once more before refusing.
      const explicit = p.partition;
      return metadata.refresh([p.topic]).then(() => {
        const now = metadata.partitionCount(p.topic) ?? 0;
        if (explicit >= now) {
          throw new RangeError(`${where}: topic '${p.topic}' has ${now} partition${now === 1 ? '' : 's'} (0-${now - 1}); partition ${explicit} does not exist`);
        }
        return explicit;
      });
    }
    if (count <= 0) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${where}: topic '${p.topic}' has no partitions yet`);
    if (p.prepared.key !== null) return partitionForKey(p.prepared.key, count);
    const available = (metadata.partitionsFor(p.topic) ?? []).filter((m) => m !== undefined && m.leaderId >= 0).map((m) => m.partition);
    return this.sticky.partition(p.topic, count, p.size, available);
  }

  /**
   * Sends everything queued now without waiting for linger.ms, and resolves when all of it is acknowledged or
   * failed (each send() reports its own outcome). Records sent during the flush are not waited for.
   */
  async flush(): Promise<void> {
    this.checkOpen('flush()');
    await this.drain();
  }

  private async drain(): Promise<void> {
    if (this.entering.size === 0 && this.accumulator.allBatches().length === 0) return;
    this.accumulator.flushing += 1;
    try {
      while (this.entering.size > 0) {
        this.sender.wakeup();
        await Promise.all([...this.entering]);
      }
      this.sender.wakeup();
      await Promise.all(this.accumulator.allBatches().map((b) => b.done()));
    } finally {
      this.accumulator.flushing -= 1;
    }
  }

  // ---- transactions -------------------------------------------------------------------------------------------------

  /**
   * Needs transactional.id. Finds the transaction coordinator (FindCoordinator key type 1) and gets a producer id and
   * epoch (InitProducerId), fencing older producers with the same transactional.id and finishing (aborting) any
   * transaction one of them left open. Call once, before the first beginTransaction().
   */
  async initTransactions(options: TimeoutOptions = {}): Promise<void> {
    this.checkOpen('initTransactions()');
    await this.txn.initTransactions(this.deadline(options));
  }

  /** Opens a transaction: the records sent until commitTransaction()/abortTransaction() are written atomically. */
  beginTransaction(): void {
    this.checkOpen('beginTransaction()');
    this.txn.beginTransaction();
  }

  /**
   * Flushes the transaction's records and commits it (EndTxn). If one of its records failed, rejects with that
   * error and the transaction must be aborted. A fenced producer rejects with KafkaError PRODUCER_FENCED.
   */
  async commitTransaction(options: TimeoutOptions = {}): Promise<void> {
    this.checkOpen('commitTransaction()');
    this.txn.checkCommit();
    const previous = this.txn.beginEnding(true);
    try {
      await this.drain();
    } catch (err) {
      this.txn.restore(previous);
      throw err;
    }
    const failed = this.txn.abortableError;
    if (failed !== undefined) throw failed;
    if (this.txn.state === 'fatal-error') this.txn.checkSend('commitTransaction()');
    await this.txn.endTransaction(true, previous, this.deadline(options));
  }

  /**
   * Aborts the transaction (EndTxn): records not sent yet fail with AbortError, records already written are marked
   * aborted (read_committed consumers skip them). Allowed after a failed send or commit.
   */
  async abortTransaction(options: TimeoutOptions = {}): Promise<void> {
    this.checkOpen('abortTransaction()');
    await this.abort(options);
  }

  private async abort(options: TimeoutOptions): Promise<void> {
    this.txn.checkAbort();
    const previous = this.txn.beginEnding(false);
    this.accumulator.failUnsent(new AbortError('the transaction was aborted before these records were sent'));
    // Batches already sent must be answered first: an EndTxn overtaking them would leave them outside the abort.
    await Promise.all(this.accumulator.allBatches().map((b) => b.done()));
    // An AddPartitionsToTxn still out may register a partition: EndTxn must follow it, not be skipped.
    await this.txn.addsSettled();
    if (this.txn.state === 'fatal-error') this.txn.checkSend('abortTransaction()');
    await this.txn.endTransaction(false, previous, this.deadline(options));
  }

  /**
   * Adds a consumer group's offsets to the transaction (exactly-once read-process-write, KIP-98/KIP-447): they are
   * committed with the transaction's records, or discarded with them. `offsets` are the next offsets to read.
   */
  async sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata, options: TimeoutOptions = {}): Promise<void> {
    this.checkOpen('sendOffsetsToTransaction()');
    if (!Array.isArray(offsets)) throw new TypeError('sendOffsetsToTransaction(): expected an array of { topic, partition, offset }');
    for (const [i, o] of offsets.entries()) {
      if (typeof o?.topic !== 'string' || o.topic === '' || !Number.isInteger(o.partition) || o.partition < 0 || typeof o.offset !== 'bigint' || o.offset < 0n) {
        throw new TypeError(`sendOffsetsToTransaction(): offset ${i} must be { topic: non-empty string, partition: integer >= 0, offset: bigint >= 0 }`);
      }
    }
    await this.txn.sendOffsets(offsets, group, this.deadline(options));
  }

  // ---- closing ------------------------------------------------------------------------------------------------------

  /**
   * Sends what is queued and waits for it (see CloseOptions), aborts a transaction left open (as the Java client
   * does), then closes every connection. Later calls to any method reject with StateError; close() again is a no-op.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const t = options.timeoutMs;
    if (t !== undefined && (typeof t !== 'number' || Number.isNaN(t) || t < 0)) {
      return Promise.reject(new TypeError(`close(): timeoutMs must be a number >= 0, got ${String(t)}`));
    }
    this.lifecycle = 'closing';
    this.closing = this.shutdown(options).finally(() => {
      this.lifecycle = 'closed';
    });
    return this.closing;
  }

  private async shutdown(options: CloseOptions): Promise<void> {
    const timeoutMs = options.timeoutMs === Infinity ? undefined : options.timeoutMs;
    const closed = new StateError('the producer was closed before these records were sent');
    try {
      if (timeoutMs === 0) {
        this.accumulator.failUnsent(new AbortError('the producer was closed before these records were sent', { cause: closed }));
      } else {
        let timer: NodeJS.Timeout | undefined;
        const drained = this.drain();
        await (timeoutMs === undefined ? drained : Promise.race([drained, new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        })]));
        if (timer !== undefined) clearTimeout(timer);
        const txnState = this.txn.isTransactional ? this.txn.state : undefined;
        if (txnState === 'in-transaction' || txnState === 'abortable-error') {
          await this.abort({ timeoutMs: timeoutMs ?? this.requestTimeoutMs }).catch((err: Error) => {
            this.cluster.logger.warn('close(): aborting the open transaction failed; the coordinator aborts it after transaction.timeout.ms', { error: err.message });
          });
        }
      }
    } finally {
      this.sender.stop();
      this.accumulator.failUnsent(new AbortError('the producer was closed before these records were sent', { cause: closed }));
      this.accumulator.rejectWaiters(new StateError('send() called while the producer was closing'));
      await this.cluster.close();
      // Batches that were in flight fail with the pool's AbortError; nothing is left pending.
      for (const b of this.accumulator.allBatches()) {
        b.fail(new AbortError('the producer was closed before these records were acknowledged', { cause: closed }));
        this.accumulator.remove(b);
      }
    }
  }

  private checkOpen(what: string): void {
    if (this.lifecycle !== 'ready') throw new StateError(`${what} called after close()`);
  }

  private deadline(options: TimeoutOptions): number {
    const t = options.timeoutMs;
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0)) {
      throw new TypeError(`timeoutMs must be a number >= 0, got ${String(t)}`);
    }
    return Date.now() + (t ?? this.deliveryTimeoutMs);
  }

  [inspect.custom](): string {
    return `Producer { state: ${this.lifecycle}, ${this.txn.describe()}, queued batches: ${this.accumulator.pendingBatches} }`;
  }
}

/**
 * The record with headers added by diagnostics subscribers (W3C trace context), after its own; a header it has
 * already (the application propagated its own context) is not added again. The application's object is not changed.
 */
function withHeaders(record: ProducerRecord, extra: readonly { key: string; value: string }[]): ProducerRecord {
  const given = record.headers;
  // Malformed headers are left for send()'s own checks to report.
  if (extra.length === 0 || (given !== undefined && (given === null || typeof given !== 'object'))) return record;
  const own: ProducerHeader[] = given === undefined ? []
    : Array.isArray(given) ? [...(given as readonly ProducerHeader[])]
    : Object.entries(given).map(([key, value]) => ({ key, value }));
  for (const h of extra) if (!own.some((o) => o.key === h.key)) own.push(h);
  return { ...record, headers: own };
}
