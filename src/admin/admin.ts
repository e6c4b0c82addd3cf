// The minimal admin client: public, documented as minimal. Enough for tests, the demo, the CLI's `cluster
// describe` and `groups`, and applications that need to create a topic: topics (create, delete, list, describe), the
// cluster (id, controller, brokers), groups (list, describe, committed offsets: groups.ts), share groups (describe,
// start offsets and lag, alter and delete them: share-groups.ts), offsets by time (ListOffsets) and configs
// (DescribeConfigs, IncrementalAlterConfigs: topic, broker and group configs such as share.auto.offset.reset).
//
//   const admin = new Admin({ 'bootstrap.servers': 'localhost:9092' });
//   await admin.createTopics([{ topic: 'orders', numPartitions: 6 }]);
//   await admin.close();
//
// Every call retries retriable errors (NOT_CONTROLLER, a leader moving, a lost connection) with backoff until
// default.api.timeout.ms (or the call's timeoutMs), and rejects with the broker's KafkaError otherwise
// (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, POLICY_VIOLATION, ...), naming the topic.
// In KRaft any broker forwards CreateTopics and DeleteTopics to the active controller, so they go to any broker.

import { inspect } from 'node:util';
import { resolveConfig, type AdminConfig, type ResolvedAdminConfig } from '../config/index.js';
import { KafkaError, StateError, TimeoutError, isGregorError } from '../errors.js';
import { ApiKey, ErrorCode, isRetriable, kafkaError } from '../protocol/index.js';
import type { Cluster } from '../cluster/client.js';
import { connectCluster } from '../cluster/connect.js';
import { withRetries, type RetryPolicy } from '../cluster/retry.js';
import {
  describeGroup, listGroupOffsets, listGroups, type GroupContext, type GroupDescription, type GroupFilters, type GroupListing, type GroupOffset,
} from './groups.js';
import {
  alterShareGroupOffsets, deleteShareGroupOffsets, describeShareGroup, listShareGroupOffsets,
  type ShareGroupDescription, type ShareGroupOffset, type ShareGroupOffsetSpec,
} from './share-groups.js';
import { alterGroupOffsets, type GroupOffsetToWrite } from './group-offsets.js';

/** A topic for createTopics(). */
export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions. */
  numPartitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact', 'retention.ms': '60000' }. */
  configs?: Readonly<Record<string, string>>;
}

/** Every admin call's deadline. */
export interface AdminCallOptions {
  /** Deadline of the call in milliseconds; default default.api.timeout.ms. */
  timeoutMs?: number;
}

/** createTopics()'s options. */
export interface CreateTopicsOptions extends AdminCallOptions {
  /** Ask the broker to validate only; nothing is created. */
  validateOnly?: boolean;
  /** A topic that already exists is not an error (its TOPIC_ALREADY_EXISTS is ignored). */
  ifNotExists?: boolean;
  /** Wait until the new topics' partitions all have a leader in the metadata (default true). */
  waitForMetadata?: boolean;
}

/** deleteTopics()'s options. */
export interface DeleteTopicsOptions extends AdminCallOptions {
  /** A topic that does not exist is not an error. */
  ifExists?: boolean;
}

/** createTopics()'s answer for one topic: what the broker created. */
export interface CreatedTopic {
  topic: string;
  /** Kafka's printed form (22 characters of base64); '' when the broker did not say (validateOnly). */
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
  /** false when ifNotExists skipped an existing topic. */
  created: boolean;
}

/** listTopics()'s answer for one topic. */
export interface TopicListing {
  name: string;
  topicId: string;
  partitions: number;
  replicationFactor: number;
  internal: boolean;
}

/** One partition of describeTopics(): its leader and replicas (node ids). */
export interface PartitionDescription {
  partition: number;
  /** -1 without a leader. */
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  offline: readonly number[];
}

/** describeTopics()'s answer for one topic. */
export interface TopicDescription {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: PartitionDescription[];
}

/** A broker of the cluster: node id, advertised address, rack. */
export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** describeCluster()'s answer: cluster id, controller, brokers. */
export interface ClusterDescription {
  clusterId: string | null;
  /** -1 when the broker does not say. In KRaft, a broker reports a random broker here (the quorum is separate). */
  controllerId: number;
  brokers: BrokerNode[];
}

/** Which offset to look up: the first, the next to be written, the one with the largest timestamp, or by time. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { timestamp: number | Date };

/** A partition and which offset to look up in it, for listOffsets(). */
export interface OffsetQuery {
  topic: string;
  partition: number;
  spec: OffsetSpec;
}

/** listOffsets()'s answer for one partition. */
export interface ListedOffset {
  topic: string;
  partition: number;
  /** -1n when no record has a timestamp at or after the one asked for. */
  offset: bigint;
  /** -1 for earliest/latest. */
  timestamp: number;
  leaderEpoch: number;
}

/** listOffsets()'s options. */
export interface ListOffsetsOptions extends AdminCallOptions {
  /** read_committed: 'latest' is the last stable offset (nothing past an open transaction). Default read_uncommitted. */
  isolationLevel?: 'read_uncommitted' | 'read_committed';
}

