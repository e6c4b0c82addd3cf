// "cooperative-sticky" (KIP-429): the sticky assignment, run under the COOPERATIVE protocol. Members keep
// consuming what they own during a rebalance and report it in the Subscription's ownedPartitions (v1+), with the
// generation it came from (v2+; older members put the generation in the user data, an int32, which is what this
// assignor writes there too, as Java's CooperativeStickyAssignor does).
//
// The rule that makes it safe: a partition that moves from member A to member B is, in this rebalance, only taken
// from A - it appears in nobody's assignment. A revokes it (committing first) and, because it lost something,
// rejoins at once; in that follow-up rebalance nobody claims the partition any more and B gets it. So no moment
// exists where A and B both think they own it.
//
// "Claimed" here means listed in any member's ownedPartitions, whatever its generation and whether or not its claim
// was trusted for stickiness: a member of an older generation that still lists a partition may still be fetching
// it, so the partition goes to no one else until that member has given it up.

import { Reader, Writer } from '../../../protocol/primitives.js';
import {
  type AssignmentInput,
  type Assignor,
  type AssignorMember,
  type GroupAssignment,
  type GroupModel,
  type MemberOwnState,
  assignmentFromOwners,
  buildGroupModel,
  partitionIndex,
} from './assignor.js';
import { type MemberClaims, stickyAssign } from './sticky-core.js';

/** The CooperativeStickyAssignor user data: one int32, the generation of the member's owned partitions. */
export function encodeCooperativeStickyUserData(generation: number): Buffer {
  return new Writer(4).int32(generation).finish();
}

/** The generation in cooperative-sticky user data; null when there are fewer than 4 bytes. */
export function decodeCooperativeStickyUserData(bytes: Uint8Array): number | null {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) return null;
  return new Reader(buf).int32();
}

function cooperativeClaims(m: AssignorMember): MemberClaims {
  const partitions = m.ownedPartitions ?? [];
  // Subscription v2+ carries the generation itself (negative: none).
  if (m.generationId !== undefined && m.generationId >= 0) return { partitions, generation: m.generationId };
  if (m.userData == null) return { partitions, generation: -1 };
  // Unreadable user data counts as generation -1, the oldest, as in Java.
  return { partitions, generation: decodeCooperativeStickyUserData(m.userData) ?? -1 };
}

/**
 * Removes from the assignment every partition that goes to a member which does not claim it while another member
 * does: it is being revoked from that other member in this round and is assigned in the next. A partition its new
 * owner already claims stays (if someone else claims it too, that one is told to give it up; holding it back would
 * only add churn). Returns how many were held back.
 */
export function holdBackTransfers(model: GroupModel, owner: Int32Array): number {
  const claimedBy: number[][] = Array.from({ length: model.partitionCount }, () => []);
  for (const m of model.members) {
    for (const { topic, partitions } of m.source.ownedPartitions ?? []) {
      for (const id of partitions) {
        const p = partitionIndex(model, topic, id);
        if (p >= 0) claimedBy[p].push(m.index);
      }
    }
  }
  let held = 0;
  for (let p = 0; p < model.partitionCount; p++) {
    const claimants = claimedBy[p];
    if (owner[p] < 0 || claimants.length === 0 || claimants.includes(owner[p])) continue;
    owner[p] = -1;
    held++;
  }
  return held;
}

function assignCooperativeSticky(input: AssignmentInput): GroupAssignment {
  const model = buildGroupModel(input);
  const claims = model.members.map((m) => cooperativeClaims(m.source));
  const owner = stickyAssign(model, claims);
  holdBackTransfers(model, owner);
  return assignmentFromOwners(model, owner);
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  // Java lists COOPERATIVE first; order carries no meaning, the highest common protocol is chosen (index.ts).
  rebalanceProtocols: ['COOPERATIVE', 'EAGER'],
  subscriptionUserData(state: MemberOwnState): Buffer | null {
    return encodeCooperativeStickyUserData(state.generationId);
  },
  assign: assignCooperativeSticky,
};
