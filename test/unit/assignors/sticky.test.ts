// Worked examples for "sticky" (eager, previous assignment in the user data) and "cooperative-sticky".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assignors,
  decodeCooperativeStickyUserData,
  decodeStickyUserData,
  encodeStickyUserData,
} from '../../../src/consumer/group/assignors/index.js';
import type { AssignorMember } from '../../../src/consumer/group/assignors/index.js';
import type { TopicPartitions } from '../../../src/protocol/consumer-protocol.js';
import { checkAssignment } from '../../support/assignment-check.js';

const ALL = ['t0', 't1', 't2', 't3'];
const FOUR_TOPICS: [string, number][] = ALL.map((t) => [t, 2]);
const tp = (s: string): TopicPartitions[] => {
  // "t0p0 t1p1" -> [{t0,[0]},{t1,[1]}]
  const m = new Map<string, number[]>();
  for (const x of s.split(/\s+/).filter(Boolean)) {
    const [, t, p] = /^(.+)p(\d+)$/.exec(x)!;
    m.set(t, [...(m.get(t) ?? []), Number(p)]);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
};
const eager = (memberId: string, owned: string | null, generation: number, topics = ALL): AssignorMember => ({
  memberId,
  topics,
  userData: assignors.sticky.subscriptionUserData({ ownedPartitions: owned === null ? null : tp(owned), generationId: generation }),
  ownedPartitions: [],
});
const sticky = (members: AssignorMember[], ppt: [string, number][] = FOUR_TOPICS, warnings?: string[]) =>
  Object.fromEntries(assignors.sticky.assign({ members, partitionsPerTopic: new Map(ppt), onWarning: (w) => warnings?.push(w) }));

test("KIP-54's example: three members, then C1 leaves and only C1's partitions move", () => {
  const first = sticky([eager('C0', null, -1), eager('C1', null, -1), eager('C2', null, -1)]);
  assert.deepEqual(first, { C0: tp('t0p0 t1p1 t3p0'), C1: tp('t0p1 t2p0 t3p1'), C2: tp('t1p0 t2p1') });
  // C1 is gone. C0 and C2 keep everything; C1's three are shared out, least loaded first.
  const second = sticky([eager('C0', 't0p0 t1p1 t3p0', 1), eager('C2', 't1p0 t2p1', 1)]);
  assert.deepEqual(second, { C0: tp('t0p0 t1p1 t2p0 t3p0'), C2: tp('t0p1 t1p0 t2p1 t3p1') });
});

test('a member joins: each of the others gives up one, nothing else moves', () => {
  // 8 partitions, 3 members: quotas 3, 3, 2. C0 and C2 keep their first three; their fourth goes to C3.
  const result = sticky([eager('C0', 't0p0 t1p1 t2p0 t3p0', 2), eager('C2', 't0p1 t1p0 t2p1 t3p1', 2), eager('C3', null, -1)]);
  assert.deepEqual(result, { C0: tp('t0p0 t1p1 t2p0'), C2: tp('t0p1 t1p0 t2p1'), C3: tp('t3p0 t3p1') });
});

test('a member that unsubscribes a topic loses its partitions of that topic, to members that want them', () => {
  const result = sticky([eager('A', 't0p0 t0p1 t1p0', 3, ['t1']), eager('B', 't1p1', 3, ['t0', 't1'])], [['t0', 2], ['t1', 2]]);
  // A keeps t1p0; t0 goes to B, the only member subscribed; balance then moves t1p1 to A (2 and 2).
  assert.deepEqual(result, { A: tp('t1p0 t1p1'), B: tp('t0p0 t0p1') });
});

test('claims: the newest generation wins; a tie at the newest generation trusts nobody', () => {
  const warnings: string[] = [];
  // p0 claimed by A (gen 5) and B (gen 4): A keeps it. p1 claimed by A and C, both gen 5: neither is trusted;
  // it goes to the least loaded member.
  const result = sticky(
    [
      { memberId: 'A', topics: ['t'], userData: encodeStickyUserData(tp('tp0 tp1'), 5) },
      { memberId: 'B', topics: ['t'], userData: encodeStickyUserData(tp('tp0 tp2'), 4) },
      { memberId: 'C', topics: ['t'], userData: encodeStickyUserData(tp('tp1'), 5) },
    ],
    [['t', 3]],
    warnings,
  );
  assert.deepEqual(result, { A: tp('tp0'), B: tp('tp2'), C: tp('tp1') });
  assert.deepEqual(warnings, [
    'partitions claimed by two members in the same generation, owner not trusted: t-1',
    'partitions also claimed by a member of an older generation, the newest claim kept: t-0',
  ]);
});

test('sticky user data: v1 bytes as Java writes them; v0 still read; anything else is no previous assignment', () => {
  const v1 = encodeStickyUserData([{ topic: 't', partitions: [1, 0] }], 3);
  assert.equal(v1.toString('hex'), '00000001' + '0001' + '74' + '00000002' + '00000000' + '00000001' + '00000003');
  assert.deepEqual(decodeStickyUserData(v1), { partitions: [{ topic: 't', partitions: [0, 1] }], generation: 3 });
  const v0 = v1.subarray(0, v1.length - 4);
  assert.deepEqual(decodeStickyUserData(v0), { partitions: [{ topic: 't', partitions: [0, 1] }], generation: null });
  assert.equal(decodeStickyUserData(Buffer.from('garbage!')), null);

  const warnings: string[] = [];
  const result = sticky([{ memberId: 'A', topics: ['t'], userData: Buffer.from('garbage!') }, { memberId: 'B', topics: ['t'], userData: v0 }], [['t', 2]], warnings);
  assert.deepEqual(result, { A: tp('tp1'), B: tp('tp0') }); // B keeps one of its v0 claims (its quota is 1)
  assert.deepEqual(warnings, ['member "A": user data is not sticky assignor data; treated as owning nothing']);

  // No user data before the first assignment, as Java.
  assert.equal(assignors.sticky.subscriptionUserData({ ownedPartitions: null, generationId: -1 }), null);
});

// --- cooperative-sticky

const coop = (members: AssignorMember[], ppt: [string, number][]) =>
  assignors['cooperative-sticky'].assign({ members, partitionsPerTopic: new Map(ppt) });
const member = (memberId: string, topics: string[], owned: string, generationId: number): AssignorMember => ({
  memberId,
  topics,
  ownedPartitions: tp(owned),
  generationId,
});

test('cooperative: a joining member gets moved partitions only in the follow-up rebalance', () => {
  const round1 = coop([member('A', ['t'], 'tp0 tp1 tp2 tp3 tp4 tp5', 3), member('B', ['t'], '', -1)], [['t', 6]]);
  // A keeps three and gives up three; nobody gets those yet.
  assert.deepEqual(Object.fromEntries(round1), { A: tp('tp0 tp1 tp2'), B: [] });
  // A revoked tp3..tp5 and rejoined; now they are free and B gets them.
  const round2 = coop([member('A', ['t'], 'tp0 tp1 tp2', 4), member('B', ['t'], '', 4)], [['t', 6]]);
  assert.deepEqual(Object.fromEntries(round2), { A: tp('tp0 tp1 tp2'), B: tp('tp3 tp4 tp5') });
});

test('cooperative: a partition claimed by two members stays with the one that keeps it; the other revokes', () => {
  // Same generation: neither claim is trusted, A (least loaded, first) gets tp0, and since A claims it, it is
  // handed to A now; B, which is not assigned tp0, must revoke it.
  const a = coop([member('A', ['t'], 'tp0', 5), member('B', ['t'], 'tp0 tp1', 5), member('C', ['t'], '', 5)], [['t', 2]]);
  assert.deepEqual(Object.fromEntries(a), { A: tp('tp0'), B: tp('tp1'), C: [] });
});

test('cooperative: claims from an older generation block a transfer until given up (KAFKA-12984)', () => {
  // B (generation 4) still lists tp0, which A (generation 5) owns now: A's claim is the trusted one. Quotas are 1
  // each: A keeps tp0 and must give up tp1, dealt to B - but A still owns tp1, so B gets it only in the follow-up
  // rebalance. tp2, owned by nobody, goes to C at once.
  const members = [member('A', ['t'], 'tp0 tp1', 5), member('B', ['t'], 'tp0', 4), member('C', ['t'], '', -1)];
  const a = coop(members, [['t', 3]]);
  assert.deepEqual(Object.fromEntries(a), { A: tp('tp0'), B: [], C: tp('tp2') });
  assert.deepEqual(checkAssignment(members, a, 'COOPERATIVE'), []);
  // Generations from the user data (subscription v0/v1, no generation field): the same outcome.
  const old = members.map((m) => ({ ...m, generationId: -1, userData: assignors['cooperative-sticky'].subscriptionUserData({ ownedPartitions: null, generationId: m.generationId! }) }));
  assert.deepEqual(coop(old, [['t', 3]]), a);
});

test('cooperative: a partition of a topic its owner unsubscribed is revoked first, then reassigned', () => {
  const round1 = coop([member('A', ['t0'], 't1p0 t0p0', 2), member('B', ['t1'], '', 2)], [['t0', 1], ['t1', 1]]);
  assert.deepEqual(Object.fromEntries(round1), { A: tp('t0p0'), B: [] });
  const round2 = coop([member('A', ['t0'], 't0p0', 3), member('B', ['t1'], '', 3)], [['t0', 1], ['t1', 1]]);
  assert.deepEqual(Object.fromEntries(round2), { A: tp('t0p0'), B: tp('t1p0') });
});

test('cooperative-sticky user data: the generation as an int32, -1 before any assignment', () => {
  const none = assignors['cooperative-sticky'].subscriptionUserData({ ownedPartitions: null, generationId: -1 });
  assert.equal(none!.toString('hex'), 'ffffffff');
  const seven = assignors['cooperative-sticky'].subscriptionUserData({ ownedPartitions: [], generationId: 7 });
  assert.equal(seven!.toString('hex'), '00000007');
  assert.equal(decodeCooperativeStickyUserData(seven!), 7);
  assert.equal(decodeCooperativeStickyUserData(Buffer.from([1])), null);
});

test('checkAssignment reports what a faulty (custom) assignor did', () => {
  const members = [member('A', ['t'], 'tp0', 1), member('B', ['t'], '', 1)];
  const bad = new Map([
    ['A', tp('tp1')],
    ['B', tp('tp0 tp1 xp0')],
    ['Z', []],
  ]);
  assert.deepEqual(checkAssignment(members, bad, 'COOPERATIVE'), [
    'partition t-0 goes to "B" while "A" still owns it',
    'partition t-1 is assigned to both "A" and "B"',
    'member "B" is assigned topic "x" it does not subscribe to',
    'assignment names "Z", which is not a member',
  ]);
  assert.deepEqual(checkAssignment(members, new Map([['A', []]]), 'EAGER'), ['member "B" has no assignment']);
});
