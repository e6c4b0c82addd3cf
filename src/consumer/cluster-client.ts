// The ConsumerClient over the real layers below: a connection Pool (src/network) and the metadata cache
// (src/cluster), and the consumer's logger. The resolved configuration's mapping onto the network layer's options is
// shared with the producer and the admin client: src/cluster/network-options.ts.

import type { GregorLogger, ResolvedConsumerConfig } from '../config/index.js';
import { Metadata } from '../cluster/metadata.js';
import { Pool } from '../network/pool.js';
import type { Logger as NetworkLogger, NetworkOptions } from '../network/options.js';
import type { ConsumerClient, LeaderInfo, RequestBody, RequestOptions } from './client.js';
import type { ConsumerLogger } from './logger.js';

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * The consumer's logger from gregor.logger / gregor.log.level: a function receiving (level, message, fields). When
 * none is configured, warnings go to stderr (as the property's documentation says), quieter levels nowhere.
 */
export function loggerFrom(config: ResolvedConsumerConfig): ConsumerLogger & NetworkLogger {
  const c = config as unknown as Record<string, unknown>;
  const fn = c['gregor.logger'] as GregorLogger | undefined;
  const level = (c['gregor.log.level'] as (typeof LEVELS)[number] | undefined) ?? 'warn';
  const max = LEVELS.indexOf(level);
  // The default sink is the application's stderr: the same warning (a broker down, retried every second) is printed
  // at most once per 30 s there. A configured gregor.logger gets every line.
  const lastPrinted = new Map<string, number>();
  const emit = (lvl: (typeof LEVELS)[number], message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS.indexOf(lvl) > max) return;
    if (fn !== undefined) {
      fn(lvl, message, fields);
      return;
    }
    if (lvl === 'error' || lvl === 'warn') {
      const now = Date.now();
      if (now - (lastPrinted.get(message) ?? -Infinity) < 30_000) return;
      lastPrinted.set(message, now);
      if (lastPrinted.size > 1000) lastPrinted.clear();
      const extra = fields === undefined ? '' : ` ${JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
      process.stderr.write(`gregor ${lvl}: ${message}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export class PoolClient implements ConsumerClient {
  readonly pool: Pool;
  readonly metadata: Metadata;

  constructor(options: NetworkOptions, metadataOptions: { retryBackoffMs: number; allowAutoTopicCreation: boolean }) {
    this.pool = new Pool(options);
    this.metadata = new Metadata(this.pool, {
      retryBackoffMs: metadataOptions.retryBackoffMs,
      allowAutoTopicCreation: metadataOptions.allowAutoTopicCreation,
      logger: options.logger,
    });
  }

  request(nodeId: number, apiKey: number, body: RequestBody, options: RequestOptions = {}): Promise<any> {
    return this.pool.request(nodeId, apiKey, body, { lane: options.lane, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  async requestAny(apiKey: number, body: RequestBody, options: RequestOptions = {}): Promise<any> {
    const broker = await this.pool.anyBroker(options.signal);
    return broker.request(apiKey, body, { lane: options.lane, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  async apiVersion(nodeId: number, apiKey: number): Promise<number> {
    const broker = this.pool.brokerFor(nodeId);
    await broker.ready();
    return broker.versionFor(apiKey);
  }

  leaderFor(topic: string, partition: number): LeaderInfo | undefined {
    return this.metadata.leaderFor(topic, partition);
  }

  topicId(topic: string): string | undefined {
    return this.metadata.topicId(topic);
  }

  topicName(topicId: string): string | undefined {
    return this.metadata.topicName(topicId);
  }

  topicError(topic: string): number | undefined {
    return this.metadata.topicError(topic);
  }

  partitionCount(topic: string): number | undefined {
    return this.metadata.partitionCount(topic);
  }

  topicNames(): string[] {
    return this.metadata.topicNames();
  }

  isInternalTopic(topic: string): boolean {
    return this.metadata.topic(topic)?.isInternal ?? topic.startsWith('__');
  }

  refreshMetadata(topics: readonly string[] | 'all', options: { signal?: AbortSignal } = {}): Promise<void> {
    if (topics !== 'all' && topics.length === 0) return Promise.resolve();
    return this.metadata.refresh(topics, { signal: options.signal });
  }

  markStale(topic?: string): void {
    this.metadata.markStale(topic);
  }

  addBroker(nodeId: number, host: string, port: number): void {
    this.pool.addBroker(nodeId, host, port);
  }

  async close(): Promise<void> {
    this.metadata.close();
    await this.pool.close();
  }
}
