// Worked examples for "roundrobin": all partitions, topics by name then partition, dealt around the circle of
// members (static first by group.instance.id, then by member id), skipping members not subscribed to the topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignors } from '../../../src/consumer/group/assignors/index.js';
import type { AssignorMember } from '../../../src/consumer/group/assignors/index.js';

const m = (memberId: string, topics: string[], extra: Partial<AssignorMember> = {}): AssignorMember => ({ memberId, topics, ...extra });
const run = (members: AssignorMember[], ppt: [string, number][]) =>
  Object.fromEntries(assignors.roundrobin.assign({ members, partitionsPerTopic: new Map(ppt) }));

test("the Java docs' example, identical subscriptions: t0p0 t0p1 t0p2 t1p0 t1p1 t1p2 dealt to C0, C1, C0, ...", () => {
  assert.deepEqual(run([m('C1', ['t1', 't0']), m('C0', ['t0', 't1'])], [['t0', 3], ['t1', 3]]), {
    C0: [{ topic: 't0', partitions: [0, 2] }, { topic: 't1', partitions: [1] }],
    C1: [{ topic: 't0', partitions: [1] }, { topic: 't1', partitions: [0, 2] }],
  });
});

test("the Java docs' example, different subscriptions: C0 {t0}, C1 {t0,t1}, C2 {t0,t1,t2}", () => {
  // t0 has 1 partition, t1 2, t2 3. t0p0 -> C0; t1p0: C1; t1p1: C2; t2p0: skip C0, C1 -> C2; t2p1, t2p2 -> C2.
  assert.deepEqual(run([m('C0', ['t0']), m('C1', ['t0', 't1']), m('C2', ['t0', 't1', 't2'])], [['t0', 1], ['t1', 2], ['t2', 3]]), {
    C0: [{ topic: 't0', partitions: [0] }],
    C1: [{ topic: 't1', partitions: [0] }],
    C2: [{ topic: 't1', partitions: [1] }, { topic: 't2', partitions: [0, 1, 2] }],
  });
});

test('different subscriptions can unbalance members with the same subscription (as in Java)', () => {
  // A and B subscribe {t1, t3}, C {t2}; one partition each. t1p0 -> A; t2p0: skip B -> C; t3p0: the circle is
  // back at A. A ends with 2, B with 0 although they subscribe alike: the documented limit of roundrobin.
  assert.deepEqual(run([m('A', ['t1', 't3']), m('B', ['t1', 't3']), m('C', ['t2'])], [['t1', 1], ['t2', 1], ['t3', 1]]), {
    A: [{ topic: 't1', partitions: [0] }, { topic: 't3', partitions: [0] }],
    B: [],
    C: [{ topic: 't2', partitions: [0] }],
  });
});

test('static members first in the circle', () => {
  assert.deepEqual(run([m('a', ['t']), m('b', ['t'], { groupInstanceId: 'static-1' })], [['t', 3]]), {
    b: [{ topic: 't', partitions: [0, 2] }],
    a: [{ topic: 't', partitions: [1] }],
  });
});

test('topic order is by code unit, as Java compares strings, not by locale', () => {
  // "Z" (0x5a) sorts before "a" (0x61).
  assert.deepEqual(run([m('x', ['a', 'Z']), m('y', ['a', 'Z'])], [['a', 1], ['Z', 1]]), {
    x: [{ topic: 'Z', partitions: [0] }],
    y: [{ topic: 'a', partitions: [0] }],
  });
});
