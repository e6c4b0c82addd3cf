// What the consumer needs from the layers below: send a request to a broker on a traffic lane, and read the
// metadata cache. One narrow interface, so the consumer's modules do not depend on how connections are pooled.
//
// Request and response bodies use the protocol layer's field names (lowerCamelCase of Kafka's JSON message specs,
// int64 as bigint, uuid as a 16-byte Buffer or a string). The implementation over src/network and src/cluster is
// in cluster-client.ts.

export type Lane = 'fetch' | 'group' | 'default';

export interface RequestOptions {
  /** Traffic lane: 'fetch' for Fetch (long polls), 'group' for coordinator traffic, 'default' for the rest. */
  lane?: Lane;
  /** Overrides request.timeout.ms; Fetch adds fetch.max.wait.ms to it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LeaderInfo {
  leaderId: number;
  leaderEpoch: number;
}

export const ApiKeys = {
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  OffsetForLeaderEpoch: 23,
  ConsumerGroupHeartbeat: 68,
} as const;

/**
 * A request body, or a function building it for the version negotiated with the broker. The codec rejects fields a
 * version cannot carry (unless Kafka marks them ignorable), so bodies whose shape changed across versions
 * (FindCoordinator v4 batching, OffsetFetch v8 groups, LeaveGroup v3 members) are built per version.
 */
export type RequestBody = object | ((version: number) => object);

export interface ConsumerClient {
  /** Sends a request to broker `nodeId` at the highest version both sides support; resolves the decoded body. */
  request(nodeId: number, apiKey: number, body: RequestBody, options?: RequestOptions): Promise<any>;
  /** Sends to any reachable broker (used before the cluster's layout is known, e.g. FindCoordinator). */
  requestAny(apiKey: number, body: RequestBody, options?: RequestOptions): Promise<any>;
  /** Version that `request` will use for this API with this broker (connects and negotiates if needed). */
  apiVersion(nodeId: number, apiKey: number): Promise<number>;

  /** Leader of a partition from the metadata cache; undefined when unknown (refresh needed). */
  leaderFor(topic: string, partition: number): LeaderInfo | undefined;
  /** Topic id from the metadata cache (Kafka's base64 string form), undefined when unknown or not provided. */
  topicId(topic: string): string | undefined;
  /** Topic name for a topic id (responses of Fetch v13+ carry only ids). */
  topicName(topicId: string): string | undefined;
  /** The error the last metadata refresh returned for a topic (UNKNOWN_TOPIC_OR_PARTITION...), undefined if none. */
  topicError(topic: string): number | undefined;
  /** Number of partitions from the metadata cache; undefined when the topic is unknown. */
  partitionCount(topic: string): number | undefined;
  /** Whether a topic is internal (__consumer_offsets...): pattern subscriptions skip those by default. */
  isInternalTopic(topic: string): boolean;
  /** Topics known to the cache (after refreshMetadata('all'), every topic the client may describe). */
  topicNames(): string[];
  /** Refreshes the metadata of these topics, or of every topic. Rejects on unknown topics only when asked. */
  refreshMetadata(topics: readonly string[] | 'all', options?: { signal?: AbortSignal }): Promise<void>;
  /** Notes that the cache is stale (a leader moved); the next refresh fetches it again. */
  markStale(topic?: string): void;
  /** Teaches the pool a broker's address when it comes from a response rather than metadata (FindCoordinator). */
  addBroker(nodeId: number, host: string, port: number): void;
  close(): Promise<void>;
}