/** The kinds of resource describeConfigs() reads. */
/** The kinds of resource whose configs describeConfigs() and incrementalAlterConfigs() read and change. */
export type ConfigResourceType = 'topic' | 'broker' | 'group';

/** One configuration value of a topic or broker (describeConfigs()); sensitive values are null. */
export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isSensitive: boolean;
  /** Where the value comes from: 'default', 'topic', 'dynamic-broker', 'static-broker', ... */
  source: string;
}

/** describeConfigs()'s answer for one topic, broker or group. */
export interface ConfigResourceDescription {
  type: ConfigResourceType;
  name: string;
  configs: ConfigEntry[];
}

const SPEC_TIMESTAMPS = { earliest: -2n, latest: -1n, 'max-timestamp': -3n } as const;
// Kafka's ConfigResource.Type ids; GROUP (32) holds group configs such as share.auto.offset.reset (KIP-848, KIP-932).
const RESOURCE_TYPES: Record<ConfigResourceType, number> = { topic: 2, broker: 4, group: 32 };
const RESOURCE_TYPE_NAMES = new Map<number, ConfigResourceType>(Object.entries(RESOURCE_TYPES).map(([k, v]) => [v, k as ConfigResourceType]));

/** One change of incrementalAlterConfigs(): set a value, delete it (back to the default), or add to / remove from a
 * list value (append, subtract), as Kafka's AlterConfigOp.OpType. */
export interface AlterConfigOp {
  name: string;
  op: 'set' | 'delete' | 'append' | 'subtract';
  /** Required except for 'delete'. */
  value?: string;
}

/** The configs of one resource to change (incrementalAlterConfigs()). */
export interface AlterConfigsResource {
  type: ConfigResourceType;
  /** A topic name, a broker id ('' for the cluster-wide broker default) or a group id. */
  name: string;
  configs: readonly AlterConfigOp[];
}

const CONFIG_OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
const CONFIG_SOURCES = ['unknown', 'dynamic-topic', 'dynamic-broker', 'dynamic-default-broker', 'static-broker', 'default', 'dynamic-broker-logger', 'client-metrics', 'group'];

/** A retriable error used while waiting for metadata to catch up with a create or delete. */
function notYet(message: string): TimeoutError {
  return new TimeoutError(message, { retriable: true });
}

function checkTopicName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${what}: a topic name must be a non-empty string, got ${JSON.stringify(name)}`);
  return name;
}

function checkGroupId(id: unknown, what: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`${what}: a group id must be a non-empty string, got ${JSON.stringify(id)}`);
  return id;
}

function checkCount(value: unknown, what: string): number {
  if (value === undefined) return -1;
  if (!Number.isInteger(value) || ((value as number) < 1 && value !== -1)) {
    throw new TypeError(`${what} must be an integer >= 1 (or -1 for the broker's default), got ${String(value)}`);
  }
  return value as number;
}

function checkResource<T extends { type: ConfigResourceType; name: string }>(r: T, what: string): T {
  if (!Object.hasOwn(RESOURCE_TYPES, r?.type)) throw new TypeError(`${what}: type must be 'topic', 'broker' or 'group', got ${JSON.stringify(r?.type)}`);
  if (typeof r.name !== 'string' || (r.type !== 'broker' && r.name === '')) throw new TypeError(`${what}: name must be a string (a topic name, a broker id or a group id)`);
  return r;
}

/** Config resources by the broker that must be asked: a broker's own configs from that broker; the rest from any. */
function byTarget<T extends { type: ConfigResourceType; name: string }>(list: readonly T[]): Map<number | 'any', T[]> {
  const out = new Map<number | 'any', T[]>();
  for (const r of list) {
    const target = r.type === 'broker' && /^\d+$/.test(r.name) ? Number(r.name) : 'any';
    out.set(target, [...(out.get(target) ?? []), r]);
  }
  return out;
}

function aboutResource(type: ConfigResourceType, name: string): { topic?: string; group?: string } {
  return type === 'topic' ? { topic: name } : type === 'group' ? { group: name } : {};
}

/**
 * The minimal admin client: topics (create, delete, list, describe), the cluster (id, controller, brokers), groups
 * (list, describe, committed offsets), offsets by time and configs. Every call retries retriable errors with backoff
 * until default.api.timeout.ms (or the call's timeoutMs) and rejects with the broker's KafkaError otherwise.
 */
export class Admin {
  /** The resolved configuration (secrets redacted when printed). */
  readonly config: ResolvedAdminConfig;
  private readonly cluster: Cluster;
  private readonly retry: RetryPolicy;
  private readonly apiTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private closed = false;

