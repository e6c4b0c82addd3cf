// Shared by the assignor tests: a seeded PRNG, a random group generator and checkers written independently of the
// assignors' own code (they recompute everything from the input).
import assert from 'node:assert/strict';
import type { AssignorMember, GroupAssignment, PartitionInfo } from '../../../src/consumer/group/assignors/index.js';
import type { TopicPartitions } from '../../../src/protocol/consumer-protocol.js';
export { prng } from '../../support/prng.js';

export const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
export const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

export type Key = string;
export const key = (topic: string, p: number): Key => `${topic}:${p}`;

export function flatten(list: readonly TopicPartitions[] | undefined): Key[] {
  const out: Key[] = [];
  for (const tp of list ?? []) for (const p of tp.partitions) out.push(key(tp.topic, p));
  return out;
}

export function group(keys: Iterable<Key>): TopicPartitions[] {
  const m = new Map<string, number[]>();
  for (const k of keys) {
    const i = k.lastIndexOf(':');
    const t = k.slice(0, i);
    const list = m.get(t) ?? [];
    list.push(Number(k.slice(i + 1)));
    m.set(t, list);
  }
  return [...m.entries()].map(([topic, partitions]) => ({ topic, partitions }));
}

export interface RandomGroup {
  members: AssignorMember[];
  partitionsPerTopic: Map<string, number>;
  identical: boolean;
}

/**
 * A random group: 1..20 members, 1..5 topics of 1..64 partitions, random subscriptions (identical for about half
 * the groups), some static members, and a random previous ownership: mostly from one generation, some claims from
 * an older one, some partitions claimed twice, some claims on topics no longer subscribed.
 */
export function randomGroup(rnd: () => number, opts: { maxMembers?: number; maxTopics?: number; maxPartitions?: number } = {}): RandomGroup {
  const topicCount = int(rnd, 1, opts.maxTopics ?? 5);
  const partitionsPerTopic = new Map<string, number>();
  const topics: string[] = [];
  for (let i = 0; i < topicCount; i++) {
    const name = `t${i}`;
    topics.push(name);
    partitionsPerTopic.set(name, int(rnd, 1, opts.maxPartitions ?? 64));
  }
  const memberCount = int(rnd, 1, opts.maxMembers ?? 20);
  const identical = rnd() < 0.5;
  const common = topics.filter(() => rnd() < 0.7);
  if (common.length === 0) common.push(pick(rnd, topics));
  const generation = int(rnd, 1, 10);
  const members: AssignorMember[] = [];
  const ids = new Set<string>();
  while (members.length < memberCount) {
    const memberId = `consumer-${Math.floor(rnd() * 1e6).toString(36)}`;
    if (ids.has(memberId)) continue;
    ids.add(memberId);
    let subs = identical ? common : topics.filter(() => rnd() < 0.5);
    if (subs.length === 0) subs = [pick(rnd, topics)];
    members.push({
      memberId,
      groupInstanceId: rnd() < 0.3 ? `instance-${members.length}` : null,
      topics: subs,
      ownedPartitions: [],
      generationId: rnd() < 0.15 ? generation - 1 : rnd() < 0.05 ? -1 : generation,
    });
  }
  // Previous ownership.
  const owned = new Map<string, Key[]>(members.map((m) => [m.memberId, []]));
  for (const [t, n] of partitionsPerTopic) {
    for (let p = 0; p < n; p++) {
      const r = rnd();
      if (r < 0.25) continue; // nobody owns it (new partition, or its owner left)
      const holder = pick(rnd, members);
      owned.get(holder.memberId)!.push(key(t, p));
      if (rnd() < 0.05 && members.length > 1) {
        const other = pick(rnd, members);
        if (other !== holder) owned.get(other.memberId)!.push(key(t, p)); // a second claimant
      }
    }
  }
  for (const m of members) m.ownedPartitions = group(owned.get(m.memberId)!);
  return { members, partitionsPerTopic, identical };
}

