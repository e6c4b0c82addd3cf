// The admin client's view of share groups (KIP-932): what a share group looks like (ShareGroupDescribe), where it
// starts reading each partition and how far behind it is (DescribeShareGroupOffsets; the lag is KIP-1226's, v1+),
// and moving or forgetting those start offsets (AlterShareGroupOffsets, DeleteShareGroupOffsets). Every call goes to
// the group's coordinator, found with FindCoordinator key type GROUP: a share group is a group like any other to
// the group coordinator (the SHARE key type names one share-partition, for the share coordinator between brokers).
// Admin (admin.ts) exposes these as describeShareGroups(), listShareGroupOffsets(), alterShareGroupOffsets() and
// deleteShareGroupOffsets().

import { KafkaError } from '../errors.js';
import { ApiKey, ErrorCode, kafkaError } from '../protocol/index.js';
import { CoordinatorType, type Coordinator } from '../cluster/coordinator.js';
import { withRetries } from '../cluster/retry.js';
import type { GroupContext, GroupMemberAssignment } from './groups.js';

/** One member of a share group. */
export interface ShareGroupMember {
  memberId: string;
  /** client.rack of the member, or null. */
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  /** The topics the member subscribed to (sorted). */
  subscribedTopics: string[];
  /** Partitions the broker assigned to the member, by topic (sorted). In a share group a partition is usually
   * assigned to several members at once: they share its records. */
  assignment: GroupMemberAssignment[];
}

/** describeShareGroups()'s answer for one group. */
export interface ShareGroupDescription {
  groupId: string;
  /** Empty, Stable (KIP-932's share group states), or 'Dead' for a group that does not exist. */
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  /** The broker's share-group assignor ('simple'). */
  assignor: string;
  /** Node id of the group coordinator. */
  coordinator: number;
  members: ShareGroupMember[];
}

/** A share group's position in one partition (listShareGroupOffsets()). */
export interface ShareGroupOffset {
  topic: string;
  partition: number;
  /** The share-partition start offset: records before it are all acknowledged or archived. */
  startOffset: bigint;
  leaderEpoch: number;
  /** Records from the start offset to the log end not yet acknowledged or archived (KIP-1226); null when the
   * broker does not say (DescribeShareGroupOffsets v0, or not known yet). */
  lag: bigint | null;
}

/** A new start offset for one partition (alterShareGroupOffsets()). */
export interface ShareGroupOffsetSpec {
  topic: string;
  partition: number;
  offset: bigint | number;
}

function sortAssignment(list: GroupMemberAssignment[]): GroupMemberAssignment[] {
  for (const a of list) a.partitions.sort((x, y) => x - y);
  return list.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

function coordinatorFor(ctx: GroupContext, groupId: string): Coordinator {
  return ctx.cluster.coordinator(CoordinatorType.GROUP, groupId);
}

/**
 * One share group, as its coordinator describes it. A group that does not exist comes back with state 'Dead' and no
 * members, as describeGroups() does; a group of another type (classic, consumer) is refused with GROUP_ID_NOT_FOUND
 * naming its type, which the broker says in the error message.
 */
export async function describeShareGroup(ctx: GroupContext, groupId: string, deadline: number): Promise<ShareGroupDescription> {
  const coordinator = coordinatorFor(ctx, groupId);
  return withRetries(async () => {
    const node = await coordinator.node();
    const r = await coordinator.request(ApiKey.ShareGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
    const g = r.groups.find((x) => x.groupId === groupId);
    if (g === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `ShareGroupDescribe '${groupId}': no answer for the group`, null, { retriable: false });
    if (g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND && !isOtherType(g.errorMessage)) {
      return { groupId, state: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignor: '', coordinator: node, members: [] };
    }
    coordinator.check(g.errorCode, `ShareGroupDescribe '${groupId}'`, g.errorMessage);
    return {
      groupId,
      state: g.groupState,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignor: g.assignorName,
      coordinator: node,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        rackId: m.rackId ?? null,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopics: [...m.subscribedTopicNames].sort(),
        assignment: sortAssignment(m.assignment.topicPartitions.map((tp) => ({ topic: tp.topicName, partitions: [...tp.partitions] }))),
      })),
    };
  }, { ...ctx.retry, what: `describing share group '${groupId}'`, deadline });
}