  /**
   * @param config Kafka's admin property names ('bootstrap.servers', 'security.protocol', ...), or a configuration
   *   resolved by resolveConfig('admin', ...). No connection is opened before the first call.
   */
  constructor(config: AdminConfig | ResolvedAdminConfig | Readonly<Record<string, unknown>>) {
    this.config = resolveConfig('admin', config as AdminConfig);
    const c = this.config;
    this.retry = { retryBackoffMs: c['retry.backoff.ms'], retryBackoffMaxMs: c['retry.backoff.max.ms'] };
    this.apiTimeoutMs = c['default.api.timeout.ms'];
    this.requestTimeoutMs = c['request.timeout.ms'];
    this.cluster = connectCluster(this.config, { client: 'admin' });
  }

  // ---- topics -------------------------------------------------------------------------------------------------------

  /**
   * Creates topics and (by default) waits until each one's partitions have leaders in the metadata, so a producer or
   * consumer started next finds them. Rejects with the first topic's KafkaError (TOPIC_ALREADY_EXISTS,
   * INVALID_REPLICATION_FACTOR, INVALID_CONFIG, ...) after the others were created.
   */
  async createTopics(topics: readonly NewTopic[], options: CreateTopicsOptions = {}): Promise<CreatedTopic[]> {
    this.checkOpen('createTopics()');
    if (!Array.isArray(topics) || topics.length === 0) throw new TypeError('createTopics(): expected a non-empty array of { topic, numPartitions?, replicationFactor?, configs? }');
    const requested = topics.map((t: NewTopic, i) => {
      if (typeof t !== 'object' || t === null) throw new TypeError(`createTopics(): topic ${i} must be an object { topic, ... }`);
      const name = checkTopicName(t.topic, `createTopics() topic ${i}`);
      const configs = Object.entries(t.configs ?? {}).map(([k, v]) => {
        if (typeof v !== 'string') throw new TypeError(`createTopics() topic '${name}': config ${k} must be a string, got ${typeof v}`);
        return { name: k, value: v };
      });
      return {
        name,
        numPartitions: checkCount(t.numPartitions, `createTopics() topic '${name}': numPartitions`),
        replicationFactor: checkCount(t.replicationFactor, `createTopics() topic '${name}': replicationFactor`),
        assignments: [],
        configs,
      };
    });
    const deadline = this.deadline(options);
    const res = await withRetries(async () => {
      const r = await this.cluster.requestAny(ApiKey.CreateTopics, {
        topics: requested,
        timeoutMs: Math.max(1, Math.min(this.requestTimeoutMs, deadline - Date.now())),
        validateOnly: options.validateOnly === true,
      });
      // NOT_CONTROLLER (and other retriable codes) for every topic: try the whole request again.
      const retriable = r.topics.find((t) => t.errorCode !== ErrorCode.NONE && isRetriable(t.errorCode));
      if (retriable !== undefined) throw kafkaError(retriable.errorCode, `CreateTopics '${retriable.name}'`, retriable.errorMessage, { topic: retriable.name });
      return r;
    }, { ...this.retry, what: 'CreateTopics', deadline });
    const out: CreatedTopic[] = [];
    let firstError: KafkaError | undefined;
    for (const t of res.topics) {
      if (t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && options.ifNotExists === true) {
        out.push({ topic: t.name, topicId: '', numPartitions: -1, replicationFactor: -1, created: false });
        continue;
      }
      if (t.errorCode !== ErrorCode.NONE) {
        firstError ??= kafkaError(t.errorCode, `CreateTopics '${t.name}'`, t.errorMessage, { topic: t.name });
        continue;
      }
      out.push({ topic: t.name, topicId: t.topicId ?? '', numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, created: true });
    }
    const created = out.filter((t) => t.created && options.validateOnly !== true);
    if (created.length > 0 && options.waitForMetadata !== false) await this.waitForTopics(created, deadline);
    if (firstError !== undefined) throw firstError;
    // Topics skipped by ifNotExists: report what the cluster has.
    const skipped = out.filter((t) => !t.created);
    if (skipped.length > 0) {
      await this.cluster.metadata.refresh(skipped.map((t) => t.topic)).catch(() => undefined);
      for (const t of skipped) {
        const md = this.cluster.metadata.topic(t.topic);
        if (md === undefined) continue;
        t.topicId = md.topicId;
        t.numPartitions = md.partitions.length;
        t.replicationFactor = md.partitions[0]?.replicas.length ?? -1;
      }
    }
    return out;
  }

  private async waitForTopics(topics: readonly CreatedTopic[], deadline: number): Promise<void> {
    const { metadata } = this.cluster;
    const names = topics.map((t) => t.topic);
    await withRetries(async () => {
      await metadata.refresh(names);
      for (const t of topics) {
        const md = metadata.topic(t.topic);
        const partitions = md?.partitions ?? [];
        const expected = t.numPartitions > 0 ? t.numPartitions : partitions.length;
        if (md === undefined || partitions.length === 0 || partitions.length < expected || partitions.some((p) => p === undefined || p.leaderId < 0)) {
          throw notYet(`topic '${t.topic}' has no leader for every partition yet`);
        }
        if (t.topicId === '') t.topicId = md.topicId;
      }
    }, { ...this.retry, what: `waiting for the metadata of ${names.join(', ')}`, deadline });
  }

