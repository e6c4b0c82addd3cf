// What `groups describe` shows for a share group (KIP-932), assembled from the public Admin's share-group calls, and
// how it prints. A share group is found where a consumer group is not: `describeAnyGroup` asks for a classic or
// KIP-848 group first (the usual case, no extra request) and only when there is none asks ShareGroupDescribe.
//
// A share group has no committed offsets: per partition the broker keeps a start offset (records before it are
// acknowledged or archived) and, from Kafka 4.2 (DescribeShareGroupOffsets v1, KIP-1226), the lag it computes itself
// (records from the start offset to the log end not yet acknowledged or archived). Both are shown as the broker says
// them; a partition the group was assigned but never read shows '-', as Kafka's kafka-share-groups does.

import { KafkaError } from '../errors.js';
import type {
  ClusterDescription as AdminClusterDescription, ShareGroupDescription, ShareGroupOffset,
} from '../admin/index.js';
import { groupView, type AdminCalls } from './admin-views.js';
import type { BrokerDescription, GroupDetails } from './deps.js';

/** GROUP_ID_NOT_FOUND, Kafka's code for "no such group". */
const GROUP_ID_NOT_FOUND = 69;

/** The part of Admin the share-group view uses (with AdminCalls for the consumer-group view it falls back from). */
export interface ShareAdminCalls extends AdminCalls {
  describeShareGroups(groupIds: readonly string[]): Promise<ShareGroupDescription[]>;
  listShareGroupOffsets(groupId: string): Promise<ShareGroupOffset[]>;
  describeCluster(): Promise<AdminClusterDescription>;
}

/** One partition of a share group: where the group starts reading it, its lag, how many members share it. */
export interface SharePartitionView {
  readonly topic: string;
  readonly partition: number;
  /** The share-partition start offset; null when the group has no state for the partition yet. */
  readonly startOffset: bigint | null;
  /** The broker's lag (KIP-1226); null when it does not say. */
  readonly lag: bigint | null;
  /** Members assigned the partition now (in a share group several members read one partition). */
  readonly members: number;
  /** The partition's log end offset: only in `groups lag`'s view (shareGroupView with logEnd); null when unreadable. */
  readonly logEndOffset?: bigint | null;
}

/** `gregor groups describe` for a share group. */
export interface ShareGroupDetails {
  readonly groupId: string;
  readonly type: 'share';
  readonly state: string;
  readonly assignor: string;
  readonly groupEpoch: number;
  readonly coordinator: BrokerDescription;
  readonly members: ReadonlyArray<{
    readonly memberId: string;
    readonly memberEpoch: number;
    readonly clientId: string;
    readonly clientHost: string;
    readonly rackId: string | null;
    readonly subscribedTopics: readonly string[];
    readonly assignment: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>;
  }>;
  readonly offsets: readonly SharePartitionView[];
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The share group, or null when there is no share group of that id. With `logEnd`, each partition also has its log
 * end offset (ListOffsets latest), for `groups lag`; a topic whose log end cannot be read shows it unknown.
 */
export async function shareGroupView(admin: ShareAdminCalls, groupId: string, opts: { logEnd?: boolean } = {}): Promise<ShareGroupDetails | null> {
  const [[group], offsets, cluster] = await Promise.all([admin.describeShareGroups([groupId]), admin.listShareGroupOffsets(groupId), admin.describeCluster()]);
  if (group.state === 'Dead' && offsets.length === 0) return null;
  const rows = new Map<string, { topic: string; partition: number; startOffset: bigint | null; lag: bigint | null; members: number }>();
  for (const o of offsets) rows.set(key(o.topic, o.partition), { topic: o.topic, partition: o.partition, startOffset: o.startOffset, lag: o.lag, members: 0 });
  for (const m of group.members) {
    for (const a of m.assignment) {
      for (const p of a.partitions) {
        const row = rows.get(key(a.topic, p)) ?? { topic: a.topic, partition: p, startOffset: null, lag: null, members: 0 };
        row.members += 1;
        rows.set(key(a.topic, p), row);
      }
    }
  }
  const ends = new Map<string, bigint>();
  if (opts.logEnd === true) {
    const byTopic = new Map<string, number[]>();
    for (const r of rows.values()) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.partition]);
    await Promise.all([...byTopic].map(async ([topic, partitions]) => {
      try {
        for (const o of await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: 'latest' as const })))) {
          ends.set(key(o.topic, o.partition), o.offset);
        }
      } catch {
        // Unknown log end for this topic (deleted since): shown as '-'.
      }
    }));
  }
  const coordinator = cluster.brokers.find((b) => b.nodeId === group.coordinator);
  return {
    groupId: group.groupId,
    type: 'share',
    state: group.state,
    assignor: group.assignor,
    groupEpoch: group.groupEpoch,
    coordinator: coordinator === undefined ? { id: group.coordinator, host: '', port: -1 } : { id: coordinator.nodeId, host: coordinator.host, port: coordinator.port },
    members: group.members.map((m) => ({
      memberId: m.memberId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost, rackId: m.rackId,
      subscribedTopics: [...m.subscribedTopics],
      assignment: m.assignment.map((a) => ({ topic: a.topic, partitions: [...a.partitions] })),
    })),
    offsets: [...rows.values()]
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
      .map((r) => (opts.logEnd === true ? { ...r, logEndOffset: ends.get(key(r.topic, r.partition)) ?? null } : r)),
  };
}

