// The properties every group assignment must have, checked from the assignor's input alone (written independently of
// the assignors' code): the unit tests of the assignors and the interop tests against Java's assignors use it.

import type { AssignorMember, GroupAssignment, RebalanceProtocol } from '../../src/consumer/group/assignors/index.js';
import { normalizeTopicPartitions } from '../../src/protocol/consumer-protocol.js';

/**
 * Checks an assignment produced by an assignor: every member has an entry, every partition goes to a member
 * subscribed to its topic and to one member only, and - under COOPERATIVE - no member receives a partition that
 * another member still claims. Returns the problems found (empty: fine).
 */
export function checkAssignment(
  members: readonly AssignorMember[],
  assignment: GroupAssignment,
  protocol: RebalanceProtocol,
): string[] {
  const problems: string[] = [];
  const ownerOf = new Map<string, string>();
  const claimsOf = new Map<string, Set<string>>();
  const key = (t: string, p: number): string => `${t}-${p}`;
  for (const m of members) {
    const owned = new Set<string>();
    for (const tp of m.ownedPartitions ?? []) for (const p of tp.partitions) owned.add(key(tp.topic, p));
    claimsOf.set(m.memberId, owned);
  }
  for (const m of members) {
    const list = assignment.get(m.memberId);
    if (list === undefined) {
      problems.push(`member ${JSON.stringify(m.memberId)} has no assignment`);
      continue;
    }
    const topics = new Set(m.topics);
    for (const tp of normalizeTopicPartitions(list, `assignment of ${m.memberId}`)) {
      if (!topics.has(tp.topic)) problems.push(`member ${JSON.stringify(m.memberId)} is assigned topic ${JSON.stringify(tp.topic)} it does not subscribe to`);
      for (const p of tp.partitions) {
        const k = key(tp.topic, p);
        const other = ownerOf.get(k);
        if (other !== undefined) problems.push(`partition ${k} is assigned to both ${JSON.stringify(other)} and ${JSON.stringify(m.memberId)}`);
        ownerOf.set(k, m.memberId);
        if (protocol === 'COOPERATIVE' && !claimsOf.get(m.memberId)!.has(k)) {
          for (const [id, owned] of claimsOf) {
            if (id !== m.memberId && owned.has(k)) {
              problems.push(`partition ${k} goes to ${JSON.stringify(m.memberId)} while ${JSON.stringify(id)} still owns it`);
            }
          }
        }
      }
    }
  }
  for (const id of assignment.keys()) {
    if (!claimsOf.has(id)) problems.push(`assignment names ${JSON.stringify(id)}, which is not a member`);
  }
  return problems;
}
