// The client-side partition assignor contract of the classic group protocol, and the one normalised view of a
// group that every built-in assignor works from.
//
// In the classic protocol the broker only elects a leader; the leader runs an assignor over every member's
// Subscription (the consumer protocol's embedded metadata) and the partitions of the subscribed topics, then sends
// each member its Assignment through SyncGroup. The assignor is therefore a pure function, and it must be
// deterministic: the same input gives the same output whatever the order members or topics arrive in.
//
// Names on the wire are Kafka's ("range", "roundrobin", "sticky", "cooperative-sticky"): a member offers its
// strategies in JoinGroup by these names, and the broker picks the one all members support (see index.ts).

import { ProtocolError } from '../../../errors.js';
import type { TopicPartitions } from '../../../protocol/consumer-protocol.js';

/**
 * KIP-429. EAGER: every member revokes everything before it rejoins. COOPERATIVE: members keep what they own
 * across a rebalance and give up only what the new assignment takes from them; the assignor must never hand a
 * partition to a new owner in the same rebalance that takes it from the old one.
 */
export type RebalanceProtocol = 'EAGER' | 'COOPERATIVE';

/** One member as the leader sees it: its id, and the fields of its (decoded) Subscription. */
export interface AssignorMember {
  memberId: string;
  /** group.instance.id of a static member (KIP-345), else null/undefined. */
  groupInstanceId?: string | null;
  topics: readonly string[];
  userData?: Uint8Array | null;
  /** Subscription v1+: what the member owns now. */
  ownedPartitions?: readonly TopicPartitions[];
  /** Subscription v2+: generation the owned partitions come from; -1 or undefined when unknown. */
  generationId?: number;
  /** Subscription v3+: client.rack (KIP-881). */
  rackId?: string | null;
}

/** A partition as metadata knows it; replicaRacks are the racks of the brokers holding its replicas, if known. */
export interface PartitionInfo {
  partition: number;
  replicaRacks?: readonly string[];
}

export interface AssignmentInput {
  members: readonly AssignorMember[];
  /**
   * The partitions of (at least) every subscribed topic: a count (ids 0..n-1, racks unknown) or the partition list.
   * A subscribed topic missing here is not assigned (Java does the same: no metadata, no assignment).
   */
  partitionsPerTopic: ReadonlyMap<string, number | readonly PartitionInfo[]>;
  /** Called with a sentence for each oddity that does not stop the assignment (conflicting claims, missing topics). */
  onWarning?: (message: string) => void;
}

/** Every member's assignment by member id; every member has an entry, topics sorted, partitions ascending. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

/** What a member knows about itself when it builds its Subscription. */
export interface MemberOwnState {
  /** The partitions of its last assignment, or null when it never had one in this group. */
  ownedPartitions: readonly TopicPartitions[] | null;
  /** The generation of that assignment; -1 when none. */
  generationId: number;
}

export interface Assignor {
  /** The name on the wire, identical to the Java client's. */
  readonly name: string;
  /** The rebalance protocols this assignor can run under, as ConsumerPartitionAssignor.supportedProtocols(). */
  readonly rebalanceProtocols: readonly RebalanceProtocol[];
  /** The bytes this member puts in Subscription.userData when it offers this assignor; null for none. */
  subscriptionUserData(state: MemberOwnState): Buffer | null;
  /** Runs on the leader. Pure and deterministic. */
  assign(input: AssignmentInput): GroupAssignment;
}

// ---------------------------------------------------------------------------------------------------------------
// The normalised group: members sorted by id, partitions indexed 0..P-1 in (topic, partition) order.

export interface ModelMember {
  index: number;
  memberId: string;
  groupInstanceId: string | null;
  rackId: string | null;
  /** Subscribed topics that exist in metadata, as topic indexes, ascending. */
  topics: number[];
  source: AssignorMember;
}

export interface ModelTopic {
  name: string;
  /** Index of this topic's first partition in the global partition order. */
  start: number;
  /** Partition ids, ascending; global index of partitionIds[i] is start + i. */
  partitionIds: number[];
  /** Racks per partition (same order), null when no rack of any partition of this topic is known. */
  racks: (ReadonlySet<string> | null)[] | null;
  /** Members subscribed to this topic, as member indexes, ascending. */
  subscribers: number[];
}

export interface GroupModel {
  members: ModelMember[];
  topics: ModelTopic[];
  topicIndex: Map<string, number>;
  /** Topic index of each global partition. */
  topicOf: Int32Array;
  partitionCount: number;
  warn: (message: string) => void;
}

const INT32_MAX = 0x7fff_ffff;

function bad(message: string): never {
  throw new ProtocolError(`assignor input: ${message}`);
}

