// The cluster core: what every client kind (consumer, producer, admin, and the share consumer to come) needs from
// the layers below, behind one class. One connection Pool (src/network: brokers, lanes, negotiated versions), one
// metadata cache (metadata.ts), coordinator lookup (coordinator.ts) and the retry policy (retry.ts). Built by
// connectCluster() (connect.ts) from a resolved configuration, one per client instance.
//
// The layers above reach sockets only through this class: src/network's classes are imported here and nowhere
// above (eslint.config.js enforces it). Requests are typed end to end: the literal api key (ApiKey.Fetch) selects
// the generated request and response body types of src/protocol/messages/types.ts. The typing is compile-time
// only: `request` is one call into the pool, so the fetch hot path pays no extra allocation or hop for it.

import { channels, trace, traced, type RequestDiagnostics } from '../diagnostics.js';
import type { BrokerRequestOptions, Lane } from '../network/broker.js';
import type { Logger, ResolvedNetworkOptions } from '../network/options.js';
import type { Pool } from '../network/pool.js';
import type { RequestBodyFor, ResponseBody } from '../protocol/index.js';
import { Coordinator, type CoordinatorKeyType } from './coordinator.js';
import type { LeaderInfo, Metadata } from './metadata.js';
import type { RetryPolicy } from './retry.js';

export type { Lane } from '../network/broker.js';
/** A Fetch response's frame goes back to its connection's pool when its consumer says so (network/frame-pool.ts). */
export { FrameLease } from '../network/frame-pool.js';
export type { LeaderInfo } from './metadata.js';

/**
 * Per request: the traffic lane ('fetch' for Fetch long polls, 'group' for group coordination so a long poll never
 * delays a heartbeat, 'default' for the rest), a timeout overriding request.timeout.ms, an AbortSignal, version
 * bounds, and `expectResponse: false` for Produce with acks=0 (then the promise resolves with undefined).
 */
export type RequestOptions = BrokerRequestOptions;

export class Cluster {
  constructor(
    private readonly pool: Pool,
    /** The metadata cache: leaders, topic ids, partition counts, brokers. */
    readonly metadata: Metadata,
    readonly logger: Logger,
    /** retry.backoff.ms / retry.backoff.max.ms of the client's configuration. */
    readonly retry: RetryPolicy,
    /** Who sends the requests, for the gregor:request diagnostics channel. */
    readonly identity: { client: RequestDiagnostics['client']; clientId: string } = { client: 'consumer', clientId: 'gregor' },
  ) {}

  /** Open connections, connection attempts and failed attempts over every broker, for metrics. */
  connectionStats(): { open: number; attempts: number; errors: number } {
    return this.pool.connectionStats();
  }

  // ---- requests ------------------------------------------------------------------------------------------------

  /** Sends a request to broker `nodeId` at the highest version both sides support; resolves the decoded body. */
  request<K extends number>(nodeId: number, apiKey: K, body: RequestBodyFor<K>, options?: RequestOptions): Promise<ResponseBody<K>> {
    if (channels.request.hasSubscribers) {
      return trace(channels.request, { ...this.identity, nodeId, apiKey }, () => this.pool.request(nodeId, apiKey, body, options));
    }
    return this.pool.request(nodeId, apiKey, body, options);
  }

  /** Sends to the least loaded reachable broker (cluster-wide requests: Metadata, FindCoordinator, CreateTopics...). */
  requestAny<K extends number>(apiKey: K, body: RequestBodyFor<K>, options?: RequestOptions): Promise<ResponseBody<K>> {
    return traced(channels.request, () => ({ ...this.identity, nodeId: null, apiKey }), async () => {
      const broker = await this.pool.anyBroker(options?.signal);
      return broker.request(apiKey, body, options);
    });
  }

  /** Version that `request` will use for this API with this broker (connects and negotiates if needed). */
  async apiVersion(nodeId: number, apiKey: number): Promise<number> {
    const broker = this.pool.brokerFor(nodeId);
    await broker.ready();
    return broker.versionFor(apiKey);
  }

  /**
   * A reachable broker's node id, for a sequence of requests to one broker (the least loaded connected broker, else a
   * bootstrap address: then a negative pseudo id, valid for request() all the same).
   */
  async anyNode(signal?: AbortSignal): Promise<number> {
    return (await this.pool.anyBroker(signal)).nodeId;
  }

  /**
   * Whether broker `nodeId` supports `apiKey` at some version; undefined until its versions are negotiated (or when
   * the node is unknown).
   */
  supportsApi(nodeId: number, apiKey: number): boolean | undefined {
    return this.pool.broker(nodeId)?.apiVersions?.has(apiKey);
  }

  /** Whether the pool knows node `nodeId` (from metadata, or from a FindCoordinator answer). */
  hasBroker(nodeId: number): boolean {
    return this.pool.broker(nodeId) !== undefined;
  }

