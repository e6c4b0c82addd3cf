// Writing a consumer group's committed offsets from outside the group, as Kafka's Admin.alterConsumerGroupOffsets
// does: one OffsetCommit at the group's coordinator with no member (generation or member epoch -1, member id '').
// The coordinator accepts that only while the group has no members (Empty, or a group that does not exist yet); the
// caller checks the state first so the refusal can name the members.

import { KafkaError } from '../errors.js';
import { ApiKey, ErrorCode, kafkaError } from '../protocol/index.js';
import { CoordinatorType } from '../cluster/coordinator.js';
import { withRetries } from '../cluster/retry.js';
import type { GroupContext } from './groups.js';

/** One partition's new committed offset, for alterGroupOffsets(). */
export interface GroupOffsetToWrite {
  topic: string;
  partition: number;
  offset: bigint;
  /** Stored with the offset; null (the default) for none. */
  metadata?: string | null;
}

/**
 * Commits the offsets for the group at its coordinator. Version 9 at most: version 10 names topics by id (KIP-516),
 * and the caller names them. A partition the coordinator refuses fails the call with its KafkaError (the first one);
 * retriable refusals (coordinator moved or loading) are retried until the deadline.
 */
export async function alterGroupOffsets(ctx: GroupContext, groupId: string, offsets: readonly GroupOffsetToWrite[], deadline: number): Promise<void> {
  if (offsets.length === 0) return;
  const coordinator = ctx.cluster.coordinator(CoordinatorType.GROUP, groupId);
  const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (list === undefined) byTopic.set(o.topic, (list = []));
    list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null });
  }
  const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  await withRetries(async () => {
    const r = await coordinator.request(ApiKey.OffsetCommit, {
      groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics,
    }, { maxVersion: 9, deadline });
    let retriable: KafkaError | undefined;
    for (const t of r.topics) {
      for (const p of t.partitions) {
        const code = coordinator.note(p.errorCode);
        if (code === ErrorCode.NONE) continue;
        const err = kafkaError(code, `OffsetCommit ${t.name}[${p.partitionIndex}] for group '${groupId}'`, null, { topic: t.name, group: groupId });
        if (!err.retriable) throw err;
        retriable ??= err;
      }
    }
    if (retriable !== undefined) throw retriable;
  }, { ...ctx.retry, what: `OffsetCommit for group '${groupId}'`, deadline });
}
