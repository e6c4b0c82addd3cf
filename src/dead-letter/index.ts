// gregor.error.policy=dead-letter, producer side: the DeadLetterSink the consumer writes failed records through.
//
// The seam: the consumer layer defines DeadLetterSink (src/consumer/failure-policy.ts) and may not import the
// producer (the clients never import each other, enforced by lint). This module sits above both: it implements the
// sink with a Producer and registers its factory when loaded; src/index.ts loads it, so `new Consumer()` from the
// package finds it. An application may pass its own sink instead (ConsumerOptions.deadLetterSink).
//
// What is written: the source record's key, value and headers as raw bytes, its timestamp, plus headers naming
// where it came from and why, after Kafka Connect's dead-letter context headers (KIP-298: `__connect.errors.*`):
//   __gregor.dlq.topic, .partition, .offset, .timestamp   the source record
//   __gregor.dlq.group                                    the consumer group ('' without group.id)
//   __gregor.dlq.error.class, .code, .message             the error (code: GregorError's, '' for others)
//   __gregor.dlq.attempts                                 handler calls made (0: it could not be deserialized)
// With acks=all and idempotence (retries never duplicate within the producer session), so send() resolving means
// every in-sync replica has it; only then does the consumer commit past the source record.

import { isGregorError } from '../errors.js';
import { PROPERTIES, type ResolvedConsumerConfig } from '../config/index.js';
import type { ClientKind, PropertyDef } from '../config/types.js';
import { registerDeadLetterSinkFactory, type DeadLetter, type DeadLetterSink } from '../consumer/failure-policy.js';
import { Producer, type ProducerHeader } from '../producer/index.js';

/** The dead-letter topic of a source topic: gregor.dead.letter.topic, else `<topic>.dlq`. */
export function deadLetterTopic(config: ResolvedConsumerConfig, sourceTopic: string): string {
  return config['gregor.dead.letter.topic'] ?? `${sourceTopic}.dlq`;
}

/** The producer configuration of a consumer's sink: the connection properties it was given, acks=all, idempotent. */
export function deadLetterProducerConfig(config: ResolvedConsumerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = config as unknown as Record<string, unknown>;
  for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
    const clients: readonly ClientKind[] = def.clients;
    if (!clients.includes('producer') || !clients.includes('consumer')) continue;
    if (!config.isExplicit(name as never) && name !== 'gregor.logger' && name !== 'gregor.log.level') continue;
    const value = values[name];
    if (value !== undefined) out[name] = value;
  }
  const clientId = config['client.id'];
  if (clientId !== '') out['client.id'] = `${clientId}-dead-letter`;
  out['acks'] = 'all';
  out['enable.idempotence'] = true;
  return out;
}

/** The headers that say where a dead letter came from and why (see the file comment). */
export function deadLetterHeaders(letter: DeadLetter, group: string | null): ProducerHeader[] {
  const { record, error, attempts } = letter;
  const headers: ProducerHeader[] = record.headers.map((h) => ({ key: h.key, value: h.value }));
  const errorClass = error instanceof Error ? error.name : typeof error;
  const add = (key: string, value: string): void => {
    headers.push({ key: `__gregor.dlq.${key}`, value: Buffer.from(value, 'utf8') });
  };
  add('topic', record.topic);
  add('partition', String(record.partition));
  add('offset', String(record.offset));
  add('timestamp', String(record.timestamp));
  add('group', group ?? '');
  add('error.class', errorClass);
  add('error.code', isGregorError(error) ? error.code : '');
  add('error.message', error instanceof Error ? error.message : String(error));
  add('attempts', String(attempts));
  return headers;
}

/**
 * The built-in sink: one Producer per consumer (the consumer's connection properties, acks=all, idempotence), made
 * at the first dead letter. Exported for applications that wrap it (to observe or hold dead letters).
 */
export class ProducerDeadLetterSink implements DeadLetterSink {
  private producer: Producer | null = null;
  private closed = false;

  constructor(private readonly config: ResolvedConsumerConfig) {}

  /** Writes the record to its dead-letter topic; resolves once acknowledged by every in-sync replica. */
  send(letter: DeadLetter): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the dead-letter sink is closed'));
    this.producer ??= new Producer(deadLetterProducerConfig(this.config));
    const { record } = letter;
    return this.producer.send({
      topic: deadLetterTopic(this.config, record.topic),
      key: record.key,
      value: record.value,
      headers: deadLetterHeaders(letter, this.config['group.id'] ?? null),
      timestamp: record.timestamp >= 0 ? record.timestamp : undefined,
    }).then(() => undefined);
  }

  /** Flushes and closes the producer (called by consumer.close()). */
  async close(): Promise<void> {
    this.closed = true;
    await this.producer?.close();
  }
}

registerDeadLetterSinkFactory((config) => new ProducerDeadLetterSink(config));
