// "range": Kafka's default assignor. Per topic, the topic's subscribers are ordered (static members first by
// group.instance.id - KIP-345 - then by member id) and the partitions, in order, are cut into contiguous ranges:
// with n partitions and c subscribers each gets floor(n/c), and the first n % c get one more. So partition i of
// every topic with the same subscribers and partition count lands on the same member ("co-partitioning"), which is
// what joins over keyed topics rely on.
//
// KIP-881 (rack-aware range): when members declare client.rack and replica racks are known, and racks matter
// (some member rack holds a replica, and not every partition is on every rack), a first pass gives each member,
// within its range quota, partitions that have a replica in its rack; co-partitioned topics move together so
// co-partitioning survives; the normal pass then places what is left. Without racks the result is plain range.
// The quota per member never changes, so the balance is the same with or without racks.

import {
  type AssignmentInput,
  type Assignor,
  type GroupAssignment,
  type GroupModel,
  type ModelMember,
  assignmentFromOwners,
  buildGroupModel,
  compareMembersStaticFirst,
} from './assignor.js';

/** The assignment state of one topic while ranges are handed out. */
interface TopicState {
  topic: number;
  /** Subscribers in range order. */
  consumers: ModelMember[];
  /** Global partition indexes still unassigned, in partition order. */
  unassigned: Set<number>;
  assignedCount: Map<number, number>;
  perConsumer: number;
  /** How many consumers may still take one partition above perConsumer. */
  extraLeft: number;
  needsRackMatching: boolean;
}

function maxAssignable(s: TopicState, member: number): number {
  const quota = s.perConsumer + (s.extraLeft > 0 ? 1 : 0);
  return Math.max(0, quota - (s.assignedCount.get(member) ?? 0));
}

function give(s: TopicState, member: number, partitions: number[], owner: Int32Array): void {
  for (const p of partitions) {
    owner[p] = member;
    s.unassigned.delete(p);
  }
  const n = (s.assignedCount.get(member) ?? 0) + partitions.length;
  s.assignedCount.set(member, n);
  if (n > s.perConsumer) s.extraLeft--;
}

/** A member without a rack matches everything; a partition without known racks matches no racked member. */
function racksMatch(model: GroupModel, member: ModelMember, p: number): boolean {
  if (member.rackId === null) return true;
  const t = model.topics[model.topicOf[p]];
  const racks = t.racks === null ? null : t.racks[p - t.start];
  return racks !== null && racks.has(member.rackId);
}

function assignRanges(s: TopicState, owner: Int32Array, mayAssign: (m: ModelMember, p: number) => boolean): void {
  for (const c of s.consumers) {
    if (s.unassigned.size === 0) break;
    const limit = maxAssignable(s, c.index);
    if (limit === 0) continue;
    const take: number[] = [];
    for (const p of s.unassigned) {
      if (take.length >= limit) break;
      if (mayAssign(c, p)) take.push(p);
    }
    if (take.length > 0) give(s, c.index, take, owner);
  }
}

/** KIP-881's condition: racks known on both sides, overlapping, and not every partition on every rack. */
function needsRackMatching(model: GroupModel, topic: number, consumers: ModelMember[]): boolean {
  const t = model.topics[topic];
  if (t.racks === null) return false;
  const memberRacks = new Set(consumers.map((c) => c.rackId).filter((r): r is string => r !== null));
  if (memberRacks.size === 0) return false;
  const all = new Set<string>();
  for (const r of t.racks) if (r !== null) for (const x of r) all.add(x);
  if (![...memberRacks].some((r) => all.has(r))) return false;
  return t.racks.some((r) => r === null || r.size !== all.size);
}

/** Co-partitioned topics (same subscribers, same partition count): partition i of all of them goes to one member. */
function assignCoPartitionedWithRacks(model: GroupModel, states: TopicState[], owner: Int32Array): void {
  const consumers = states[0].consumers;
  const remaining = new Set(consumers);
  const n = model.topics[states[0].topic].partitionIds.length;
  for (let i = 0; i < n && remaining.size > 0; i++) {
    let chosen: ModelMember | undefined;
    for (const c of remaining) {
      if (states.every((s) => racksMatch(model, c, model.topics[s.topic].start + i) && maxAssignable(s, c.index) > 0)) {
        chosen = c;
        break;
      }
    }
    if (chosen === undefined) continue;
    for (const s of states) give(s, chosen.index, [model.topics[s.topic].start + i], owner);
    const c = chosen;
    if (states.every((s) => maxAssignable(s, c.index) === 0)) remaining.delete(c);
  }
}

function assignRange(input: AssignmentInput): GroupAssignment {
  const model = buildGroupModel(input);
  const owner = new Int32Array(model.partitionCount).fill(-1);
  const states: TopicState[] = [];
  model.topics.forEach((t, ti) => {
    if (t.partitionIds.length === 0 || t.subscribers.length === 0) return;
    const consumers = t.subscribers.map((m) => model.members[m]).sort(compareMembersStaticFirst);
    const n = t.partitionIds.length;
    const unassigned = new Set<number>();
    for (let i = 0; i < n; i++) unassigned.add(t.start + i);
    states.push({
      topic: ti,
      consumers,
      unassigned,
      assignedCount: new Map(),
      perConsumer: Math.floor(n / consumers.length),
      extraLeft: n % consumers.length,
      needsRackMatching: needsRackMatching(model, ti, consumers),
    });
  });

  if (states.some((s) => s.needsRackMatching)) {
    // Group by (same subscribers in the same order, same partition count): those are co-partitioned.
    const groups = new Map<string, TopicState[]>();
    for (const s of states) {
      const key = `${model.topics[s.topic].partitionIds.length}|${s.consumers.map((c) => c.index).join(',')}`;
      const g = groups.get(key);
      if (g === undefined) groups.set(key, [s]);
      else g.push(s);
    }
    for (const g of groups.values()) {
      if (g.length > 1) assignCoPartitionedWithRacks(model, g, owner);
      else if (g[0].needsRackMatching) assignRanges(g[0], owner, (c, p) => racksMatch(model, c, p));
    }
  }
  for (const s of states) assignRanges(s, owner, () => true);
  return assignmentFromOwners(model, owner);
}

export const rangeAssignor: Assignor = {
  name: 'range',
  rebalanceProtocols: ['EAGER'],
  subscriptionUserData: () => null,
  assign: assignRange,
};