  /**
   * Deletes topics and waits until the metadata no longer lists them (so a topic of the same name can be created
   * next). Rejects with the first topic's KafkaError (UNKNOWN_TOPIC_OR_PARTITION unless ifExists, ...).
   */
  async deleteTopics(topics: readonly string[], options: DeleteTopicsOptions = {}): Promise<void> {
    this.checkOpen('deleteTopics()');
    if (!Array.isArray(topics) || topics.length === 0) throw new TypeError('deleteTopics(): expected a non-empty array of topic names');
    const names = topics.map((t: string, i) => checkTopicName(t, `deleteTopics() topic ${i}`));
    const deadline = this.deadline(options);
    const res = await withRetries(async () => {
      const timeoutMs = Math.max(1, Math.min(this.requestTimeoutMs, deadline - Date.now()));
      const r = await this.cluster.requestAny(ApiKey.DeleteTopics, (v: number) => v >= 6
        ? { topics: names.map((name) => ({ name })), timeoutMs }
        : { topicNames: names, timeoutMs });
      const retriable = r.responses.find((t) => t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && isRetriable(t.errorCode));
      if (retriable !== undefined) throw kafkaError(retriable.errorCode, `DeleteTopics '${retriable.name}'`, retriable.errorMessage, { topic: retriable.name ?? undefined });
      return r;
    }, { ...this.retry, what: 'DeleteTopics', deadline });
    let firstError: KafkaError | undefined;
    const deleted: string[] = [];
    for (const t of res.responses) {
      // Asked by name, answered by name: v6+ leaves the name null only for a topic deleted by id.
      if (t.name === null) continue;
      if (t.errorCode === ErrorCode.NONE) deleted.push(t.name);
      else if (!(t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && options.ifExists === true)) {
        firstError ??= kafkaError(t.errorCode, `DeleteTopics '${t.name}'`, t.errorMessage, { topic: t.name ?? undefined });
      }
    }
    if (deleted.length > 0) {
      const { metadata } = this.cluster;
      await withRetries(async () => {
        await metadata.refresh(deleted);
        const still = deleted.filter((t) => metadata.topic(t) !== undefined || metadata.topicError(t) === ErrorCode.LEADER_NOT_AVAILABLE);
        if (still.length > 0) throw notYet(`topic${still.length === 1 ? '' : 's'} ${still.join(', ')} still in the metadata`);
      }, { ...this.retry, what: `waiting for ${deleted.join(', ')} to leave the metadata`, deadline });
      metadata.untrack(deleted);
    }
    if (firstError !== undefined) throw firstError;
  }

