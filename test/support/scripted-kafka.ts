// What the scripted broker answers when a test does not say otherwise: a small model of a Kafka cluster (topics with
// ids, partition leaders and epochs, logs, the group coordinator, committed offsets, one classic group and one
// KIP-848 group) and one default handler per API, each doing what a Kafka 4.x broker does for the cases the
// consumer meets. Tests change the model (move a leader, truncate a log, move the coordinator) or override a
// handler for one answer; the defaults keep everything else realistic, so a scenario scripts only what it is about.

import { createHash } from 'node:crypto';
import { ApiKey, ErrorCode, implementedApis, uuidToKafkaString } from '../../src/protocol/index.js';
import type { RequestBodies, ResponseBodies } from '../../src/protocol/index.js';
import { FetchSessionCache } from './scripted-fetch-session.js';
import { PartitionLog } from './scripted-log.js';

type Leaf = Buffer | Uint8Array | bigint | string | number | boolean | null | undefined;
/** A response body where every field may be left out (the codec writes its default). */
export type DeepPartial<T> = T extends Leaf ? T : T extends readonly (infer E)[] ? DeepPartial<E>[] : { [P in keyof T]?: DeepPartial<T[P]> };

/** API keys with both a request and a response definition in src/protocol. */
export type Api = keyof RequestBodies & keyof ResponseBodies;

/** One request as the scripted broker received it. */
export interface Received<K extends Api = Api> {
  /** Position in the cluster's request log. */
  readonly seq: number;
  /** Date.now() on arrival: for reading a failure's log, never for assertions (tests do not assert timing). */
  readonly at: number;
  /** The scripted node that received it. */
  readonly nodeId: number;
  /** Connection number (cluster-wide, in accept order): gregor opens one per traffic lane. */
  readonly connection: number;
  readonly apiKey: K;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly body: RequestBodies[K];
}

export type Reply<K extends Api> = DeepPartial<ResponseBodies[K]>;

export interface TopicModel {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: PartitionLog[];
}

/** A stable, non-zero topic id per name, in Kafka's printed form. */
export function topicIdFor(name: string): string {
  return uuidToKafkaString(createHash('md5').update(`scripted:${name}`).digest());
}

const GROUP_APIS = new Set<number>([
  ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.SyncGroup,
  ApiKey.ConsumerGroupHeartbeat,
]);

const TELEMETRY_APIS = new Set<number>([ApiKey.GetTelemetrySubscriptions, ApiKey.PushTelemetry]);

/** The classic group (JoinGroup/SyncGroup/Heartbeat): the consumer under test is always its leader. */
export class ClassicGroupModel {
  generation = 0;
  protocolName: string | null = null;
  readonly members = new Set<string>();
  readonly assignments = new Map<string, Buffer>();
  /** Further members the next JoinGroup answers list (with the leader's own subscription), so assignors split. */
  otherMembers: string[] = [];
  private nextId = 1;

  newMemberId(clientId: string | null): string {
    return `${clientId ?? 'member'}-${this.nextId++}`;
  }
}

/** The KIP-848 group (ConsumerGroupHeartbeat): one member, the consumer under test. */
export class ConsumerGroupModel {
  groupEpoch = 0;
  memberId: string | null = null;
  memberEpoch = 0;
  heartbeatIntervalMs = 100;
  /** The target assignment; null: every partition of the subscribed topics. */
  target: { topic: string; partitions: number[] }[] | null = null;
  /** Set by reassign(): the next heartbeat bumps the epoch and carries the new target. */
  pending = false;
  /** Subscribed topic names from the last full heartbeat. */
  subscribed: string[] = [];

  /** The broker computes a new assignment: sent, with a new member epoch, in the next heartbeat's answer. */
  reassign(target: { topic: string; partitions: number[] }[]): void {
    this.target = target;
    this.pending = true;
  }
}

export class ClusterModel {
  readonly topics = new Map<string, TopicModel>();
  /** Node id the group coordinator lives on (FindCoordinator answers it; other nodes say NOT_COORDINATOR). */
  coordinator: number;
  /** Committed offsets by group, then by `${topic}:${partition}`. */
  readonly committed = new Map<string, Map<string, { offset: bigint; leaderEpoch: number; metadata: string | null }>>();
  readonly classic = new ClassicGroupModel();
  readonly consumerGroup = new ConsumerGroupModel();
  /** KIP-227 fetch sessions: off (every Fetch answered sessionless) unless a test sets `fetchSessions.enabled`. */
  readonly fetchSessions = new FetchSessionCache();
  /**
   * KIP-951 (Kafka 3.7+): a Fetch refused with NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH names the current leader
   * and its epoch, and the response carries its endpoint. Off by default: the model then answers as older brokers do.
   */
  leaderHints = false;

