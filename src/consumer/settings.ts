// The consumer's view of its configuration: the handful of properties the consumer core reads, as plain typed
// fields with the defaults of Kafka's Java consumer.
//
// Why a separate, narrow view: src/config owns the full property table (names, librdkafka aliases, validation,
// suggestions). The consumer only needs typed values; reading them once here keeps dotted-name string lookups off the
// hot path and gives every consumer module one place to learn what a setting means.

import { ConfigError } from '../errors.js';

export type OffsetResetPolicy = 'earliest' | 'latest' | 'none';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

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
}

type Props = Readonly<Record<string, unknown>>;

function raw(props: Props, name: string): unknown {
  const v = props[name];
  return v === undefined || v === null || v === '' ? undefined : v;
}

function str(props: Props, name: string, dflt: string): string {
  const v = raw(props, name);
  return v === undefined ? dflt : String(v);
}

function optStr(props: Props, name: string): string | null {
  const v = raw(props, name);
  return v === undefined ? null : String(v);
}

function int(props: Props, name: string, dflt: number, min = 0): number {
  const v = raw(props, name);
  if (v === undefined) return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(String(v).trim());
  if (!Number.isInteger(n) || n < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(String(v))}`, name);
  }
  return n;
}

function bool(props: Props, name: string, dflt: boolean): boolean {
  const v = raw(props, name);
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(String(v))}`, name);
}

function oneOf<T extends string>(props: Props, name: string, dflt: T, allowed: readonly T[], aliases: Record<string, T> = {}): T {
  const v = raw(props, name);
  if (v === undefined) return dflt;
  const s = String(v).trim().toLowerCase();
  if ((allowed as readonly string[]).includes(s)) return s as T;
  const alias = aliases[s];
  if (alias !== undefined) return alias;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(String(v))}`, name);
}

/**
 * Reads the consumer settings from resolved properties (Kafka's dotted names). Values may be strings (from an ini
 * or .properties file) or already typed (from src/config's resolver); either is accepted.
 */
export function consumerSettings(props: Props): ConsumerSettings {
  const fetchMaxBytes = int(props, 'fetch.max.bytes', 52428800, 1);
  const sessionTimeoutMs = int(props, 'session.timeout.ms', 45000, 1);
  const heartbeatIntervalMs = int(props, 'heartbeat.interval.ms', 3000, 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConfigError(
      `heartbeat.interval.ms (${heartbeatIntervalMs}) must be lower than session.timeout.ms (${sessionTimeoutMs})`,
      'heartbeat.interval.ms',
    );
  }
  const strategies = raw(props, 'partition.assignment.strategy');
  const assignmentStrategies = strategies === undefined
    ? ['range', 'cooperative-sticky']
    : (Array.isArray(strategies) ? strategies.map(String) : String(strategies).split(','))
      .map((s) => s.trim()).filter((s) => s.length > 0);
  return {
    clientId: str(props, 'client.id', 'gregor'),
    groupId: optStr(props, 'group.id'),
    groupInstanceId: optStr(props, 'group.instance.id'),
    groupProtocol: oneOf(props, 'group.protocol', 'classic', ['classic', 'consumer'] as const),
    groupRemoteAssignor: optStr(props, 'group.remote.assignor'),
    // librdkafka spellings (smallest, beginning, largest, end, error) map onto Kafka's three policies.
    autoOffsetReset: oneOf(props, 'auto.offset.reset', 'latest', ['earliest', 'latest', 'none'] as const, {
      smallest: 'earliest', beginning: 'earliest', largest: 'latest', end: 'latest', error: 'none',
    }),
    enableAutoCommit: bool(props, 'enable.auto.commit', true),
    autoCommitIntervalMs: int(props, 'auto.commit.interval.ms', 5000, 1),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    maxPollIntervalMs: int(props, 'max.poll.interval.ms', 300000, 1),
    fetchMinBytes: int(props, 'fetch.min.bytes', 1, 0),
    fetchMaxBytes,
    fetchMaxWaitMs: int(props, 'fetch.max.wait.ms', 500, 0),
    maxPartitionFetchBytes: int(props, 'max.partition.fetch.bytes', 1048576, 1),
    isolationLevel: oneOf(props, 'isolation.level', 'read_uncommitted', ['read_uncommitted', 'read_committed'] as const),
    clientRack: str(props, 'client.rack', ''),
    checkCrcs: bool(props, 'check.crcs', true),
    maxPollRecords: int(props, 'max.poll.records', 500, 1),
    assignmentStrategies: assignmentStrategies.length > 0 ? assignmentStrategies : ['range'],
    requestTimeoutMs: int(props, 'request.timeout.ms', 30000, 1),
    defaultApiTimeoutMs: int(props, 'default.api.timeout.ms', 60000, 1),
    retryBackoffMs: int(props, 'retry.backoff.ms', 100, 0),
    retryBackoffMaxMs: int(props, 'retry.backoff.max.ms', 1000, 0),
    fetchBufferBytes: int(props, 'gregor.fetch.buffer.bytes', fetchMaxBytes, 1),
    metadataMaxAgeMs: int(props, 'metadata.max.age.ms', 300000, 0),
    excludeInternalTopics: bool(props, 'exclude.internal.topics', true),
  };
}