/** Every partition of a subscribed topic assigned exactly once, only to a subscriber; every member present. */
export function checkComplete(members: readonly AssignorMember[], ppt: ReadonlyMap<string, number | readonly PartitionInfo[]>, a: GroupAssignment, allowMissing = false): Map<Key, string> {
  assert.equal(a.size, members.length, 'one entry per member');
  const owner = new Map<Key, string>();
  for (const m of members) {
    const list = a.get(m.memberId);
    assert.ok(list !== undefined, `member ${m.memberId} has an assignment`);
    const topics = new Set(m.topics);
    for (const k of flatten(list)) {
      const t = k.slice(0, k.lastIndexOf(':'));
      assert.ok(topics.has(t), `${m.memberId} got ${k} but does not subscribe to ${t}`);
      assert.ok(!owner.has(k), `${k} assigned to ${owner.get(k)} and ${m.memberId}`);
      owner.set(k, m.memberId);
    }
  }
  const subscribed = new Set(members.flatMap((m) => m.topics));
  for (const [t, spec] of ppt) {
    if (!subscribed.has(t)) continue;
    const ids = typeof spec === 'number' ? Array.from({ length: spec }, (_, i) => i) : spec.map((p) => p.partition);
    for (const p of ids) if (!allowMissing) assert.ok(owner.has(key(t, p)), `${key(t, p)} is assigned`);
  }
  return owner;
}

export function counts(members: readonly AssignorMember[], a: GroupAssignment): Map<string, number> {
  return new Map(members.map((m) => [m.memberId, flatten(a.get(m.memberId)).length]));
}

/** Java's balance: no partition on a member with >= 2 more than another member subscribed to its topic. */
export function checkBalanced(members: readonly AssignorMember[], a: GroupAssignment): void {
  const c = counts(members, a);
  for (const m of members) {
    for (const k of flatten(a.get(m.memberId))) {
      const t = k.slice(0, k.lastIndexOf(':'));
      for (const o of members) {
        if (o.topics.includes(t)) {
          assert.ok(c.get(m.memberId)! - c.get(o.memberId)! < 2, `${k} on ${m.memberId} (${c.get(m.memberId)}) could move to ${o.memberId} (${c.get(o.memberId)})`);
        }
      }
    }
  }
  // Consequence worth stating on its own: same subscription, max - min <= 1.
  const bySub = new Map<string, number[]>();
  for (const m of members) {
    const s = [...new Set(m.topics)].sort().join(',');
    bySub.set(s, [...(bySub.get(s) ?? []), c.get(m.memberId)!]);
  }
  for (const [s, cs] of bySub) assert.ok(Math.max(...cs) - Math.min(...cs) <= 1, `members subscribed to ${s}: counts ${cs.join(',')}`);
}

/**
 * The trusted previous owner of each partition, recomputed: claims on existing partitions of subscribed topics;
 * highest generation wins; a tie at the highest generation trusts nobody.
 */
export function trustedOwners(members: readonly AssignorMember[], ppt: ReadonlyMap<string, number>): Map<Key, string> {
  const best = new Map<Key, { gen: number; ids: Set<string> }>();
  for (const m of members) {
    const gen = m.generationId ?? -1;
    for (const k of new Set(flatten(m.ownedPartitions))) {
      const i = k.lastIndexOf(':');
      const t = k.slice(0, i);
      const p = Number(k.slice(i + 1));
      if (!m.topics.includes(t) || !(p < (ppt.get(t) ?? 0))) continue;
      const b = best.get(k);
      if (b === undefined || gen > b.gen) best.set(k, { gen, ids: new Set([m.memberId]) });
      else if (gen === b.gen) b.ids.add(m.memberId);
    }
  }
  const out = new Map<Key, string>();
  for (const [k, b] of best) if (b.ids.size === 1) out.set(k, [...b.ids][0]);
  return out;
}

export function retained(trusted: ReadonlyMap<Key, string>, owner: ReadonlyMap<Key, string>): number {
  let n = 0;
  for (const [k, m] of trusted) if (owner.get(k) === m) n++;
  return n;
}

/** With identical subscriptions: the most previously owned partitions any balanced assignment can keep. */
export function optimalRetained(members: readonly AssignorMember[], total: number, trusted: ReadonlyMap<Key, string>): number {
  const q = Math.floor(total / members.length);
  let r = total % members.length;
  const owned = new Map<string, number>(members.map((m) => [m.memberId, 0]));
  for (const m of trusted.values()) owned.set(m, owned.get(m)! + 1);
  let best = 0;
  let above = 0;
  for (const o of owned.values()) {
    best += Math.min(o, q);
    if (o > q) above++;
  }
  r = Math.min(r, above);
  return best + r;
}