  /** Every topic in the cluster (internal ones such as __consumer_offsets only with includeInternal). */
  async listTopics(options: AdminCallOptions & { includeInternal?: boolean } = {}): Promise<TopicListing[]> {
    this.checkOpen('listTopics()');
    const { metadata } = this.cluster;
    await withRetries(() => metadata.refresh('all'), { ...this.retry, what: 'Metadata (all topics)', deadline: this.deadline(options) });
    const out: TopicListing[] = [];
    for (const name of metadata.topicNames()) {
      const t = metadata.topic(name)!;
      if (t.isInternal && options.includeInternal !== true) continue;
      out.push({ name, topicId: t.topicId, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.isInternal });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Partitions, leaders, replicas and ISR of topics. Rejects with UNKNOWN_TOPIC_OR_PARTITION for a missing topic. */
  async describeTopics(topics: readonly string[], options: AdminCallOptions = {}): Promise<TopicDescription[]> {
    this.checkOpen('describeTopics()');
    if (!Array.isArray(topics) || topics.length === 0) throw new TypeError('describeTopics(): expected a non-empty array of topic names');
    const names = topics.map((t: string, i) => checkTopicName(t, `describeTopics() topic ${i}`));
    const { metadata } = this.cluster;
    await withRetries(async () => {
      await metadata.refresh(names);
      for (const n of names) {
        const code = metadata.topicError(n);
        // A missing topic is an answer, not a reason to wait.
        if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw kafkaError(code, `describeTopics() '${n}'`, null, { retriable: false });
        if (code !== undefined) throw kafkaError(code, `describeTopics() '${n}'`, null, { topic: n });
      }
    }, { ...this.retry, what: `Metadata for ${names.join(', ')}`, deadline: this.deadline(options) });
    return names.map((n) => {
      const t = metadata.topic(n)!;
      return {
        name: n,
        topicId: t.topicId,
        internal: t.isInternal,
        partitions: t.partitions.filter((p) => p !== undefined).map((p) => ({
          partition: p.partition, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offline: p.offline,
        })),
      };
    });
  }

  // ---- cluster ------------------------------------------------------------------------------------------------------

  /** Cluster id, controller and brokers: DescribeCluster (KIP-700) where the broker has it, else Metadata. */
  async describeCluster(options: AdminCallOptions = {}): Promise<ClusterDescription> {
    this.checkOpen('describeCluster()');
    return withRetries(async () => {
      const node = await this.cluster.anyNode();
      if (this.cluster.supportsApi(node, ApiKey.DescribeCluster)) {
        const r = await this.cluster.request(node, ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
        if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, 'DescribeCluster', r.errorMessage);
        return {
          clusterId: r.clusterId ?? null,
          controllerId: r.controllerId,
          brokers: r.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack ?? null })).sort((a, b) => a.nodeId - b.nodeId),
        };
      }
      const { metadata } = this.cluster;
      await metadata.refresh([]);
      return { clusterId: metadata.clusterId, controllerId: metadata.controllerId, brokers: [...metadata.brokers].map((b) => ({ ...b })).sort((a, b) => a.nodeId - b.nodeId) };
    }, { ...this.retry, what: 'DescribeCluster', deadline: this.deadline(options) });
  }

  // ---- groups -------------------------------------------------------------------------------------------------------

  /**
   * Every group in the cluster (ListGroups to each broker): id, protocol type, state and type (classic, consumer,
   * share...); `types` and `states` keep only the groups of those types and states (e.g. `{ types: ['share'] }`).
   */
  async listGroups(options: AdminCallOptions & GroupFilters = {}): Promise<GroupListing[]> {
    this.checkOpen('listGroups()');
    for (const k of ['types', 'states'] as const) {
      const v = options[k];
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) throw new TypeError(`listGroups(): ${k} must be an array of strings`);
    }
    return listGroups(this.groupContext(), this.deadline(options), { types: options.types, states: options.states });
  }

  /**
   * Groups as their coordinators describe them: state, assignor, members and what each owns. KIP-848 groups and
   * classic groups alike; a group that does not exist has state 'Dead' and no members.
   */
  async describeGroups(groupIds: readonly string[], options: AdminCallOptions = {}): Promise<GroupDescription[]> {
    this.checkOpen('describeGroups()');
    if (!Array.isArray(groupIds) || groupIds.length === 0) throw new TypeError('describeGroups(): expected a non-empty array of group ids');
    const ids = groupIds.map((g: string, i) => checkGroupId(g, `describeGroups() group ${i}`));
    const deadline = this.deadline(options);
    return Promise.all(ids.map((id) => describeGroup(this.groupContext(), id, deadline)));
  }

  /**
   * Share groups (KIP-932) as their coordinators describe them: state, epochs, assignor, members with what each
   * subscribed to and was assigned. A group that does not exist has state 'Dead' and no members; a group of another
   * type is refused with GROUP_ID_NOT_FOUND.
   */
  async describeShareGroups(groupIds: readonly string[], options: AdminCallOptions = {}): Promise<ShareGroupDescription[]> {
    this.checkOpen('describeShareGroups()');
    if (!Array.isArray(groupIds) || groupIds.length === 0) throw new TypeError('describeShareGroups(): expected a non-empty array of group ids');
    const ids = groupIds.map((g: string, i) => checkGroupId(g, `describeShareGroups() group ${i}`));
    const deadline = this.deadline(options);
    return Promise.all(ids.map((id) => describeShareGroup(this.groupContext(), id, deadline)));
  }

  /**
   * A share group's start offset and lag (KIP-1226) per partition it has state for (DescribeShareGroupOffsets at the
   * group's coordinator). Partitions the group never read are left out.
   */
  async listShareGroupOffsets(groupId: string, options: AdminCallOptions = {}): Promise<ShareGroupOffset[]> {
    this.checkOpen('listShareGroupOffsets()');
    return listShareGroupOffsets(this.groupContext(), checkGroupId(groupId, 'listShareGroupOffsets()'), this.deadline(options));
  }

  /**
   * Sets a share group's start offsets: its members next read each partition from there. The group must be empty
   * (no members), or the coordinator refuses with NON_EMPTY_GROUP.
   */
  async alterShareGroupOffsets(groupId: string, offsets: readonly ShareGroupOffsetSpec[], options: AdminCallOptions = {}): Promise<void> {
    this.checkOpen('alterShareGroupOffsets()');
    const id = checkGroupId(groupId, 'alterShareGroupOffsets()');
    if (!Array.isArray(offsets) || offsets.length === 0) throw new TypeError('alterShareGroupOffsets(): expected a non-empty array of { topic, partition, offset }');
    for (const [i, o] of offsets.entries()) {
      checkTopicName(o?.topic, `alterShareGroupOffsets() offset ${i}`);
      if (!Number.isInteger(o.partition) || o.partition < 0) throw new TypeError(`alterShareGroupOffsets() offset ${i}: partition must be an integer >= 0, got ${String(o.partition)}`);
      const ok = typeof o.offset === 'bigint' ? o.offset >= 0n : Number.isSafeInteger(o.offset) && o.offset >= 0;
      if (!ok) throw new TypeError(`alterShareGroupOffsets() offset ${i}: offset must be an integer >= 0, got ${String(o.offset)}`);
    }
    return alterShareGroupOffsets(this.groupContext(), id, offsets, this.deadline(options));
  }

  /**
   * Deletes a share group's state for whole topics: the next member reading one starts again from the group's
   * share.auto.offset.reset. The group must be empty (NON_EMPTY_GROUP otherwise).
   */
  async deleteShareGroupOffsets(groupId: string, topics: readonly string[], options: AdminCallOptions = {}): Promise<void> {
    this.checkOpen('deleteShareGroupOffsets()');
    const id = checkGroupId(groupId, 'deleteShareGroupOffsets()');
    if (!Array.isArray(topics) || topics.length === 0) throw new TypeError('deleteShareGroupOffsets(): expected a non-empty array of topic names');
    const names = topics.map((t: string, i) => checkTopicName(t, `deleteShareGroupOffsets() topic ${i}`));
    return deleteShareGroupOffsets(this.groupContext(), id, names, this.deadline(options));
  }

  /** The group's committed offsets, partitions without one left out (OffsetFetch at the group's coordinator). */
  async listGroupOffsets(groupId: string, options: AdminCallOptions = {}): Promise<GroupOffset[]> {
    this.checkOpen('listGroupOffsets()');
    return listGroupOffsets(this.groupContext(), checkGroupId(groupId, 'listGroupOffsets()'), this.deadline(options));
  }

  /**
   * Sets the group's committed offsets, as Kafka's alterConsumerGroupOffsets: an OffsetCommit without a member, which
   * the coordinator accepts only while the group has no members (state Empty, or a group that does not exist yet).
   * Rejects with the coordinator's KafkaError (UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION while members are present).
   */
  async alterGroupOffsets(groupId: string, offsets: readonly GroupOffsetToWrite[], options: AdminCallOptions = {}): Promise<void> {
    this.checkOpen('alterGroupOffsets()');
    const id = checkGroupId(groupId, 'alterGroupOffsets()');
    if (!Array.isArray(offsets)) throw new TypeError('alterGroupOffsets(): expected an array of { topic, partition, offset }');
    const checked = offsets.map((o: GroupOffsetToWrite, i) => {
      const topic = checkTopicName(o?.topic, `alterGroupOffsets() offset ${i}`);
      if (!Number.isInteger(o.partition) || o.partition < 0) throw new TypeError(`alterGroupOffsets() offset ${i}: partition must be an integer >= 0, got ${String(o.partition)}`);
      if (typeof o.offset !== 'bigint' || o.offset < 0n) throw new TypeError(`alterGroupOffsets() offset ${i}: offset must be a bigint >= 0n, got ${String(o.offset)}`);
      return { topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null };
    });
    await alterGroupOffsets(this.groupContext(), id, checked, this.deadline(options));
  }

  // ---- offsets ------------------------------------------------------------------------------------------------------

  /**
   * Offsets of partitions by spec (ListOffsets to each leader): 'earliest' (log start), 'latest' (log end, or the
   * last stable offset with read_committed), 'max-timestamp', or the first offset whose timestamp is at or after
   * { timestamp }. Leaders that moved are looked up again.
   */
  async listOffsets(queries: readonly OffsetQuery[], options: ListOffsetsOptions = {}): Promise<ListedOffset[]> {
    this.checkOpen('listOffsets()');
    if (!Array.isArray(queries)) throw new TypeError('listOffsets(): expected an array of { topic, partition, spec }');
    const wanted = queries.map((q: OffsetQuery, i) => {
      const topic = checkTopicName(q?.topic, `listOffsets() query ${i}`);
      if (!Number.isInteger(q.partition) || q.partition < 0) throw new TypeError(`listOffsets() query ${i}: partition must be an integer >= 0, got ${String(q.partition)}`);
      let timestamp: bigint;
      if (typeof q.spec === 'string' && q.spec in SPEC_TIMESTAMPS) timestamp = SPEC_TIMESTAMPS[q.spec];
      else if (typeof q.spec === 'object' && q.spec !== null && 'timestamp' in q.spec) {
        const t = q.spec.timestamp instanceof Date ? q.spec.timestamp.getTime() : q.spec.timestamp;
        if (!Number.isInteger(t) || t < 0) throw new TypeError(`listOffsets() query ${i}: timestamp must be milliseconds since the epoch (>= 0) or a Date`);
        timestamp = BigInt(t);
      } else {
        throw new TypeError(`listOffsets() query ${i}: spec must be 'earliest', 'latest', 'max-timestamp' or { timestamp }, got ${JSON.stringify(q.spec)}`);
      }
      return { topic, partition: q.partition, timestamp };
    });
    const isolationLevel = options.isolationLevel === 'read_committed' ? 1 : 0;
    // Answers by query index: one partition may be asked about several times (earliest and latest), but a broker
    // refuses a request naming a partition twice (INVALID_REQUEST), so such queries go out in successive rounds.
    const results: Array<ListedOffset | undefined> = wanted.map(() => undefined);
    await withRetries(async () => {
      for (;;) {
        const seen = new Set<string>();
        const round: number[] = [];
        for (let i = 0; i < wanted.length; i++) {
          const k = `${wanted[i].topic}\u0000${wanted[i].partition}`;
          if (results[i] === undefined && !seen.has(k)) {
            seen.add(k);
            round.push(i);
          }
        }
        if (round.length === 0) return;
        await this.listOffsetsRound(wanted, round, results, isolationLevel);
      }
    }, { ...this.retry, what: 'ListOffsets', deadline: this.deadline(options) });
    return results as ListedOffset[];
  }

  /** One round of ListOffsets (each partition at most once), to every leader concerned. Fills `results`. */
  private async listOffsetsRound(
    wanted: ReadonlyArray<{ topic: string; partition: number; timestamp: bigint }>,
    round: readonly number[],
    results: Array<ListedOffset | undefined>,
    isolationLevel: number,
  ): Promise<void> {
    const { metadata } = this.cluster;
    const unknown = [...new Set(round.filter((i) => metadata.leaderFor(wanted[i].topic, wanted[i].partition) === undefined).map((i) => wanted[i].topic))];
    if (unknown.length > 0) {
      await metadata.refresh(unknown);
      for (const t of unknown) {
        const code = metadata.topicError(t);
        // A topic that does not exist is an answer; a leader being elected is worth waiting for.
        if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw kafkaError(code, `listOffsets() topic '${t}'`, null, { retriable: false });
        if (code !== undefined) throw kafkaError(code, `listOffsets() topic '${t}'`, null, { topic: t });
      }
    }
    const byLeader = new Map<number, number[]>();
    for (const i of round) {
      const w = wanted[i];
      const leader = metadata.leaderFor(w.topic, w.partition);
      if (leader === undefined) {
        const count = metadata.partitionCount(w.topic);
        if (count !== undefined && w.partition >= count) {
          throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `listOffsets() ${w.topic}-${w.partition}: the topic has ${count} partitions`, null, { retriable: false });
        }
        throw notYet(`no leader known for ${w.topic}-${w.partition}`);
      }
      byLeader.set(leader.leaderId, [...(byLeader.get(leader.leaderId) ?? []), i]);
    }
    let retry: Error | undefined;
    await Promise.all([...byLeader].map(async ([leaderId, indices]) => {
      const byTopic = new Map<string, number[]>();
      for (const i of indices) byTopic.set(wanted[i].topic, [...(byTopic.get(wanted[i].topic) ?? []), i]);
      const index = new Map<string, number>(indices.map((i) => [`${wanted[i].topic}\u0000${wanted[i].partition}`, i]));
      // 'max-timestamp' (-3) needs ListOffsets v7 (KIP-734).
      const minVersion = indices.some((i) => wanted[i].timestamp === -3n) ? 7 : undefined;
      const r = await this.cluster.request(leaderId, ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel,
        topics: [...byTopic].map(([name, is]) => ({
          name, partitions: is.map((i) => ({ partitionIndex: wanted[i].partition, currentLeaderEpoch: -1, timestamp: wanted[i].timestamp })),
        })),
        timeoutMs: this.requestTimeoutMs,
      }, { minVersion });
      for (const t of r.topics) {
        for (const p of t.partitions) {
          const i = index.get(`${t.name}\u0000${p.partitionIndex}`);
          if (i === undefined) continue;
          if (p.errorCode !== ErrorCode.NONE) {
            const err = kafkaError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`, null, { topic: t.name });
            if (!err.retriable) throw err;
            metadata.handleError(p.errorCode, t.name);
            retry = err;
            continue;
          }
          results[i] = { topic: t.name, partition: p.partitionIndex, offset: p.offset, timestamp: Number(p.timestamp), leaderEpoch: p.leaderEpoch };
        }
      }
    }));
    if (retry !== undefined) {
      await metadata.refresh([...new Set(round.map((i) => wanted[i].topic))]).catch(() => undefined);
      throw retry;
    }
  }

  // ---- configs ------------------------------------------------------------------------------------------------------

  /** Configuration of topics, brokers and groups (DescribeConfigs), every entry with its value's source. */
  async describeConfigs(resources: ReadonlyArray<{ type: ConfigResourceType; name: string }>, options: AdminCallOptions = {}): Promise<ConfigResourceDescription[]> {
    this.checkOpen('describeConfigs()');
    if (!Array.isArray(resources) || resources.length === 0) throw new TypeError('describeConfigs(): expected a non-empty array of { type: "topic" | "broker" | "group", name }');
    const list = resources.map((r: { type: ConfigResourceType; name: string }, i) => checkResource(r, `describeConfigs() resource ${i}`));
    return withRetries(async () => {
      const out: ConfigResourceDescription[] = [];
      const answers = new Map<string, ConfigResourceDescription>();
      for (const [target, rs] of byTarget(list)) {
        const node = await this.configNode(target);
        const res = await this.cluster.request(node, ApiKey.DescribeConfigs, {
          resources: rs.map((r) => ({ resourceType: RESOURCE_TYPES[r.type], resourceName: r.name, configurationKeys: null })),
          includeSynonyms: false,
          includeDocumentation: false,
        });
        for (const r of res.results) {
          const type = RESOURCE_TYPE_NAMES.get(r.resourceType) ?? 'broker';
          if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `DescribeConfigs ${type} '${r.resourceName}'`, r.errorMessage, aboutResource(type, r.resourceName));
          answers.set(`${type}\u0000${r.resourceName}`, {
            type,
            name: r.resourceName,
            configs: r.configs.map((e) => ({
              name: e.name, value: e.value, readOnly: e.readOnly, isSensitive: e.isSensitive, source: CONFIG_SOURCES[e.configSource] ?? 'unknown',
            })),
          });
        }
      }
      for (const r of list) {
        const a = answers.get(`${r.type}\u0000${r.name}`);
        if (a === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeConfigs ${r.type} '${r.name}': no result in the response`, null, { retriable: false });
        out.push(a);
      }
      return out;
    }, { ...this.retry, what: 'DescribeConfigs', deadline: this.deadline(options) });
  }

  /**
   * Changes configs of topics, brokers and groups (IncrementalAlterConfigs, KIP-339): each op sets, deletes, appends
   * to or subtracts from one config, leaving the others as they are. For example a share group's start:
   * `{ type: 'group', name: 'G', configs: [{ name: 'share.auto.offset.reset', op: 'set', value: 'earliest' }] }`.
   * Rejects with the first resource's KafkaError (INVALID_CONFIG, ...) after the others were changed.
   */
  async incrementalAlterConfigs(resources: readonly AlterConfigsResource[], options: AdminCallOptions & { validateOnly?: boolean } = {}): Promise<void> {
    this.checkOpen('incrementalAlterConfigs()');
    if (!Array.isArray(resources) || resources.length === 0) throw new TypeError('incrementalAlterConfigs(): expected a non-empty array of { type, name, configs }');
    const list = resources.map((r: AlterConfigsResource, i) => {
      const what = `incrementalAlterConfigs() resource ${i}`;
      checkResource(r, what);
      if (!Array.isArray(r.configs) || r.configs.length === 0) throw new TypeError(`${what}: configs must be a non-empty array of { name, op, value }`);
      for (const c of r.configs) {
        if (typeof c?.name !== 'string' || c.name === '') throw new TypeError(`${what}: a config name must be a non-empty string`);
        if (!Object.hasOwn(CONFIG_OPS, c.op)) throw new TypeError(`${what} config '${c.name}': op must be 'set', 'delete', 'append' or 'subtract', got ${JSON.stringify(c.op)}`);
        if (c.op !== 'delete' && typeof c.value !== 'string') throw new TypeError(`${what} config '${c.name}': op '${c.op}' needs a string value`);
      }
      return r;
    });
    const validateOnly = options.validateOnly === true;
    return withRetries(async () => {
      let failure: KafkaError | undefined;
      for (const [target, rs] of byTarget(list)) {
        const node = await this.configNode(target);
        const res = await this.cluster.request(node, ApiKey.IncrementalAlterConfigs, {
          resources: rs.map((r) => ({
            resourceType: RESOURCE_TYPES[r.type],
            resourceName: r.name,
            configs: r.configs.map((c) => ({ name: c.name, configOperation: CONFIG_OPS[c.op], value: c.op === 'delete' ? null : c.value ?? null })),
          })),
          validateOnly,
        });
        for (const r of res.responses) {
          if (r.errorCode === ErrorCode.NONE) continue;
          const type = RESOURCE_TYPE_NAMES.get(r.resourceType) ?? 'broker';
          const err = kafkaError(r.errorCode, `IncrementalAlterConfigs ${type} '${r.resourceName}'`, r.errorMessage, aboutResource(type, r.resourceName));
          // A retriable error retries the whole call (the ops are idempotent); the first other one is reported.
          if (isRetriable(r.errorCode)) throw err;
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    }, { ...this.retry, what: 'IncrementalAlterConfigs', deadline: this.deadline(options) });
  }

  /** The node to send a config request about `target` to: that broker for its own configs, else any. */
  private async configNode(target: number | 'any'): Promise<number> {
    if (target === 'any') return this.cluster.anyNode();
    if (!this.cluster.hasBroker(target)) await this.cluster.metadata.refresh([]);
    return target;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------------

  /** Closes every connection. Later calls reject with StateError; close() again is a no-op. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cluster.close();
  }

  private groupContext(): GroupContext {
    return { cluster: this.cluster, retry: this.retry };
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new StateError(`${what} called after close()`);
  }

  private deadline(options: AdminCallOptions): number {
    const t = options.timeoutMs;
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0)) {
      throw new TypeError(`timeoutMs must be a number >= 0, got ${String(t)}`);
    }
    return Date.now() + (t ?? this.apiTimeoutMs);
  }

  [inspect.custom](): string {
    return `Admin { ${this.closed ? 'closed' : 'open'} }`;
  }
}

/** Whether an error is the broker's TOPIC_ALREADY_EXISTS (for callers that create idempotently by hand). */
export function isTopicAlreadyExists(err: unknown): boolean {
  return isGregorError(err) && err.code === 'ERR_KAFKA' && (err as KafkaError).errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
}