  constructor(
    readonly nodeIds: readonly number[],
    /** Port of each node's listener. */
    readonly portOf: (nodeId: number) => number,
    /** Wakes fetches held for data (long polls) after an append. */
    private readonly onAppend: () => void,
  ) {
    this.coordinator = nodeIds[0];
  }

  addTopic(name: string, partitions: number, options: { leader?: number | ((p: number) => number); leaderEpoch?: number } = {}): TopicModel {
    const leaderOf = typeof options.leader === 'function' ? options.leader : () => (options.leader as number | undefined) ?? this.nodeIds[0];
    const topic: TopicModel = {
      name,
      topicId: topicIdFor(name),
      partitions: Array.from({ length: partitions }, (_, p) => new PartitionLog(leaderOf(p), options.leaderEpoch ?? 0, [...this.nodeIds])),
    };
    this.topics.set(name, topic);
    return topic;
  }

  partition(topic: string, partition: number): PartitionLog {
    const p = this.topics.get(topic)?.partitions[partition];
    if (p === undefined) throw new Error(`scripted cluster: no partition ${topic}[${partition}]`);
    return p;
  }

  /** Appends `count` records (values `v<offset>`) and wakes held fetches; returns the batch's base offset. */
  append(topic: string, partition: number, count: number, options: Parameters<PartitionLog['append']>[1] = {}): bigint {
    const base = this.partition(topic, partition).appendValues(count, 'v', options);
    this.onAppend();
    return base;
  }

  /** Wakes fetches held for data: call after changing a log or a leader directly (append() does it itself). */
  changed(): void {
    this.onAppend();
  }

  committedOffset(group: string, topic: string, partition: number): bigint | undefined {
    return this.committed.get(group)?.get(`${topic}:${partition}`)?.offset;
  }

  private topicById(id: string): TopicModel | undefined {
    for (const t of this.topics.values()) if (t.topicId === id) return t;
    return undefined;
  }

  /** Names a request's topic by name or id (v13+ Fetch, v10 OffsetCommit/OffsetFetch carry ids only). */
  private resolveTopic(t: { name?: string; topic?: string; topicId?: string | Uint8Array }): TopicModel | undefined {
    const name = t.name ?? t.topic;
    if (name !== undefined && name !== '') return this.topics.get(name);
    return typeof t.topicId === 'string' ? this.topicById(t.topicId) : undefined;
  }

  /** The default answer to a request, as a Kafka broker would give it. Fetch may wait for data (long poll). */
  reply(req: Received, waitForData: (ms: number) => Promise<void>): Reply<Api> | Promise<Reply<Api>> {
    if (GROUP_APIS.has(req.apiKey) && req.nodeId !== this.coordinator) return this.notCoordinator(req);
    switch (req.apiKey) {
      case ApiKey.ApiVersions: return this.apiVersions();
      case ApiKey.Metadata: return this.metadata(req as Received<typeof ApiKey.Metadata>);
      case ApiKey.FindCoordinator: return this.findCoordinator(req as Received<typeof ApiKey.FindCoordinator>);
      case ApiKey.ListOffsets: return this.listOffsets(req as Received<typeof ApiKey.ListOffsets>);
      case ApiKey.OffsetForLeaderEpoch: return this.offsetForLeaderEpoch(req as Received<typeof ApiKey.OffsetForLeaderEpoch>);
      case ApiKey.Fetch: return this.fetch(req as Received<typeof ApiKey.Fetch>, waitForData);
      case ApiKey.OffsetFetch: return this.offsetFetch(req as Received<typeof ApiKey.OffsetFetch>);
      case ApiKey.OffsetCommit: return this.offsetCommit(req as Received<typeof ApiKey.OffsetCommit>);
      case ApiKey.JoinGroup: return this.joinGroup(req as Received<typeof ApiKey.JoinGroup>);
      case ApiKey.SyncGroup: return this.syncGroup(req as Received<typeof ApiKey.SyncGroup>);
      case ApiKey.Heartbeat: return this.heartbeat(req as Received<typeof ApiKey.Heartbeat>);
      case ApiKey.LeaveGroup: return this.leaveGroup(req as Received<typeof ApiKey.LeaveGroup>);
      case ApiKey.ConsumerGroupHeartbeat: return this.consumerGroupHeartbeat(req as Received<typeof ApiKey.ConsumerGroupHeartbeat>);
      default: throw new Error(`scripted cluster: no default answer for API key ${req.apiKey}`);
    }
  }

