// The admin client's read-only view of consumer groups: which groups exist (ListGroups, asked of every broker, as
// each broker coordinates its own share of the groups), what one group looks like (ConsumerGroupDescribe for KIP-848
// groups, DescribeGroups for classic ones, both at the group's coordinator), and what it has committed (OffsetFetch).
// Admin (admin.ts) exposes these as listGroups(), describeGroups() and listGroupOffsets().

import { KafkaError, isGregorError } from '../errors.js';
import { decodeAssignment, CONSUMER_PROTOCOL_TYPE } from '../protocol/consumer-protocol.js';
import {
  ApiKey, ErrorCode, kafkaError, type ConsumerGroupDescribeResponse, type OffsetFetchResponseTopic, type OffsetFetchResponseTopics,
} from '../protocol/index.js';
import type { Cluster } from '../cluster/client.js';
import { CoordinatorType, type Coordinator } from '../cluster/coordinator.js';
import { withRetries, type RetryPolicy } from '../cluster/retry.js';

/** listGroups()'s answer for one group. */
export interface GroupListing {
  groupId: string;
  /** 'consumer' for consumer groups of either protocol; '' for a KIP-848 group seen through ListGroups < v5. */
  protocolType: string;
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Dead (classic); Stable, Empty, Assigning, Reconciling (KIP-848). */
  state: string;
  /** 'classic', 'consumer' (KIP-848), 'share', 'streams'; '' when the broker does not say (ListGroups < v5). */
  type: string;
}

/** The partitions of one topic a group member owns. */
export interface GroupMemberAssignment {
  topic: string;
  partitions: number[];
}

/** One member of a described group. */
export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Partitions the member owns now, by topic (sorted). */
  assignment: GroupMemberAssignment[];
}

/** describeGroups()'s answer for one group: protocol, state, assignor, coordinator, members. */
export interface GroupDescription {
  groupId: string;
  /** 'classic' or 'consumer' (KIP-848): which protocol the group speaks, hence which describe call answered. */
  type: 'classic' | 'consumer';
  /** 'Dead' for a group that does not exist (classic groups are described that way by the broker). */
  state: string;
  /** Classic: the group's protocol type ('consumer' for consumers); KIP-848: always 'consumer'. */
  protocolType: string;
  /** The assignor in use: the classic protocol's chosen name (range, cooperative-sticky...), or the broker's (uniform). */
  assignor: string;
  /** Node id of the group coordinator. */
  coordinator: number;
  members: GroupMember[];
}

/** A group's committed offset for one partition (listGroupOffsets()). */
export interface GroupOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface GroupContext {
  readonly cluster: Cluster;
  readonly retry: RetryPolicy;
}

function sortAssignment(list: GroupMemberAssignment[]): GroupMemberAssignment[] {
  for (const a of list) a.partitions.sort((x, y) => x - y);
  return list.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** listGroups()'s filters: empty or absent means any. */
export interface GroupFilters {
  /** Group types to list: 'classic', 'consumer', 'share', 'streams' (ListGroups v5's types filter, KIP-848). */
  types?: readonly string[];
  /** Group states to list, as the broker spells them ('Stable', 'Empty', ...; ListGroups v4's states filter, KIP-518). */
  states?: readonly string[];
}

/**
 * ListGroups to every broker of the cluster; a group appears once (each is coordinated by one broker). The filters
 * go to brokers that take them (v4 states, v5 types); an older broker's answer is filtered here (KIP-848's brokers
 * all take both).
 */
export async function listGroups(ctx: GroupContext, deadline: number, filters: GroupFilters = {}): Promise<GroupListing[]> {
  const { metadata } = ctx.cluster;
  const types = filters.types ?? [];
  const states = filters.states ?? [];
  const wanted = (set: readonly string[], value: string) => set.length === 0 || set.some((s) => s.toLowerCase() === value.toLowerCase());
  return withRetries(async () => {
    await metadata.refresh([]);
    const byId = new Map<string, GroupListing>();
    await Promise.all(metadata.brokers.map(async (b) => {
      const r = await ctx.cluster.request(b.nodeId, ApiKey.ListGroups, (v: number) => ({
        ...(v >= 4 ? { statesFilter: [...states] } : {}),
        ...(v >= 5 ? { typesFilter: [...types] } : {}),
      }));
      // COORDINATOR_LOAD_IN_PROGRESS (a broker still loading its groups) is retriable: the whole listing is retried,
      // as a partial one would silently leave groups out.
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `ListGroups at broker ${b.nodeId}`);
      for (const g of r.groups) {
        const listing = { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.groupState ?? '', type: g.groupType ?? '' };
        // Below v5 the broker says no type: such a broker has classic groups only.
        if (!wanted(states, listing.state) || !wanted(types, listing.type === '' ? 'classic' : listing.type)) continue;
        byId.set(g.groupId, listing);
      }
    }));
    return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }, { ...ctx.retry, what: 'ListGroups', deadline });
}

function coordinatorFor(ctx: GroupContext, groupId: string): Coordinator {
  return ctx.cluster.coordinator(CoordinatorType.GROUP, groupId);
}