  /**
   * A known broker's address, and where its TCP connection goes (connectAddress), for a connection made outside
   * this pool (the heartbeat thread's, group-liveness.ts).
   */
  brokerAddress(nodeId: number): { host: string; port: number; connectHost: string; connectPort: number } | undefined {
    const b = this.pool.broker(nodeId);
    if (b === undefined) return undefined;
    const target = this.pool.options.connectAddress?.({ nodeId, host: b.host, port: b.port }) ?? { host: b.host, port: b.port };
    return { host: b.host, port: b.port, connectHost: target.host, connectPort: target.port };
  }

  /** The resolved network options (credentials as Secrets): the heartbeat thread connects with the same ones. */
  get networkOptions(): ResolvedNetworkOptions {
    return this.pool.options;
  }

  /** request.timeout.ms. */
  get requestTimeoutMs(): number {
    return this.pool.options.requestTimeoutMs;
  }

  /** Teaches the pool a broker's address when it comes from a response rather than metadata (FindCoordinator). */
  addBroker(nodeId: number, host: string, port: number): void {
    this.pool.addBroker(nodeId, host, port);
  }

  /**
   * A coordinator (FindCoordinator key type: group, transaction or share) of this cluster. Its requests go on
   * `lane`: the consumer's group traffic on 'group', the producer's and the admin client's on 'default'.
   */
  coordinator(keyType: CoordinatorKeyType, key: string, lane: Lane = 'default'): Coordinator {
    return new Coordinator(this, keyType, key, lane);
  }

  // ---- the metadata cache --------------------------------------------------------------------------------------

  /** Leader of a partition from the metadata cache; undefined when unknown (refresh needed). */
  leaderFor(topic: string, partition: number): LeaderInfo | undefined {
    return this.metadata.leaderFor(topic, partition);
  }

  /**
   * Whether node `nodeId` may serve `topic`/`partition` as a read replica (KIP-392): the metadata knows the broker
   * and does not list it offline for the partition (Java's Cluster.nodeIfOnline).
   */
  replicaOnline(topic: string, partition: number, nodeId: number): boolean {
    if (this.pool.broker(nodeId) === undefined || nodeId < 0) return false;
    const p = this.metadata.partition(topic, partition);
    return p !== undefined && !p.offline.includes(nodeId);
  }

  /** Topic id from the metadata cache (Kafka's base64 string form), undefined when unknown or not provided. */
  topicId(topic: string): string | undefined {
    return this.metadata.topicId(topic);
  }

  /** Topic name for a topic id (responses of Fetch v13+ carry only ids). */
  topicName(topicId: string): string | undefined {
    return this.metadata.topicName(topicId);
  }

  /** The error the last metadata refresh returned for a topic (UNKNOWN_TOPIC_OR_PARTITION...), undefined if none. */
  topicError(topic: string): number | undefined {
    return this.metadata.topicError(topic);
  }

  /** Number of partitions from the metadata cache; undefined when the topic is unknown. */
  partitionCount(topic: string): number | undefined {
    return this.metadata.partitionCount(topic);
  }

  /** Whether a topic is internal (__consumer_offsets...): pattern subscriptions skip those by default. */
  isInternalTopic(topic: string): boolean {
    return this.metadata.topic(topic)?.isInternal ?? topic.startsWith('__');
  }

  /** Topics known to the cache (after refreshMetadata('all'), every topic the client may describe). */
  topicNames(): string[] {
    return this.metadata.topicNames();
  }

  /** Whether the cache holds every one of `topics` from a refresh answered at or after `since` (Date.now() ms). */
  metadataFreshSince(topics: readonly string[], since: number): boolean {
    return this.metadata.freshSince(topics, since);
  }

  /** Refreshes the metadata of these topics (nothing to do for none), or of every topic. */
  refreshMetadata(topics: readonly string[] | 'all', options: { signal?: AbortSignal } = {}): Promise<void> {
    if (topics !== 'all' && topics.length === 0) return Promise.resolve();
    return this.metadata.refresh(topics, { signal: options.signal });
  }

  /** KIP-951: applies a leader named in a Fetch or Produce answer (see Metadata.updateLeader); true when applied. */
  updateLeader(topic: string, partition: number, leaderId: number, leaderEpoch: number,
    endpoints?: readonly { nodeId: number; host: string; port: number; rack: string | null }[]): boolean {
    return this.metadata.updateLeader(topic, partition, leaderId, leaderEpoch, endpoints);
  }

  /** Notes that the cache is stale (a leader moved); the next refresh fetches it again. */
  markStale(topic?: string): void {
    this.metadata.markStale(topic);
  }

  /** Stops the metadata timers and closes every connection; pending requests reject with AbortError. */
  async close(): Promise<void> {
    this.metadata.close();
    await this.pool.close();
  }
}