  private notCoordinator(req: Received): Reply<Api> {
    const code = ErrorCode.NOT_COORDINATOR;
    switch (req.apiKey) {
      case ApiKey.OffsetCommit: {
        const body = (req as Received<typeof ApiKey.OffsetCommit>).body;
        return { topics: (body.topics ?? []).map((t) => ({ ...nameOrId(t), partitions: (t.partitions ?? []).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
      }
      case ApiKey.OffsetFetch: {
        const body = (req as Received<typeof ApiKey.OffsetFetch>).body;
        return req.apiVersion >= 8 ? { groups: (body.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode: code })) } : { errorCode: code };
      }
      default:
        return { errorCode: code };
    }
  }

  private apiVersions(): Reply<typeof ApiKey.ApiVersions> {
    // As a Kafka broker without a client telemetry receiver: GetTelemetrySubscriptions and PushTelemetry are not
    // listed, so clients send no KIP-714 requests (a test wanting them overrides ApiVersions).
    const apis = [...implementedApis()].filter(([apiKey]) => !TELEMETRY_APIS.has(apiKey));
    return { errorCode: 0, apiKeys: apis.map(([apiKey, v]) => ({ apiKey, minVersion: v.min, maxVersion: v.max })) };
  }

  private metadata(req: Received<typeof ApiKey.Metadata>): Reply<typeof ApiKey.Metadata> {
    const wanted = req.body.topics === null || req.body.topics === undefined || (req.apiVersion === 0 && req.body.topics.length === 0)
      ? [...this.topics.keys()]
      : req.body.topics.map((t) => t.name ?? '');
    return {
      brokers: this.nodeIds.map((nodeId) => ({ nodeId, host: '127.0.0.1', port: this.portOf(nodeId), rack: null })),
      clusterId: 'scripted-cluster',
      controllerId: this.nodeIds[0],
      topics: wanted.map((name) => {
        const t = this.topics.get(name);
        if (t === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
        return {
          errorCode: 0,
          name,
          topicId: t.topicId,
          isInternal: false,
          partitions: t.partitions.map((p, partitionIndex) => ({
            errorCode: 0, partitionIndex, leaderId: p.leader, leaderEpoch: p.leaderEpoch, replicaNodes: p.replicas, isrNodes: p.replicas, offlineReplicas: [],
          })),
        };
      }),
    };
  }

  private findCoordinator(req: Received<typeof ApiKey.FindCoordinator>): Reply<typeof ApiKey.FindCoordinator> {
    const nodeId = this.coordinator;
    const where = { nodeId, host: '127.0.0.1', port: this.portOf(nodeId) };
    if (req.apiVersion >= 4) return { coordinators: (req.body.coordinatorKeys ?? []).map((key) => ({ key, errorCode: 0, ...where })) };
    return { errorCode: 0, ...where };
  }

  /** Kafka's leader checks for a partition request: not the leader, or a stale or future leader epoch (KIP-320). */
  private leaderError(req: Received, topic: TopicModel | undefined, partition: number, currentLeaderEpoch: number | undefined): number {
    const p = topic?.partitions[partition];
    if (p === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (p.leader !== req.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const epoch = currentLeaderEpoch ?? -1;
    if (epoch >= 0 && epoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (epoch > p.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    return 0;
  }

  private listOffsets(req: Received<typeof ApiKey.ListOffsets>): Reply<typeof ApiKey.ListOffsets> {
    return {
      topics: (req.body.topics ?? []).map((t) => ({
        name: t.name,
        partitions: (t.partitions ?? []).map((p) => {
          const topic = this.topics.get(t.name ?? '');
          const partitionIndex = p.partitionIndex ?? 0;
          const errorCode = this.leaderError(req, topic, partitionIndex, p.currentLeaderEpoch);
          if (errorCode !== 0) return { partitionIndex, errorCode };
          const log = topic!.partitions[partitionIndex];
          const ts = BigInt(p.timestamp ?? -1);
          const offset = ts === -2n ? log.logStartOffset : req.body.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
          return { partitionIndex, errorCode: 0, timestamp: -1n, offset, leaderEpoch: ts === -2n ? log.epochAt(offset) : log.leaderEpoch };
        }),
      })),
    };
  }

  private offsetForLeaderEpoch(req: Received<typeof ApiKey.OffsetForLeaderEpoch>): Reply<typeof ApiKey.OffsetForLeaderEpoch> {
    return {
      topics: (req.body.topics ?? []).map((t) => ({
        topic: t.topic,
        partitions: (t.partitions ?? []).map((p) => {
          const partition = p.partition ?? 0;
          const topic = this.topics.get(t.topic ?? '');
          const errorCode = this.leaderError(req, topic, partition, p.currentLeaderEpoch);
          if (errorCode !== 0) return { partition, errorCode, leaderEpoch: -1, endOffset: -1n };
          const end = topic!.partitions[partition].endOffsetFor(p.leaderEpoch ?? -1);
          return { partition, errorCode: 0, leaderEpoch: end.epoch, endOffset: end.endOffset };
        }),
      })),
    };
  }

  private async fetch(req: Received<typeof ApiKey.Fetch>, waitForData: (ms: number) => Promise<void>): Promise<Reply<typeof ApiKey.Fetch>> {
    const plan = this.fetchSessions.open(req.body);
    if ('error' in plan) return { errorCode: plan.error, sessionId: 0, responses: [] };
    let res = this.fetchNow(req, plan.topics);
    if (res.bytes === 0 && !res.errors && (req.body.maxWaitMs ?? 0) > 0) {
      await waitForData(req.body.maxWaitMs ?? 0);
      res = this.fetchNow(req, plan.topics);
    }
    return { errorCode: 0, sessionId: plan.sessionId, responses: this.fetchSessions.answer(plan, res.responses), nodeEndpoints: res.nodeEndpoints };
  }

  private fetchNow(req: Received<typeof ApiKey.Fetch>, topics: NonNullable<Received<typeof ApiKey.Fetch>['body']['topics']>) {
    const byId = req.apiVersion >= 13;
    let left = req.body.maxBytes ?? 0x7fffffff;
    let bytes = 0;
    let errors = false;
    const readCommitted = req.body.isolationLevel === 1;
    const hinted = new Set<number>();
    const responses = topics.map((t) => {
      const topic = this.resolveTopic(t);
      return {
        ...(byId ? { topicId: typeof t.topicId === 'string' ? t.topicId : '' } : { topic: t.topic ?? '' }),
        partitions: (t.partitions ?? []).map((p) => {
          const partitionIndex = p.partition ?? 0;
          const served = topic?.partitions[partitionIndex];
          const asReplica = served !== undefined && served.preferredReadReplica === req.nodeId;
          const errorCode = topic === undefined && byId ? ErrorCode.UNKNOWN_TOPIC_ID
            : asReplica ? 0 : this.leaderError(req, topic, partitionIndex, p.currentLeaderEpoch);
          if (errorCode !== 0) {
            errors = true;
            if (this.leaderHints && served !== undefined && served.leader >= 0 &&
                (errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || errorCode === ErrorCode.FENCED_LEADER_EPOCH)) {
              hinted.add(served.leader);
              return { partitionIndex, errorCode, highWatermark: -1n, records: null, currentLeader: { leaderId: served.leader, leaderEpoch: served.leaderEpoch } };
            }
            return { partitionIndex, errorCode, highWatermark: -1n, records: null };
          }
          const log = topic!.partitions[partitionIndex];
          const fetchOffset = BigInt(p.fetchOffset ?? 0);
          const marks = { highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset };
          if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
            errors = true;
            return { partitionIndex, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...marks, records: null };
          }
          if (!asReplica && log.preferredReadReplica >= 0 && (req.body.rackId ?? '') !== '') {
            // The leader's RackAwareReplicaSelector picked another replica: it says so at once, with no records.
            errors = true;
            return { partitionIndex, errorCode: 0, ...marks, preferredReadReplica: log.preferredReadReplica, records: null };
          }
          const diverging = log.divergence(fetchOffset, p.lastFetchedEpoch ?? -1);
          if (diverging !== null) {
            errors = true;
            return { partitionIndex, errorCode: 0, ...marks, divergingEpoch: diverging, records: null };
          }
          const limit = Math.min(p.partitionMaxBytes ?? 0, left);
          // KIP-74: the first partition with data gets at least one whole batch even above the limits.
          const read = log.read(fetchOffset, limit, bytes === 0);
          const size = read.records?.length ?? 0;
          bytes += size;
          left = Math.max(0, left - size);
          const aborted = readCommitted ? log.abortedBetween(fetchOffset, read.nextOffset) : null;
          return { partitionIndex, errorCode: 0, ...marks, abortedTransactions: aborted, records: read.records };
        }),
      };
    });
    const nodeEndpoints = [...hinted].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: this.portOf(nodeId), rack: null }));
    return { responses: responses as NonNullable<Reply<typeof ApiKey.Fetch>['responses']>, nodeEndpoints, bytes, errors };
  }

  private groupCommitted(group: string): Map<string, { offset: bigint; leaderEpoch: number; metadata: string | null }> {
    let m = this.committed.get(group);
    if (m === undefined) this.committed.set(group, (m = new Map()));
    return m;
  }

  private offsetFetch(req: Received<typeof ApiKey.OffsetFetch>): Reply<typeof ApiKey.OffsetFetch> {
    const answer = (group: string, topics: { name?: string; topicId?: string | Uint8Array; partitionIndexes?: number[] }[]) =>
      topics.map((t) => {
        const topic = this.resolveTopic(t);
        const name = topic?.name ?? t.name ?? '';
        return {
          ...nameOrId(t),
          partitions: (t.partitionIndexes ?? []).map((partitionIndex) => {
            const c = this.committed.get(group)?.get(`${name}:${partitionIndex}`);
            return { partitionIndex, committedOffset: c?.offset ?? -1n, committedLeaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: 0 };
          }),
        };
      });
    if (req.apiVersion >= 8) {
      return { groups: (req.body.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode: 0, topics: answer(g.groupId ?? '', g.topics ?? []) })) };
    }
    return { errorCode: 0, topics: answer(req.body.groupId ?? '', req.body.topics ?? []) as Reply<typeof ApiKey.OffsetFetch>['topics'] };
  }

  private offsetCommit(req: Received<typeof ApiKey.OffsetCommit>): Reply<typeof ApiKey.OffsetCommit> {
    const b = req.body;
    const generation = b.generationIdOrMemberEpoch ?? -1;
    let code = 0;
    if (generation >= 0 && this.classic.members.size > 0 && generation !== this.classic.generation) code = ErrorCode.ILLEGAL_GENERATION;
    if (generation >= 0 && this.consumerGroup.memberId !== null && generation !== this.consumerGroup.memberEpoch) code = ErrorCode.STALE_MEMBER_EPOCH;
    const store = this.groupCommitted(b.groupId ?? '');
    return {
      topics: (b.topics ?? []).map((t) => {
        const name = this.resolveTopic(t)?.name ?? t.name ?? '';
        return {
          ...nameOrId(t),
          partitions: (t.partitions ?? []).map((p) => {
            if (code === 0) {
              store.set(`${name}:${p.partitionIndex}`, { offset: BigInt(p.committedOffset ?? -1), leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata ?? null });
            }
            return { partitionIndex: p.partitionIndex, errorCode: code };
          }),
        };
      }),
    };
  }

  private joinGroup(req: Received<typeof ApiKey.JoinGroup>): Reply<typeof ApiKey.JoinGroup> {
    const g = this.classic;
    const b = req.body;
    let memberId = b.memberId ?? '';
    if (memberId === '' && req.apiVersion >= 4) {
      // KIP-394: a new member first gets its id, then joins with it.
      const id = g.newMemberId(req.clientId);
      g.members.add(id);
      return { errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: id, generationId: -1, leader: '', protocolName: null };
    }
    if (memberId === '') memberId = g.newMemberId(req.clientId);
    else if (!g.members.has(memberId)) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId, generationId: -1, leader: '', protocolName: null };
    g.members.add(memberId);
    const protocol = (b.protocols ?? [])[0];
    g.generation++;
    g.protocolName = protocol?.name ?? null;
    g.assignments.clear();
    const metadata = Buffer.from(protocol?.metadata ?? new Uint8Array());
    return {
      errorCode: 0,
      generationId: g.generation,
      protocolType: 'consumer',
      protocolName: g.protocolName,
      leader: memberId,
      memberId,
      members: [memberId, ...g.otherMembers].map((id) => ({ memberId: id, groupInstanceId: null, metadata })),
    };
  }

