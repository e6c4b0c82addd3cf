// The public types of the ShareConsumer (KIP-932 share groups): the record it hands out (raw, or deserialized with
// key.deserializer / value.deserializer), its run() options, its metrics snapshot and its errors.

import { GregorError, type GregorErrorOptions } from '../../errors.js';
import type { KafkaRecord } from '../../protocol/records/record.js';
import { ConsumerRecord, type Delivered } from '../deserialize.js';
import type { Message } from '../message.js';
import type { RetryPolicy } from '../runner/options.js';
import type { AcknowledgeType } from './acknowledgements.js';

export type { AcknowledgeType };

/**
 * A record acquired from a share group: a Message plus `deliveryCount`, how many times the broker has handed this
 * record out (1 the first time; it grows when a lock expires or a consumer releases the record).
 */
export type ShareMessage = KafkaRecord & { readonly deliveryCount: number };

/**
 * A record acquired from a share group, with its key and value deserialized (key.deserializer, value.deserializer):
 * a ConsumerRecord (the raw record and its bytes stay reachable as `record`, `rawKey`, `rawValue`) plus its
 * `deliveryCount`.
 */
export class ShareConsumerRecord<K, V> extends ConsumerRecord<K, V> {
  /** The raw record as acquired. */
  declare readonly record: ShareMessage;

  /** How many times the broker has handed this record out (see ShareMessage). */
  get deliveryCount(): number {
    return this.record.deliveryCount;
  }

  /** As ConsumerRecord.toJSON(), with the delivery count. */
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), deliveryCount: this.record.deliveryCount };
  }
}

/**
 * What a ShareConsumer hands out for the deserializer settings KS and VS: the raw ShareMessage when neither is set
 * (or both are 'buffer'), else a ShareConsumerRecord with the deserializers' types (as Consumer's Delivered).
 */
export type ShareDelivered<KS, VS> = [Delivered<KS, VS>] extends [Message] ? ShareMessage
  : Delivered<KS, VS> extends ConsumerRecord<infer K, infer V> ? ShareConsumerRecord<K, V> : never;

/** idle (not subscribed), active, closing, closed. */
export type ShareConsumerState = 'idle' | 'active' | 'closing' | 'closed';

/** What run()'s handlers get besides the records. */
export interface ShareHandlerContext {
  /** Aborted when run() stops and the drain timeout passed. */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry... */
  readonly attempt: number;
}

/**
 * ShareConsumer.run()'s options. `M` is what the consumer hands out (ShareMessage, or ShareConsumerRecord with
 * deserializers).
 */
export interface ShareRunOptions<M = ShareMessage> {
  /** Called once per record; resolving accepts it. Exactly one of eachMessage and eachBatch. */
  eachMessage?: (message: M, context: ShareHandlerContext) => void | Promise<void>;
  /**
   * Called with up to `batchSize` records (of any partitions: a share group keeps no order); resolving accepts those
   * the handler did not acknowledge itself (consumer.acknowledge(record, type)).
   */
  eachBatch?: (messages: readonly M[], context: ShareHandlerContext) => void | Promise<void>;
  /** Handlers (eachMessage: records; eachBatch: batches) in flight at most. Default 1. */
  concurrency?: number;
  /** eachBatch: records per batch at most. Default max.poll.records. */
  batchSize?: number;
  /**
   * Retries of a failing handler, as Consumer.run()'s. After the last, gregor.error.policy decides: 'stop' releases
   * the record (another member gets it, its delivery count grows) and run() rejects with a HandlerError; 'skip'
   * rejects the record (archived by the broker, never delivered again) and goes on; 'dead-letter' writes it to the
   * dead-letter topic and accepts it once that write is acknowledged (a failed write releases it and run() rejects
   * with a DeadLetterError). A record that cannot be deserialized goes to the policy at once (no retry).
   * Default { retries: 5 }.
   */
  retry?: RetryPolicy | false;
  /**
   * Renew the acquisition lock of records whose handler is still running when half the lock duration is left
   * (KIP-1222; needs the group config share.renew.acknowledge.enable=true). Default true.
   */
  renewLocks?: boolean;
  /** How long close() or the signal waits for handlers in flight. Default 30 000 ms. */
  drainTimeoutMs?: number;
  /** Stops run(): nothing more is handed out, handlers in flight are awaited, their records acknowledged. */
  signal?: AbortSignal;
}