/** The coordinator answers GROUP_ID_NOT_FOUND both for "no such group" and "not a share group" (message says which). */
function isOtherType(message: string | null): boolean {
  return message !== null && /is not a share group/i.test(message);
}

/**
 * The share group's start offset and lag in every partition it has state for (DescribeShareGroupOffsets with all
 * topics, at the coordinator). A partition the group never read from has no state and is not listed.
 */
export async function listShareGroupOffsets(ctx: GroupContext, groupId: string, deadline: number): Promise<ShareGroupOffset[]> {
  const coordinator = coordinatorFor(ctx, groupId);
  return withRetries(async () => {
    const r = await coordinator.request(ApiKey.DescribeShareGroupOffsets, { groups: [{ groupId, topics: null }] });
    const g = r.groups.find((x) => x.groupId === groupId);
    if (g === undefined) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeShareGroupOffsets '${groupId}': no answer for the group`, null, { retriable: false });
    coordinator.check(g.errorCode, `DescribeShareGroupOffsets '${groupId}'`, g.errorMessage);
    const out: ShareGroupOffset[] = [];
    let failure: KafkaError | undefined;
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          failure ??= kafkaError(p.errorCode, `DescribeShareGroupOffsets '${groupId}' ${t.topicName}-${p.partitionIndex}`, p.errorMessage, { topic: t.topicName, group: groupId });
          continue;
        }
        // -1: the share-partition has no state (never initialised, or its offsets were deleted).
        if (p.startOffset < 0n) continue;
        out.push({ topic: t.topicName, partition: p.partitionIndex, startOffset: p.startOffset, leaderEpoch: p.leaderEpoch, lag: p.lag < 0n ? null : p.lag });
      }
    }
    if (failure !== undefined) throw failure;
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }, { ...ctx.retry, what: `DescribeShareGroupOffsets for share group '${groupId}'`, deadline });
}

/**
 * Sets the share group's start offsets (AlterShareGroupOffsets). The group must have no members: the coordinator
 * refuses with NON_EMPTY_GROUP otherwise. Rejects with the first partition's error after the others were set.
 */
export async function alterShareGroupOffsets(ctx: GroupContext, groupId: string, offsets: readonly ShareGroupOffsetSpec[], deadline: number): Promise<void> {
  const coordinator = coordinatorFor(ctx, groupId);
  const byTopic = new Map<string, { partitionIndex: number; startOffset: bigint }[]>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, startOffset: BigInt(o.offset) }]);
  return withRetries(async () => {
    const r = await coordinator.request(ApiKey.AlterShareGroupOffsets, {
      groupId,
      topics: [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions })),
    });
    coordinator.check(r.errorCode, `AlterShareGroupOffsets '${groupId}'`, r.errorMessage);
    for (const t of r.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          throw kafkaError(p.errorCode, `AlterShareGroupOffsets '${groupId}' ${t.topicName}-${p.partitionIndex}`, p.errorMessage, { topic: t.topicName, group: groupId });
        }
      }
    }
  }, { ...ctx.retry, what: `AlterShareGroupOffsets for share group '${groupId}'`, deadline });
}

/**
 * Forgets the share group's state for whole topics (DeleteShareGroupOffsets): the next member to read one starts
 * from `share.auto.offset.reset` again. The group must have no members (NON_EMPTY_GROUP otherwise).
 */
export async function deleteShareGroupOffsets(ctx: GroupContext, groupId: string, topics: readonly string[], deadline: number): Promise<void> {
  const coordinator = coordinatorFor(ctx, groupId);
  return withRetries(async () => {
    const r = await coordinator.request(ApiKey.DeleteShareGroupOffsets, { groupId, topics: topics.map((topicName) => ({ topicName })) });
    coordinator.check(r.errorCode, `DeleteShareGroupOffsets '${groupId}'`, r.errorMessage);
    for (const t of r.responses) {
      if (t.errorCode !== ErrorCode.NONE) {
        throw kafkaError(t.errorCode, `DeleteShareGroupOffsets '${groupId}' topic '${t.topicName}'`, t.errorMessage, { topic: t.topicName, group: groupId });
      }
    }
  }, { ...ctx.retry, what: `DeleteShareGroupOffsets for share group '${groupId}'`, deadline });
}
