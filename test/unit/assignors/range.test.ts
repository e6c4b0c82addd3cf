// Worked examples for "range", each derived by hand from the rule: per topic, subscribers in order (static
// members by group.instance.id first, then member ids), floor(n/c) each, the first n % c one more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignors } from '../../../src/consumer/group/assignors/index.js';
import type { AssignorMember, PartitionInfo } from '../../../src/consumer/group/assignors/index.js';

const range = assignors.range;
const m = (memberId: string, topics: string[], extra: Partial<AssignorMember> = {}): AssignorMember => ({ memberId, topics, ...extra });
const run = (members: AssignorMember[], ppt: [string, number | PartitionInfo[]][]) =>
  Object.fromEntries(range.assign({ members, partitionsPerTopic: new Map(ppt) }));

test('one topic, 7 partitions, 3 members: 3 + 2 + 2', () => {
  assert.deepEqual(run([m('c3', ['t']), m('c1', ['t']), m('c2', ['t'])], [['t', 7]]), {
    c1: [{ topic: 't', partitions: [0, 1, 2] }],
    c2: [{ topic: 't', partitions: [3, 4] }],
    c3: [{ topic: 't', partitions: [5, 6] }],
  });
});

test("the Java docs' example: two topics of 3, two members; the first member gets the extra of each topic", () => {
  assert.deepEqual(run([m('C0', ['t0', 't1']), m('C1', ['t0', 't1'])], [['t0', 3], ['t1', 3]]), {
    C0: [{ topic: 't0', partitions: [0, 1] }, { topic: 't1', partitions: [0, 1] }],
    C1: [{ topic: 't0', partitions: [2] }, { topic: 't1', partitions: [2] }],
  });
});

test('more members than partitions: the last members get nothing', () => {
  assert.deepEqual(run([m('a', ['t']), m('b', ['t']), m('c', ['t'])], [['t', 2]]), {
    a: [{ topic: 't', partitions: [0] }],
    b: [{ topic: 't', partitions: [1] }],
    c: [],
  });
});

test('per topic: only that topic\'s subscribers share it', () => {
  // t0 (4) shared by a and b; t1 (3) only by b and c.
  assert.deepEqual(run([m('a', ['t0']), m('b', ['t0', 't1']), m('c', ['t1'])], [['t0', 4], ['t1', 3]]), {
    a: [{ topic: 't0', partitions: [0, 1] }],
    b: [{ topic: 't0', partitions: [2, 3] }, { topic: 't1', partitions: [0, 1] }],
    c: [{ topic: 't1', partitions: [2] }],
  });
});

test('static members (KIP-345) come first, by group.instance.id, whatever their member ids', () => {
  const members = [
    m('a-dynamic', ['t']),
    m('z-member', ['t'], { groupInstanceId: 'instance-1' }),
    m('b-member', ['t'], { groupInstanceId: 'instance-2' }),
  ];
  assert.deepEqual(run(members, [['t', 5]]), {
    'z-member': [{ topic: 't', partitions: [0, 1] }],
    'b-member': [{ topic: 't', partitions: [2, 3] }],
    'a-dynamic': [{ topic: 't', partitions: [4] }],
  });
  // The same static member rejoining with a new member id gets the same range.
  members[1] = m('new-id-after-restart', ['t'], { groupInstanceId: 'instance-1' });
  assert.deepEqual(run(members, [['t', 5]])['new-id-after-restart'], [{ topic: 't', partitions: [0, 1] }]);
});

test('a subscribed topic without metadata is skipped, with a warning', () => {
  const warnings: string[] = [];
  const a = range.assign({ members: [m('a', ['t', 'gone'])], partitionsPerTopic: new Map([['t', 1]]), onWarning: (w) => warnings.push(w) });
  assert.deepEqual(a.get('a'), [{ topic: 't', partitions: [0] }]);
  assert.deepEqual(warnings, ['no metadata for subscribed topic(s) "gone": not assigned']);
});

const racked = (racks: string[][]): PartitionInfo[] => racks.map((r, partition) => ({ partition, replicaRacks: r }));

test('KIP-881: with racks, each member gets partitions with a replica in its rack, within its quota', () => {
  // One replica per partition: p0 on r1, p1 on r2, p2 on r3. Plain range would give a:p0, b:p1, c:p2.
  const members = [m('a', ['t'], { rackId: 'r3' }), m('b', ['t'], { rackId: 'r2' }), m('c', ['t'], { rackId: 'r1' })];
  assert.deepEqual(run(members, [['t', racked([['r1'], ['r2'], ['r3']])]]), {
    a: [{ topic: 't', partitions: [2] }],
    b: [{ topic: 't', partitions: [1] }],
    c: [{ topic: 't', partitions: [0] }],
  });
  // Quota still rules: 4 partitions, 2 members; a (r2) first takes the two on r2, b (r1) the two on r1.
  assert.deepEqual(run([m('a', ['t'], { rackId: 'r2' }), m('b', ['t'], { rackId: 'r1' })], [['t', racked([['r1'], ['r1'], ['r2'], ['r2']])]]), {
    a: [{ topic: 't', partitions: [2, 3] }],
    b: [{ topic: 't', partitions: [0, 1] }],
  });
  // 3 partitions, 2 members: quotas 2 and 1, whoever takes the extra first. a (r1) goes first and takes the only
  // partition with a replica on r1 (p2); b (r2) may still take the extra, so it takes p0 and p1.
  assert.deepEqual(run([m('a', ['t'], { rackId: 'r1' }), m('b', ['t'], { rackId: 'r2' })], [['t', racked([['r2'], ['r2'], ['r1', 'r2']])]]), {
    a: [{ topic: 't', partitions: [2] }],
    b: [{ topic: 't', partitions: [0, 1] }],
  });
});

test('KIP-881: co-partitioned topics stay co-partitioned under rack matching', () => {
  const parts = racked([['r1'], ['r2']]);
  const members = [m('a', ['t1', 't2'], { rackId: 'r2' }), m('b', ['t1', 't2'], { rackId: 'r1' })];
  assert.deepEqual(run(members, [['t1', parts], ['t2', parts]]), {
    a: [{ topic: 't1', partitions: [1] }, { topic: 't2', partitions: [1] }],
    b: [{ topic: 't1', partitions: [0] }, { topic: 't2', partitions: [0] }],
  });
});

test('KIP-881: racks that cannot matter leave plain range', () => {
  // Every partition on every rack: rack matching changes nothing, so it is not used.
  const everywhere = racked([['r1', 'r2'], ['r1', 'r2'], ['r1', 'r2']]);
  assert.deepEqual(run([m('a', ['t'], { rackId: 'r2' }), m('b', ['t'], { rackId: 'r1' })], [['t', everywhere]]), {
    a: [{ topic: 't', partitions: [0, 1] }],
    b: [{ topic: 't', partitions: [2] }],
  });
  // Member racks that hold no replica: the same.
  assert.deepEqual(run([m('a', ['t'], { rackId: 'x' }), m('b', ['t'], { rackId: 'y' })], [['t', racked([['r1'], ['r2'], ['r2']])]]), {
    a: [{ topic: 't', partitions: [0, 1] }],
    b: [{ topic: 't', partitions: [2] }],
  });
});
