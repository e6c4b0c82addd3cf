// The engine shared by "sticky" (KIP-54) and "cooperative-sticky" (KIP-429): a balanced assignment that keeps as
// many partitions as it can where they already are.
//
// Goals, in priority order (those of Kafka's AbstractStickyAssignor):
//   1. Balance. No partition may sit on a member that has at least 2 more partitions than another member
//      subscribed to that partition's topic. With identical subscriptions that is "max - min <= 1".
//   2. Stickiness. Subject to 1, move as few previously owned partitions as possible.
//   3. (KIP-881) Rack locality as a tie-breaker: among equally good choices, a member in a rack holding a replica.
//
// How:
//   - Previous owners come from the members' claims (ownedPartitions, or the sticky user data of old members) with
//     their generations. A claim on a partition that no longer exists, or of a topic the member no longer
//     subscribes to, is ignored. When several members claim one partition, the highest generation wins (the others
//     missed a rebalance, KAFKA-12984); two claims at the same highest generation cancel out - neither is trusted.
//   - Identical subscriptions (the usual case): the quotas are known, q = floor(P/M) each and r = P mod M members
//     with one more. Each member keeps up to q of its partitions, then one more while extra places last; the rest
//     is dealt to the least loaded members. This keeps the provable maximum, sum(min(owned_i, q)) +
//     min(r, #{owned_i > q}) (the tests check it on random groups), in O(P + M).
//   - Different subscriptions: every member keeps everything it validly owns; the free partitions are handed out
//     most-constrained first (fewest possible members), each to the least loaded member that may take it; then,
//     while some partition sits on a member with at least 2 more than another possible member, it moves to the least
//     loaded possible member, preferring partitions the giver did not own before. Each move lowers the sum of squared
//     loads, so this ends, and when it ends goal 1 holds by definition. This is a heuristic: on small random groups
//     checked exhaustively it keeps the most possible in all but a fraction of a percent of cases (one partition
//     short), and on random groups it keeps more in place than the Java client's assignor.

import type { TopicPartitions } from '../../../protocol/consumer-protocol.js';
import { type GroupModel, partitionIndex, partitionRacks } from './assignor.js';

/** What a member says it owns, and since which generation (-1: unknown, the oldest possible). */
export interface MemberClaims {
  partitions: readonly TopicPartitions[];
  generation: number;
}

const LIST_LIMIT = 10;

function listPartitions(model: GroupModel, ps: number[]): string {
  const shown = ps.slice(0, LIST_LIMIT).map((p) => {
    const t = model.topics[model.topicOf[p]];
    return `${t.name}-${t.partitionIds[p - t.start]}`;
  });
  return shown.join(', ') + (ps.length > LIST_LIMIT ? ` and ${ps.length - LIST_LIMIT} more` : '');
}

/** The trusted previous owner of each partition (-1: none), per the rules in the file comment. */
export function resolvePreviousOwners(model: GroupModel, claims: readonly MemberClaims[]): Int32Array {
  const n = model.partitionCount;
  const owner = new Int32Array(n).fill(-1);
  const gen = new Float64Array(n).fill(-Infinity);
  const tied = new Uint8Array(n);
  const conflicts: number[] = [];
  const stale: number[] = [];
  for (const m of model.members) {
    const c = claims[m.index];
    const subscribed = new Set(m.topics);
    for (const { topic, partitions } of c.partitions) {
      for (const id of partitions) {
        const p = partitionIndex(model, topic, id);
        if (p < 0 || !subscribed.has(model.topicOf[p]) || owner[p] === m.index) continue;
        if (c.generation > gen[p]) {
          if (owner[p] >= 0) stale.push(p);
          owner[p] = m.index;
          gen[p] = c.generation;
          tied[p] = 0;
        } else if (c.generation === gen[p]) {
          tied[p] = 1;
          conflicts.push(p);
        } else {
          stale.push(p);
        }
      }
    }
  }
  for (let p = 0; p < n; p++) if (tied[p] === 1) owner[p] = -1;
  if (conflicts.length > 0) {
    model.warn(`partitions claimed by two members in the same generation, owner not trusted: ${listPartitions(model, [...new Set(conflicts)])}`);
  }
  if (stale.length > 0) {
    model.warn(`partitions also claimed by a member of an older generation, the newest claim kept: ${listPartitions(model, [...new Set(stale)])}`);
  }
  return owner;
}

/** Computes the balanced sticky assignment: an owner (member index) per global partition. */
export function stickyAssign(model: GroupModel, claims: readonly MemberClaims[]): Int32Array {
  const prev = resolvePreviousOwners(model, claims);
  const identical = model.members.length > 0 && model.members.every((m) => m.topics.length === model.topics.length);
  return identical ? assignIdentical(model, prev) : assignGeneral(model, prev);
}

function rackMatcher(model: GroupModel): ((m: number, p: number) => boolean) | null {
  const useRacks = model.members.some((m) => m.rackId !== null) && model.topics.some((t) => t.racks !== null);
  if (!useRacks) return null;
  return (m, p) => {
    const rack = model.members[m].rackId;
    if (rack === null) return false;
    const racks = partitionRacks(model, p);
    return racks !== null && racks.has(rack);
  };
}