/**
 * A consumer group (classic or KIP-848) or, when there is none of that id, a share group. A id that names neither
 * is GROUP_ID_NOT_FOUND, as before share groups.
 */
export async function describeAnyGroup(admin: ShareAdminCalls, groupId: string, opts: { logEnd?: boolean } = {}): Promise<GroupDetails | ShareGroupDetails> {
  try {
    return await groupView(admin, groupId);
  } catch (err) {
    if (!(err instanceof KafkaError) || err.errorCode !== GROUP_ID_NOT_FOUND) throw err;
    const share = await shareGroupView(admin, groupId, opts);
    if (share === null) throw err;
    return share;
  }
}

export function isShareGroup(g: GroupDetails | ShareGroupDetails): g is ShareGroupDetails {
  return g.type === 'share';
}

const orDash = (v: bigint | string | null) => (v === null || v === '' ? '-' : String(v));

/** A member's partitions, compactly: `orders:0,1,2 payments:3`. */
function partitionsText(assignment: ShareGroupDetails['members'][number]['assignment']): string {
  return assignment.length === 0 ? '-' : assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ');
}

/** The text of `groups describe` for a share group; `table` is the admin views' column layout. */
export function formatShareGroup(g: ShareGroupDetails, table: (header: readonly string[], rows: ReadonlyArray<readonly string[]>) => string): string {
  const c = g.coordinator;
  const lines = [
    `Group: ${g.groupId}`,
    `State: ${g.state}`,
    `Protocol: share, assignor ${g.assignor === '' ? '-' : g.assignor}, group epoch ${g.groupEpoch}`,
    `Coordinator: ${c.id}${c.host === '' ? '' : ` (${c.host}:${c.port})`}`,
    `Members: ${g.members.length}`,
  ];
  if (g.members.length > 0) {
    const members = [...g.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    lines.push(table(['  MEMBER-ID', 'EPOCH', 'CLIENT-ID', 'HOST', 'PARTITIONS'],
      members.map((m) => [`  ${m.memberId}`, String(m.memberEpoch), m.clientId, m.clientHost, partitionsText(m.assignment)])));
  }
  lines.push(`Partitions: ${g.offsets.length}`);
  if (g.offsets.length > 0) {
    lines.push(table(['  TOPIC', 'PARTITION', 'START-OFFSET', 'LAG', 'MEMBERS'],
      g.offsets.map((o) => [`  ${o.topic}`, String(o.partition), orDash(o.startOffset), orDash(o.lag), String(o.members)])));
  }
  return lines.join('\n');
}