  private syncGroup(req: Received<typeof ApiKey.SyncGroup>): Reply<typeof ApiKey.SyncGroup> {
    const g = this.classic;
    const b = req.body;
    if (!g.members.has(b.memberId ?? '')) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (b.generationId !== g.generation) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    for (const a of b.assignments ?? []) g.assignments.set(a.memberId ?? '', Buffer.from(a.assignment ?? new Uint8Array()));
    return { errorCode: 0, protocolType: 'consumer', protocolName: g.protocolName, assignment: g.assignments.get(b.memberId ?? '') ?? Buffer.alloc(0) };
  }

  private heartbeat(req: Received<typeof ApiKey.Heartbeat>): Reply<typeof ApiKey.Heartbeat> {
    const g = this.classic;
    if (!g.members.has(req.body.memberId ?? '')) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (req.body.generationId !== g.generation) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    return { errorCode: 0 };
  }

  private leaveGroup(req: Received<typeof ApiKey.LeaveGroup>): Reply<typeof ApiKey.LeaveGroup> {
    const ids = req.apiVersion >= 3 ? (req.body.members ?? []).map((m) => m.memberId ?? '') : [req.body.memberId ?? ''];
    for (const id of ids) this.classic.members.delete(id);
    return { errorCode: 0, members: req.apiVersion >= 3 ? ids.map((memberId) => ({ memberId, groupInstanceId: null, errorCode: 0 })) : [] };
  }