/**
 * Every member subscribes to every topic: the quotas are known up front (q = floor(P/M) each, r = P mod M of them
 * one more), so no search is needed. Each member keeps up to q of what it owns, then, while the r extra places
 * last, one more; everything else is dealt, one partition at a time, to the least loaded member (first come first
 * served among equals, a rack match preferred). O(P + M) without racks.
 */
function assignIdentical(model: GroupModel, prev: Int32Array): Int32Array {
  const n = model.partitionCount;
  const members = model.members.length;
  const q = Math.floor(n / members);
  let extra = n % members;
  const owner = new Int32Array(n).fill(-1);
  const count = new Int32Array(members);
  const owned: number[][] = model.members.map(() => []);
  for (let p = 0; p < n; p++) if (prev[p] >= 0) owned[prev[p]].push(p);
  for (let m = 0; m < members; m++) {
    for (let i = 0; i < Math.min(q, owned[m].length); i++) owner[owned[m][i]] = m;
    count[m] = Math.min(q, owned[m].length);
  }
  for (let m = 0; m < members && extra > 0; m++) {
    if (owned[m].length > q) {
      owner[owned[m][q]] = m;
      count[m]++;
      extra--;
    }
  }
  // Members by load level; within a level, in the order they reached it.
  const levels: number[][] = Array.from({ length: q + 2 }, () => []);
  for (let m = 0; m < members; m++) levels[count[m]].push(m);
  const rackMatch = rackMatcher(model);
  let low = 0;
  for (let p = 0; p < n; p++) {
    if (owner[p] >= 0) continue;
    while (levels[low].length === 0) low++;
    const level = levels[low];
    let at = 0;
    if (rackMatch !== null) {
      const i = level.findIndex((m) => rackMatch(m, p));
      if (i > 0) at = i;
    }
    const m = at === 0 ? level.shift()! : level.splice(at, 1)[0];
    owner[p] = m;
    count[m]++;
    levels[count[m]].push(m);
  }
  return owner;
}

/** Different subscriptions: keep all valid ownership, hand out the rest greedily, then move until balanced. */
function assignGeneral(model: GroupModel, prev: Int32Array): Int32Array {
  const n = model.partitionCount;
  const owner = Int32Array.from(prev);
  const count = new Int32Array(model.members.length);
  const parts: Set<number>[] = model.members.map(() => new Set());
  for (let p = 0; p < n; p++) {
    if (owner[p] >= 0) {
      count[owner[p]]++;
      parts[owner[p]].add(p);
    }
  }
  const matcher = rackMatcher(model);
  const useRacks = matcher !== null;
  const rackMatch = matcher ?? (() => false);

  // How many partitions each member could hold at most: among equally loaded members, the one with fewer options
  // takes a partition first, leaving the more flexible ones free for partitions only they can take.
  const potential = model.members.map((m) => m.topics.reduce((n, t) => n + model.topics[t].partitionIds.length, 0));

  // The least loaded member that may take p; ties: fewer options, then rack match, then member order.
  const leastLoaded = (p: number): number => {
    let best = -1;
    let bestRack = false;
    for (const m of model.topics[model.topicOf[p]].subscribers) {
      if (best >= 0) {
        if (count[m] > count[best]) continue;
        if (count[m] === count[best]) {
          if (potential[m] > potential[best]) continue;
          if (potential[m] === potential[best] && (!useRacks || bestRack || !rackMatch(m, p))) continue;
        }
      }
      best = m;
      bestRack = useRacks && rackMatch(m, p);
    }
    return best;
  };
  const move = (p: number, to: number): void => {
    const from = owner[p];
    if (from >= 0) {
      count[from]--;
      parts[from].delete(p);
    }
    owner[p] = to;
    count[to]++;
    parts[to].add(p);
  };

  // Free partitions, most constrained first.
  const free: number[] = [];
  for (let p = 0; p < n; p++) if (owner[p] < 0 && model.topics[model.topicOf[p]].subscribers.length > 0) free.push(p);
  free.sort((a, b) => model.topics[model.topicOf[a]].subscribers.length - model.topics[model.topicOf[b]].subscribers.length || a - b);
  for (const p of free) move(p, leastLoaded(p));

  // Rebalance until no partition can go to a possible member with at least 2 fewer.
  const minCount = new Int32Array(model.topics.length);
  for (;;) {
    model.topics.forEach((t, ti) => {
      let min = Infinity;
      for (const m of t.subscribers) if (count[m] < min) min = count[m];
      minCount[ti] = min === Infinity ? 0 : min;
    });
    let best = -1;
    let bestCost = 0;
    let bestGap = 0;
    let bestRackGain = false;
    for (let a = 0; a < model.members.length; a++) {
      for (const p of parts[a]) {
        const gap = count[a] - minCount[model.topicOf[p]];
        if (gap < 2) continue;
        // Cost 1 when the giver owned p before this rebalance (stickiness lost), 0 when p only just got there.
        const cost = prev[p] === a ? 1 : 0;
        const rackGain = useRacks && !rackMatch(a, p);
        if (
          best < 0 ||
          cost < bestCost ||
          (cost === bestCost && (gap > bestGap || (gap === bestGap && rackGain && !bestRackGain)))
        ) {
          best = p;
          bestCost = cost;
          bestGap = gap;
          bestRackGain = rackGain;
        }
      }
    }
    if (best < 0) break;
    move(best, leastLoaded(best));
  }
  return owner;
}
