// Property tests over random groups (seeded, so a failure names a seed that reproduces it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignors, encodeStickyUserData } from '../../../src/consumer/group/assignors/index.js';
import { checkAssignment } from '../../support/assignment-check.js';
import type { AssignorMember, GroupAssignment } from '../../../src/consumer/group/assignors/index.js';
import {
  checkBalanced,
  checkComplete,
  counts,
  flatten,
  optimalRetained,
  prng,
  randomGroup,
  retained,
  trustedOwners,
} from './helpers.js';

const RUNS = Number(process.env.GREGOR_PROPERTY_RUNS ?? 300);

function forEachGroup(name: string, fn: (g: ReturnType<typeof randomGroup>, seed: number) => void): void {
  for (let seed = 1; seed <= RUNS; seed++) {
    const g = randomGroup(prng(seed));
    try {
      fn(g, seed);
    } catch (err) {
      (err as Error).message = `${name}, seed ${seed}: ${(err as Error).message}`;
      throw err;
    }
  }
}

const total = (ppt: Map<string, number>, members: readonly AssignorMember[]): number => {
  const subscribed = new Set(members.flatMap((m) => m.topics));
  let n = 0;
  for (const [t, c] of ppt) if (subscribed.has(t)) n += c;
  return n;
};

test('range: complete, and per topic contiguous ranges that differ by at most one', () => {
  forEachGroup('range', (g) => {
    const a = assignors.range.assign({ members: g.members, partitionsPerTopic: g.partitionsPerTopic });
    checkComplete(g.members, g.partitionsPerTopic, a);
    for (const [t, n] of g.partitionsPerTopic) {
      const subs = g.members.filter((m) => m.topics.includes(t));
      if (subs.length === 0) continue;
      const sizes = subs.map((m) => {
        const ps = (a.get(m.memberId) ?? []).find((x) => x.topic === t)?.partitions ?? [];
        for (let i = 1; i < ps.length; i++) assert.equal(ps[i], ps[i - 1] + 1, `${m.memberId}'s range of ${t} is contiguous`);
        return ps.length;
      });
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${t}: sizes ${sizes.join(',')}`);
      assert.equal(sizes.reduce((x, y) => x + y, 0), n);
    }
  });
});

test('roundrobin: complete; balanced when subscriptions are identical', () => {
  forEachGroup('roundrobin', (g) => {
    const a = assignors.roundrobin.assign({ members: g.members, partitionsPerTopic: g.partitionsPerTopic });
    checkComplete(g.members, g.partitionsPerTopic, a);
    if (g.identical) {
      const cs = [...counts(g.members, a).values()];
      assert.ok(Math.max(...cs) - Math.min(...cs) <= 1, `counts ${cs.join(',')}`);
    }
  });
});

test('sticky: complete, balanced, maximally sticky (identical subscriptions), stable', () => {
  forEachGroup('sticky', (g) => {
    const a = assignors.sticky.assign({ members: g.members, partitionsPerTopic: g.partitionsPerTopic });
    const owner = checkComplete(g.members, g.partitionsPerTopic, a);
    checkBalanced(g.members, a);
    const trusted = trustedOwners(g.members, g.partitionsPerTopic);
    const kept = retained(trusted, owner);
    if (g.identical) {
      assert.equal(kept, optimalRetained(g.members, total(g.partitionsPerTopic, g.members), trusted), 'retained = optimum');
    }
    // Stable: fed its own result (one generation later), it changes nothing.
    const next = g.members.map((m) => ({ ...m, ownedPartitions: a.get(m.memberId)!, generationId: 100 }));
    assert.deepEqual(assignors.sticky.assign({ members: next, partitionsPerTopic: g.partitionsPerTopic }), a);
  });
});

test('sticky (eager) reads the previous assignment from its user data', () => {
  forEachGroup('sticky user data', (g) => {
    const viaFields = assignors.sticky.assign({ members: g.members, partitionsPerTopic: g.partitionsPerTopic });
    const viaUserData = assignors.sticky.assign({
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        topics: m.topics,
        userData: encodeStickyUserData(m.ownedPartitions ?? [], m.generationId ?? -1),
        ownedPartitions: [], // what an eager member sends after revoking everything
      })),
      partitionsPerTopic: g.partitionsPerTopic,
    });
    assert.deepEqual(viaUserData, viaFields);
  });
});

/** One cooperative round, then the members as they rejoin: owning exactly what they were assigned. */
function rejoin(members: readonly AssignorMember[], a: GroupAssignment, generation: number): AssignorMember[] {
  return members.map((m) => ({ ...m, ownedPartitions: a.get(m.memberId)!, generationId: generation, userData: null }));
}

test('cooperative-sticky: nothing moves to a new owner in the round it leaves the old one; converges', () => {
  forEachGroup('cooperative-sticky', (g) => {
    const input = { members: g.members, partitionsPerTopic: g.partitionsPerTopic };
    const a = assignors['cooperative-sticky'].assign(input);
    const owner = checkComplete(g.members, g.partitionsPerTopic, a, true);
    assert.deepEqual(checkAssignment(g.members, a, 'COOPERATIVE'), []);
    // Every partition not handed out is one that some member claims and is giving up now.
    const claimed = new Set(g.members.flatMap((m) => flatten(m.ownedPartitions)));
    for (const [t, n] of g.partitionsPerTopic) {
      if (!g.members.some((m) => m.topics.includes(t))) continue;
      for (let p = 0; p < n; p++) if (!owner.has(`${t}:${p}`)) assert.ok(claimed.has(`${t}:${p}`), `${t}:${p} held back but unclaimed`);
    }
    // Independently: an assigned partition claimed by someone else is also claimed by its new owner.
    for (const m of g.members) {
      const mine = new Set(flatten(m.ownedPartitions));
      for (const k of flatten(a.get(m.memberId))) {
        if (mine.has(k)) continue;
        for (const o of g.members) if (o !== m) assert.ok(!flatten(o.ownedPartitions).includes(k), `${k} to ${m.memberId} while ${o.memberId} owns it`);
      }
    }
    // The follow-up rebalances complete the assignment; with identical subscriptions in exactly one more round.
    let members = rejoin(g.members, a, 50);
    let result = a;
    let rounds = 0;
    for (; rounds < 6; rounds++) {
      const next = assignors['cooperative-sticky'].assign({ members, partitionsPerTopic: g.partitionsPerTopic });
      assert.deepEqual(checkAssignment(members, next, 'COOPERATIVE'), []);
      const done = JSON.stringify([...next]) === JSON.stringify([...result]);
      result = next;
      if (done) break;
      members = rejoin(members, next, 51 + rounds);
    }
    checkComplete(g.members, g.partitionsPerTopic, result);
    checkBalanced(g.members, result);
    if (g.identical) assert.ok(rounds <= 1, `identical subscriptions converge after one follow-up, took ${rounds}`);
    assert.ok(rounds < 6, 'converges');
  });
});

test('all assignors: same input in another order gives the same output', () => {
  forEachGroup('order', (g, seed) => {
    const rnd = prng(seed * 7919);
    const shuffled = [...g.members].sort(() => rnd() - 0.5).map((m) => ({ ...m, topics: [...m.topics].reverse() }));
    const ppt = new Map([...g.partitionsPerTopic].reverse());
    for (const a of Object.values(assignors)) {
      assert.deepEqual(
        a.assign({ members: shuffled, partitionsPerTopic: ppt }),
        a.assign({ members: g.members, partitionsPerTopic: g.partitionsPerTopic }),
        a.name,
      );
    }
  });
});