/**
 * One group, as its coordinator describes it. KIP-848 groups answer ConsumerGroupDescribe; a classic group answers
 * it with GROUP_ID_NOT_FOUND (the broker keeps the two kinds apart), and is then described by DescribeGroups, as
 * the Java admin client does. A group that does not exist comes back with state 'Dead' and no members.
 */
export async function describeGroup(ctx: GroupContext, groupId: string, deadline: number): Promise<GroupDescription> {
  const coordinator = coordinatorFor(ctx, groupId);
  return withRetries(async () => {
    const node = await coordinator.node();
    if (ctx.cluster.supportsApi(node, ApiKey.ConsumerGroupDescribe) !== false) {
      const described = await describeConsumerGroup(coordinator, groupId, node);
      if (described !== null) return described;
    }
    return describeClassicGroup(coordinator, groupId, node);
  }, { ...ctx.retry, what: `describing group '${groupId}'`, deadline });
}

async function describeConsumerGroup(coordinator: Coordinator, groupId: string, node: number): Promise<GroupDescription | null> {
  let r: ConsumerGroupDescribeResponse;
  try {
    r = await coordinator.request(ApiKey.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
  } catch (err) {
    // A broker without KIP-848 (no ConsumerGroupDescribe): only classic groups exist there.
    if (isGregorError(err) && err.code === 'ERR_UNSUPPORTED') return null;
    throw err;
  }
  const g = r.groups.find((x) => x.groupId === groupId);
  if (g === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `ConsumerGroupDescribe '${groupId}': no answer for the group`, null, { retriable: false });
  if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return null;
  coordinator.check(g.errorCode, `ConsumerGroupDescribe '${groupId}'`, g.errorMessage);
  return {
    groupId,
    type: 'consumer',
    state: g.groupState,
    protocolType: CONSUMER_PROTOCOL_TYPE,
    assignor: g.assignorName,
    coordinator: node,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.instanceId ?? null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: sortAssignment(m.assignment.topicPartitions.map((tp) => ({ topic: tp.topicName, partitions: [...tp.partitions] }))),
    })),
  };
}

async function describeClassicGroup(coordinator: Coordinator, groupId: string, node: number): Promise<GroupDescription> {
  const r = await coordinator.request(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
  const g = r.groups.find((x) => x.groupId === groupId);
  if (g === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeGroups '${groupId}': no answer for the group`, null, { retriable: false });
  // DescribeGroups v6 (KIP-1043) answers GROUP_ID_NOT_FOUND for a group that does not exist; older versions a
  // 'Dead' group without members. Both mean the same: no such group.
  if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) {
    return { groupId, type: 'classic', state: 'Dead', protocolType: '', assignor: '', coordinator: node, members: [] };
  }
  coordinator.check(g.errorCode, `DescribeGroups '${groupId}'`, g.errorMessage);
  const isConsumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
  return {
    groupId,
    type: 'classic',
    state: g.groupState,
    protocolType: g.protocolType,
    assignor: g.protocolData,
    coordinator: node,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      // Only the consumer protocol's assignment format is known; other protocol types (connect...) carry their own.
      // An empty assignment (a member between join and sync) is no partitions.
      assignment: isConsumer && m.memberAssignment.length > 0
        ? sortAssignment(decodeAssignment(Buffer.from(m.memberAssignment)).assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] })))
        : [],
    })),
  };
}

/**
 * The group's committed offsets (OffsetFetch for all its partitions, at the coordinator). Version 9 at most: from
 * version 10 the response names topics by id only (KIP-848's topic ids in offset APIs), and names are what an
 * admin shows. Partitions without a committed offset are not listed.
 */
export async function listGroupOffsets(ctx: GroupContext, groupId: string, deadline: number): Promise<GroupOffset[]> {
  const coordinator = coordinatorFor(ctx, groupId);
  return withRetries(async () => {
    const r = await coordinator.request(ApiKey.OffsetFetch, (v: number) => (v >= 8
      ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }], requireStable: false }
      : { groupId, topics: null, requireStable: false }), { maxVersion: 9 });
    let topics: readonly (OffsetFetchResponseTopic | OffsetFetchResponseTopics)[];
    // Every field of a decoded response is present whatever the version (v0-7 carry groups: []), so the version
    // that answered shows in whether groups has entries.
    if (r.groups.length > 0) {
      const g = r.groups.find((x) => x.groupId === groupId);
      if (g === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `OffsetFetch '${groupId}': no answer for the group`, null, { retriable: false });
      coordinator.check(g.errorCode, `OffsetFetch '${groupId}'`);
      topics = g.topics;
    } else {
      coordinator.check(r.errorCode ?? ErrorCode.NONE, `OffsetFetch '${groupId}'`);
      topics = r.topics;
    }
    const out: GroupOffset[] = [];
    let failure: KafkaError | undefined;
    for (const t of topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          failure ??= kafkaError(p.errorCode, `OffsetFetch '${groupId}' ${t.name}-${p.partitionIndex}`, null, { topic: t.name, group: groupId });
          continue;
        }
        if (p.committedOffset < 0n) continue;
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.metadata ?? null });
      }
    }
    if (failure !== undefined) throw failure;
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }, { ...ctx.retry, what: `OffsetFetch for group '${groupId}'`, deadline });
}