  private consumerGroupHeartbeat(req: Received<typeof ApiKey.ConsumerGroupHeartbeat>): Reply<typeof ApiKey.ConsumerGroupHeartbeat> {
    const g = this.consumerGroup;
    const b = req.body;
    const epoch = b.memberEpoch ?? 0;
    const base = { heartbeatIntervalMs: g.heartbeatIntervalMs };
    if (epoch < 0) {
      g.memberId = null;
      g.memberEpoch = 0;
      return { ...base, errorCode: 0, memberId: b.memberId ?? null, memberEpoch: epoch };
    }
    if (b.subscribedTopicNames !== null && b.subscribedTopicNames !== undefined) g.subscribed = [...b.subscribedTopicNames];
    if (epoch === 0) {
      g.memberId = b.memberId === undefined || b.memberId === '' ? `cg-member-${g.groupEpoch + 1}` : b.memberId;
      g.groupEpoch++;
      g.memberEpoch = g.groupEpoch;
      g.pending = false;
      return { ...base, errorCode: 0, memberId: g.memberId, memberEpoch: g.memberEpoch, assignment: this.cgAssignment() };
    }
    if (b.memberId !== g.memberId) return { ...base, errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberEpoch: -1 };
    if (epoch !== g.memberEpoch) return { ...base, errorCode: ErrorCode.FENCED_MEMBER_EPOCH, memberEpoch: -1 };
    if (g.pending) {
      g.pending = false;
      g.groupEpoch++;
      g.memberEpoch = g.groupEpoch;
      return { ...base, errorCode: 0, memberId: g.memberId, memberEpoch: g.memberEpoch, assignment: this.cgAssignment() };
    }
    return { ...base, errorCode: 0, memberId: g.memberId, memberEpoch: g.memberEpoch, assignment: null };
  }

  private cgAssignment(): { topicPartitions: { topicId: string; partitions: number[] }[] } {
    const target = this.consumerGroup.target
      ?? this.consumerGroup.subscribed.filter((t) => this.topics.has(t)).map((t) => ({ topic: t, partitions: this.topics.get(t)!.partitions.map((_, i) => i) }));
    return { topicPartitions: target.map((t) => ({ topicId: topicIdFor(t.topic), partitions: [...t.partitions] })) };
  }
}

/** A response topic entry naming the topic as the request did (by name before KIP-516 versions, by id after). */
function nameOrId(t: { name?: string; topicId?: string | Uint8Array }): { name?: string; topicId?: string } {
  return typeof t.topicId === 'string' && t.topicId !== '' && (t.name === undefined || t.name === '') ? { topicId: t.topicId } : { name: t.name ?? '' };
}
