// The ConsumerClient over the real layers below: a connection Pool (src/network) and the metadata cache
// (src/cluster). The resolved configuration's mapping onto the network layer's options is
// shared with the producer and the admin client: src/cluster/network-options.ts.

import { Metadata } from '../cluster/metadata.js';
import { Pool } from '../network/pool.js';
import type { NetworkOptions } from '../network/options.js';
import type { ConsumerClient, LeaderInfo, RequestBody, RequestOptions } from './client.js';

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
