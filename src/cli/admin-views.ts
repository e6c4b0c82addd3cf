// What `cluster describe`, `groups list` and `groups describe` show, assembled from the public Admin's calls.
//
// Kept apart from deps.ts (which creates the Admin and bounds the wait) so the assembly - which partitions a group
// view lists, how lag is computed, what "no such group" means - reads in one place. The `AdminCalls` interface is
// the part of Admin used here.

import { KafkaError } from '../errors.js';
import type {
  ClusterDescription as AdminClusterDescription, GroupDescription as AdminGroupDescription, GroupListing as AdminGroupListing,
  GroupOffset, ListedOffset, OffsetQuery, TopicListing,
} from '../admin/index.js';
import type { ClusterDescription, GroupDetails, GroupListing, GroupPartitionView } from './deps.js';

/** GROUP_ID_NOT_FOUND, Kafka's code for "no such group". */
const GROUP_ID_NOT_FOUND = 69;

export interface AdminCalls {
  describeCluster(): Promise<AdminClusterDescription>;
  listTopics(options?: { includeInternal?: boolean }): Promise<TopicListing[]>;
  listGroups(): Promise<AdminGroupListing[]>;
  describeGroups(groupIds: readonly string[]): Promise<AdminGroupDescription[]>;
  listGroupOffsets(groupId: string): Promise<GroupOffset[]>;
  listOffsets(queries: readonly OffsetQuery[]): Promise<ListedOffset[]>;
}

/**
 * Two reads of the same cluster state: DescribeCluster (KIP-700) for the id, controller and brokers, and an
 * all-topics Metadata request for the topics. Internal topics are kept (marked), as Kafka's own tools do.
 */
export async function clusterView(admin: AdminCalls): Promise<ClusterDescription> {
  const [cluster, topics] = await Promise.all([admin.describeCluster(), admin.listTopics({ includeInternal: true })]);
  return {
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId < 0 ? null : cluster.controllerId,
    brokers: cluster.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    topics: topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, internal: t.internal })),
  };
}

export async function groupsView(admin: AdminCalls): Promise<GroupListing[]> {
  return (await admin.listGroups()).map((g) => ({
    groupId: g.groupId,
    state: g.state === '' ? undefined : g.state,
    protocolType: g.protocolType === '' ? undefined : g.protocolType,
    groupType: g.type === '' ? undefined : g.type,
  }));
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * One group: its description, and one row per partition it owns or has committed, with the committed offset, the
 * log end offset (ListOffsets latest) and the lag between them. A group that neither exists nor has offsets is an
 * error (GROUP_ID_NOT_FOUND), so a mistyped group id is not shown as an empty group. The log end of a topic that
 * cannot be read (deleted since the commit) is shown unknown rather than failing the whole view.
 */
export async function groupView(admin: AdminCalls, groupId: string): Promise<GroupDetails> {
  const [[group], committed, cluster] = await Promise.all([admin.describeGroups([groupId]), admin.listGroupOffsets(groupId), admin.describeCluster()]);
  if (group.state === 'Dead' && committed.length === 0) {
    throw new KafkaError(GROUP_ID_NOT_FOUND, 'GROUP_ID_NOT_FOUND', `group '${groupId}' does not exist (no members, no committed offsets)`);
  }
  const rows = new Map<string, { topic: string; partition: number; committed: bigint | null; memberId: string | null }>();
  for (const c of committed) rows.set(key(c.topic, c.partition), { topic: c.topic, partition: c.partition, committed: c.offset, memberId: null });
  for (const m of group.members) {
    for (const a of m.assignment) {
      for (const p of a.partitions) {
        const row = rows.get(key(a.topic, p)) ?? { topic: a.topic, partition: p, committed: null, memberId: null };
        row.memberId = m.memberId;
        rows.set(key(a.topic, p), row);
      }
    }
  }
  const byTopic = new Map<string, number[]>();
  for (const r of rows.values()) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.partition]);
  const ends = new Map<string, bigint>();
  await Promise.all([...byTopic].map(async ([topic, partitions]) => {
    try {
      for (const o of await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: 'latest' as const })))) {
        ends.set(key(o.topic, o.partition), o.offset);
      }
    } catch {
      // Unknown log end for this topic: shown as '-'.
    }
  }));
  const offsets: GroupPartitionView[] = [...rows.values()]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((r) => {
      const logEndOffset = ends.get(key(r.topic, r.partition)) ?? null;
      const lag = r.committed !== null && logEndOffset !== null ? logEndOffset - r.committed : null;
      return { topic: r.topic, partition: r.partition, committed: r.committed, logEndOffset, lag, memberId: r.memberId };
    });
  const coordinator = cluster.brokers.find((b) => b.nodeId === group.coordinator);
  return {
    groupId: group.groupId,
    type: group.type,
    state: group.state,
    protocolType: group.protocolType,
    assignor: group.assignor,
    coordinator: coordinator === undefined ? { id: group.coordinator, host: '', port: -1 } : { id: coordinator.nodeId, host: coordinator.host, port: coordinator.port },
    members: group.members.map((m) => ({ ...m, assignment: m.assignment.map((a) => ({ topic: a.topic, partitions: [...a.partitions] })) })),
    offsets,
  };
}
