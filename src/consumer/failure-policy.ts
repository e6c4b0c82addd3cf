// gregor.error.policy: what happens to a record that cannot be deserialized, or (run()) whose handler still fails
// after its retries. One decision for poll(), iteration and run():
//   stop         the error is raised at the record (poll) or ends run(); nothing is committed past the record
//   skip         a warning, counted, the record passed over (committed as handled)
//   dead-letter  the raw record is written to the dead-letter topic through a DeadLetterSink, and only once that
//                write is acknowledged (acks=all) may its offset be committed; a failed write stops like `stop`
//
// The consumer layer cannot import the producer (the clients never import each other), so the write goes through
// the DeadLetterSink interface below. src/dead-letter/ implements it with a Producer and registers the factory when
// the package entry point (src/index.ts) is loaded; an application may also pass its own sink (ConsumerOptions).

import type { Logger, ResolvedConsumerConfig } from '../config/index.js';
import { GregorError } from '../errors.js';
import type { Message } from './message.js';

/** gregor.error.policy. */
export type ErrorPolicy = 'stop' | 'skip' | 'dead-letter';

/** One record on its way to the dead-letter topic. */
export interface DeadLetter {
  /** The record as fetched: its key, value and headers are written as they are. */
  readonly record: Message;
  /** Why: a DeserializationError, or what the handler threw last. */
  readonly error: unknown;
  /** Handler calls made for it (0 when it could not be deserialized). */
  readonly attempts: number;
}

/**
 * Where dead letters go. `send()` resolves once the record is durably written (the producer-backed sink: acks=all,
 * idempotent); the consumer commits the record's offset only after that. `close()` is called by consumer.close().
 */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
  close(): Promise<void>;
}

/** Makes the sink for a consumer whose gregor.error.policy is dead-letter (registered by src/dead-letter/). */
export type DeadLetterSinkFactory = (config: ResolvedConsumerConfig) => DeadLetterSink;

let registered: DeadLetterSinkFactory | null = null;

/** @internal called once by src/dead-letter/ when the package is loaded. */
export function registerDeadLetterSinkFactory(factory: DeadLetterSinkFactory): void {
  registered = factory;
}

/** @internal the registered factory (null when only the consumer layer was loaded). */
export function deadLetterSinkFactory(): DeadLetterSinkFactory | null {
  return registered;
}

/** Writing a record to the dead-letter topic failed: the record is not committed, and run() (or poll()) stops. */
export class DeadLetterError extends GregorError {
  /** The source record's topic. */
  readonly topic: string;
  /** The source record's partition. */
  readonly partition: number;
  /** The source record's offset. */
  readonly offset: bigint;
  constructor(record: Message, cause: unknown) {
    super('ERR_DEAD_LETTER', `${record.topic}[${record.partition}] offset ${record.offset}: writing the record to the dead-letter topic failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.topic = record.topic;
    this.partition = record.partition;
    this.offset = record.offset;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), topic: this.topic, partition: this.partition, offset: String(this.offset) };
  }
}

/** Counts of what the policy did, for the consumer's metrics. */
export interface FailureCounts {
  skipped: number;
  deadLettered: number;
}

/** The policy of one consumer, with its sink. */
export class FailurePolicy {
  readonly counts: FailureCounts = { skipped: 0, deadLettered: 0 };

  constructor(readonly policy: ErrorPolicy, private readonly sink: DeadLetterSink | null, private readonly logger: Logger) {}

  /**
   * Settles a failed record: null for 'stop' (the caller raises `error`), 'skipped' at once, or a promise resolved
   * once the dead letter is acknowledged (rejected with a DeadLetterError when it could not be written).
   */
  settle(record: Message, error: unknown, attempts: number): null | 'skipped' | Promise<'dead-lettered'> {
    if (this.policy === 'stop') return null;
    const fields = {
      record: `${record.topic}[${record.partition}] offset ${record.offset}`, attempts,
      error: error instanceof Error ? error.message : String(error),
    };
    if (this.policy === 'skip' || this.sink === null) {
      this.counts.skipped++;
      this.logger.warn('record skipped (gregor.error.policy=skip)', fields);
      return 'skipped';
    }
    return this.sink.send({ record, error, attempts }).then(() => {
      this.counts.deadLettered++;
      this.logger.info('record written to the dead-letter topic (gregor.error.policy=dead-letter)', fields);
      return 'dead-lettered' as const;
    }, (err: unknown) => {
      throw new DeadLetterError(record, err);
    });
  }

  close(): Promise<void> {
    return this.sink === null ? Promise.resolve() : this.sink.close();
  }
}