/** Validates the input and builds the normalised model. Only topics somebody subscribes to are kept. */
export function buildGroupModel(input: AssignmentInput): GroupModel {
  if (input == null || !Array.isArray(input.members)) bad('members must be an array');
  if (!(input.partitionsPerTopic instanceof Map)) bad('partitionsPerTopic must be a Map of topic name to partitions');
  const warn = input.onWarning ?? (() => {});
  const seen = new Set<string>();
  for (const m of input.members) {
    if (m == null || typeof m.memberId !== 'string' || m.memberId.length === 0) bad('a member id must be a non-empty string');
    if (seen.has(m.memberId)) bad(`member ${JSON.stringify(m.memberId)} is listed twice`);
    seen.add(m.memberId);
    if (!Array.isArray(m.topics)) bad(`topics of member ${JSON.stringify(m.memberId)} must be an array`);
    for (const t of m.topics) {
      if (typeof t !== 'string' || t.length === 0) bad(`member ${JSON.stringify(m.memberId)} subscribes to a bad topic name ${JSON.stringify(t)}`);
    }
  }
  const sorted = [...input.members].sort((a, b) => compareStrings(a.memberId, b.memberId));

  const wanted = new Set<string>();
  for (const m of sorted) for (const t of m.topics) wanted.add(t);
  const names = [...wanted].sort(compareStrings);
  const topics: ModelTopic[] = [];
  const topicIndex = new Map<string, number>();
  const missing: string[] = [];
  let start = 0;
  for (const name of names) {
    const spec = input.partitionsPerTopic.get(name);
    if (spec === undefined) {
      missing.push(name);
      continue;
    }
    const { ids, racks } = readPartitions(name, spec);
    topicIndex.set(name, topics.length);
    topics.push({ name, start, partitionIds: ids, racks, subscribers: [] });
    start += ids.length;
  }
  if (missing.length > 0) warn(`no metadata for subscribed topic(s) ${missing.map((t) => JSON.stringify(t)).join(', ')}: not assigned`);

  const topicOf = new Int32Array(start);
  topics.forEach((t, ti) => topicOf.fill(ti, t.start, t.start + t.partitionIds.length));

  const members: ModelMember[] = sorted.map((m, index) => {
    const ts = [...new Set<string>(m.topics)].map((t) => topicIndex.get(t)).filter((t): t is number => t !== undefined);
    ts.sort((a, b) => a - b);
    for (const t of ts) topics[t].subscribers.push(index);
    const rack = typeof m.rackId === 'string' && m.rackId.length > 0 ? m.rackId : null;
    const instance = typeof m.groupInstanceId === 'string' && m.groupInstanceId.length > 0 ? m.groupInstanceId : null;
    return { index, memberId: m.memberId, groupInstanceId: instance, rackId: rack, topics: ts, source: m };
  });
  return { members, topics, topicIndex, topicOf, partitionCount: start, warn };
}

function readPartitions(topic: string, spec: number | readonly PartitionInfo[]): { ids: number[]; racks: (ReadonlySet<string> | null)[] | null } {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || spec > INT32_MAX) bad(`partition count ${spec} of topic ${JSON.stringify(topic)} is not a count`);
    return { ids: Array.from({ length: spec }, (_, i) => i), racks: null };
  }
  if (!Array.isArray(spec)) bad(`partitions of topic ${JSON.stringify(topic)} must be a count or an array`);
  const list = [...spec].sort((a, b) => a.partition - b.partition);
  let anyRack = false;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]?.partition;
    if (!Number.isInteger(p) || p < 0 || p > INT32_MAX) bad(`partition ${String(p)} of topic ${JSON.stringify(topic)} is not a partition number`);
    if (i > 0 && list[i - 1].partition === p) bad(`partition ${p} of topic ${JSON.stringify(topic)} is listed twice`);
    if (list[i].replicaRacks !== undefined && list[i].replicaRacks!.length > 0) anyRack = true;
  }
  const racks = anyRack ? list.map((p) => (p.replicaRacks !== undefined && p.replicaRacks.length > 0 ? new Set<string>(p.replicaRacks) : null)) : null;
  return { ids: list.map((p) => p.partition), racks };
}

/** Java's String.compareTo: UTF-16 code units, which is also JavaScript's `<` (never localeCompare). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The member order of Java's AbstractPartitionAssignor.MemberInfo, used by range and roundrobin: static members
 * (KIP-345) first, by group.instance.id, so a restarted static member with a new member id gets the same
 * partitions; then dynamic members by member id.
 */
export function compareMembersStaticFirst(a: ModelMember, b: ModelMember): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) {
    return compareStrings(a.groupInstanceId, b.groupInstanceId) || compareStrings(a.memberId, b.memberId);
  }
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

/** Builds the GroupAssignment from an owner per global partition (-1: unassigned). */
export function assignmentFromOwners(model: GroupModel, owner: Int32Array): GroupAssignment {
  const perMember: Map<number, number[]>[] = model.members.map(() => new Map());
  for (let p = 0; p < model.partitionCount; p++) {
    const m = owner[p];
    if (m < 0) continue;
    const t = model.topicOf[p];
    let list = perMember[m].get(t);
    if (list === undefined) perMember[m].set(t, (list = []));
    list.push(model.topics[t].partitionIds[p - model.topics[t].start]);
  }
  const out: GroupAssignment = new Map();
  model.members.forEach((m, i) => {
    const entries = [...perMember[i].entries()].sort((a, b) => a[0] - b[0]);
    out.set(m.memberId, entries.map(([t, partitions]) => ({ topic: model.topics[t].name, partitions })));
  });
  return out;
}

/** Global partition index of (topic, partition), or -1 when metadata does not know it. */
export function partitionIndex(model: GroupModel, topic: string, partition: number): number {
  const ti = model.topicIndex.get(topic);
  if (ti === undefined) return -1;
  const t = model.topics[ti];
  // Partition ids are nearly always 0..n-1: try the direct slot first, then search.
  if (t.partitionIds[partition] === partition) return t.start + partition;
  let lo = 0;
  let hi = t.partitionIds.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = t.partitionIds[mid];
    if (v === partition) return t.start + mid;
    if (v < partition) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Racks of global partition p, or null when unknown. */
export function partitionRacks(model: GroupModel, p: number): ReadonlySet<string> | null {
  const t = model.topics[model.topicOf[p]];
  return t.racks === null ? null : t.racks[p - t.start];
}