/** What run() did, when it resolves. */
export interface ShareRunSummary {
  /** Records whose handler succeeded (accepted, unless the handler acknowledged them otherwise). */
  handled: number;
  /** Records rejected under gregor.error.policy=skip (the handler failed after its retries, or undeserializable). */
  rejected: number;
  /** Records written to the dead-letter topic, then accepted, under gregor.error.policy=dead-letter. */
  deadLettered: number;
  /** Lock renewals sent for records still being handled. */
  renewals: number;
}

/** A snapshot of a ShareConsumer's counters (consumer.metrics()). */
export interface ShareConsumerMetrics {
  attributes: { 'messaging.system': 'kafka'; 'messaging.consumer.group.name': string; 'messaging.client.id': string };
  /** Records acquired (offsets locked to this member by ShareFetch responses, gaps included). */
  acquisitions: number;
  /** Records handed to the application. */
  delivered: number;
  /** Acknowledgements the broker applied, by type (renew: lock renewals). */
  acknowledgements: { accept: number; release: number; reject: number; gap: number; renew: number };
  /** Acknowledgements the broker refused (INVALID_RECORD_STATE: the lock had expired...). */
  acknowledgementFailures: number;
  /**
   * Records gregor.error.policy settled (undeserializable, or run()'s handler failed after its retries): rejected
   * (skip) and written to the dead-letter topic (dead-letter).
   */
  errorPolicy: { rejected: number; deadLettered: number };
  /** Records whose acquisition lock ran out while this consumer still held them (buffered or being handled). */
  lockExpiries: number;
  /**
   * Records acquired again while this consumer still held them: a broker handed out anew what an earlier lock (of a
   * leader that died or moved, or of a reset share session) covered. The held record moves to the new lock.
   */
  reacquired: number;
  /** Records held now: acquired and not acknowledged (buffered + with the application). */
  held: number;
  /** Of those, handed to the application. */
  withApplication: number;
  /** The share group member epoch (0 before joining). */
  memberEpoch: number;
  /** Assigned partitions now. */
  assignedPartitions: number;
  /** ShareFetch and ShareAcknowledge requests sent. */
  requests: { shareFetch: number; shareAcknowledge: number };
}

/** Acknowledgements the broker refused, reported by commit() (and the 'acknowledgementFailed' event). */
export interface AcknowledgementFailure {
  readonly topic: string;
  readonly partition: number;
  /** The offsets of the refused acknowledgements. */
  readonly offsets: readonly bigint[];
  /** The KafkaError naming the broker's answer (or the request's error). */
  readonly error: Error;
  /**
   * An earlier request carrying these acknowledgements got no answer (it timed out, or its connection was lost), so
   * the broker may have applied that one: a refusal now (INVALID_RECORD_STATE, the records no longer acquired) does
   * not tell whether they counted. If they did not, the broker hands the records out again (at least once).
   */
  readonly maybeApplied: boolean;
}

/** commit() could not apply every acknowledgement: `failures` says which and why. */
export class AcknowledgementError extends GregorError {
  /** Which acknowledgements were refused, per partition, and the broker's answer. */
  readonly failures: readonly AcknowledgementFailure[];
  constructor(message: string, failures: readonly AcknowledgementFailure[], options?: GregorErrorOptions) {
    super('ERR_ACKNOWLEDGEMENT', message, options);
    this.failures = failures;
  }
  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      failures: this.failures.map((f) => ({ topic: f.topic, partition: f.partition, offsets: f.offsets.map(String), error: f.error.message })),
    };
  }
}

/** The ShareConsumer's events. */
export interface ShareConsumerEvents {
  /** Acknowledgements the broker refused (also counted in metrics().acknowledgementFailures). */
  acknowledgementFailed: [failure: AcknowledgementFailure];
  /** The assignment changed: the partitions this member now fetches from. */
  assigned: [partitions: { topic: string; partition: number }[]];
}
