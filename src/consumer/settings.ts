// The consumer's view of its configuration: the properties the consumer core reads, as camelCase fields.
//
// A plain mapping from the resolved configuration and nothing more: names, defaults, aliases, ranges and the rules
// between properties are src/config's (one table, properties.ts; one validator, resolve.ts), so a value here is
// always one the table accepts. The narrow view keeps dotted-name lookups off the hot path and gives every consumer
// module one place to learn what a setting means.

import type { ResolvedConsumerConfig } from '../config/index.js';

export type OffsetResetPolicy = ResolvedConsumerConfig['auto.offset.reset'];
export type IsolationLevel = ResolvedConsumerConfig['isolation.level'];

export interface ConsumerSettings {
  clientId: string;
  groupId: string | null;
  groupInstanceId: string | null;
  groupProtocol: 'classic' | 'consumer';
  /** group.remote.assignor: the broker-side assignor a KIP-848 member asks for (null: the broker's default). */
  groupRemoteAssignor: string | null;
  autoOffsetReset: OffsetResetPolicy;
  enableAutoCommit: boolean;
  autoCommitIntervalMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPollIntervalMs: number;
  fetchMinBytes: number;
  fetchMaxBytes: number;
  fetchMaxWaitMs: number;
  maxPartitionFetchBytes: number;
  isolationLevel: IsolationLevel;
  clientRack: string;
  checkCrcs: boolean;
  /** enable.metrics.push: KIP-714 client telemetry. */
  enableMetricsPush: boolean;
  /** Most messages one pollBatch() returns (max.poll.records). */
  maxPollRecords: number;
  /** Assignor names in preference order (partition.assignment.strategy). */
  assignmentStrategies: string[];
  requestTimeoutMs: number;
  defaultApiTimeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  /**
   * Upper bound on fetched-but-undelivered bytes across all partitions. Fetching pauses above it; this is what keeps
   * memory bounded while the application is slower than the broker (see DESIGN.md, "Consumer memory").
   */
  fetchBufferBytes: number;
  metadataMaxAgeMs: number;
  /** Pattern subscriptions never match internal topics (__consumer_offsets...). */
  excludeInternalTopics: boolean;
  /** run(): what happens to a record whose handler still fails after its retries (gregor.error.policy). */
  errorPolicy: 'stop' | 'skip' | 'dead-letter';
}

/** The consumer settings of a resolved consumer configuration. */
export function consumerSettings(config: ResolvedConsumerConfig): ConsumerSettings {
  return {
    clientId: config['client.id'],
    groupId: config['group.id'] ?? null,
    groupInstanceId: config['group.instance.id'] ?? null,
    groupProtocol: config['group.protocol'],
    groupRemoteAssignor: config['group.remote.assignor'] ?? null,
    autoOffsetReset: config['auto.offset.reset'],
    enableAutoCommit: config['enable.auto.commit'],
    autoCommitIntervalMs: config['auto.commit.interval.ms'],
    sessionTimeoutMs: config['session.timeout.ms'],
    heartbeatIntervalMs: config['heartbeat.interval.ms'],
    maxPollIntervalMs: config['max.poll.interval.ms'],
    fetchMinBytes: config['fetch.min.bytes'],
    fetchMaxBytes: config['fetch.max.bytes'],
    fetchMaxWaitMs: config['fetch.max.wait.ms'],
    maxPartitionFetchBytes: config['max.partition.fetch.bytes'],
    isolationLevel: config['isolation.level'],
    clientRack: config['client.rack'],
    checkCrcs: config['check.crcs'],
    enableMetricsPush: config['enable.metrics.push'],
    maxPollRecords: config['max.poll.records'],
    assignmentStrategies: [...config['partition.assignment.strategy']],
    requestTimeoutMs: config['request.timeout.ms'],
    defaultApiTimeoutMs: config['default.api.timeout.ms'],
    retryBackoffMs: config['retry.backoff.ms'],
    retryBackoffMaxMs: config['retry.backoff.max.ms'],
    fetchBufferBytes: config['gregor.fetch.buffer.bytes'],
    metadataMaxAgeMs: config['metadata.max.age.ms'],
    excludeInternalTopics: config['exclude.internal.topics'],
    errorPolicy: config['gregor.error.policy'],
  };
}
