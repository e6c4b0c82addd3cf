// partition.assignment.strategy: names, the rebalance protocol rule, and the JoinGroup protocol list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_ASSIGNMENT_STRATEGY,
  assignors,
  chooseRebalanceProtocol,
  getAssignor,
  joinGroupProtocols,
  parseAssignmentStrategy,
} from '../../../src/consumer/group/assignors/index.js';
import type { Assignor } from '../../../src/consumer/group/assignors/index.js';
import { decodeSubscription } from '../../../src/protocol/consumer-protocol.js';
import { ConfigError, isGregorError } from '../../../src/errors.js';

test('wire names are the Java client\'s, and so are the supported rebalance protocols', () => {
  assert.deepEqual(
    Object.values(assignors).map((a) => [a.name, a.rebalanceProtocols]),
    [
      ['range', ['EAGER']],
      ['roundrobin', ['EAGER']],
      ['sticky', ['EAGER']],
      ['cooperative-sticky', ['COOPERATIVE', 'EAGER']],
    ],
  );
  assert.deepEqual(DEFAULT_ASSIGNMENT_STRATEGY, ['range', 'cooperative-sticky']);
});

test('names: wire names and Java class names; unknown names suggest the closest', () => {
  assert.equal(getAssignor('roundrobin'), assignors.roundrobin);
  assert.equal(getAssignor('org.apache.kafka.clients.consumer.CooperativeStickyAssignor'), assignors['cooperative-sticky']);
  const cases: [string, string][] = [
    ['rangee', 'range'],
    ['round-robin', 'roundrobin'],
    ['cooperative_sticky', 'cooperative-sticky'],
    ['org.apache.kafka.clients.consumer.RoundRobin', 'roundrobin'],
  ];
  for (const [input, suggestion] of cases) {
    assert.throws(() => getAssignor(input), (err: unknown) => {
      assert.ok(err instanceof ConfigError && isGregorError(err));
      assert.equal(err.property, 'partition.assignment.strategy');
      assert.match(err.message, new RegExp(`unknown assignor "${input}"; did you mean "${suggestion}"\\?`));
      return true;
    });
  }
});

test('parse: a comma-separated string or a list, in preference order; empty or duplicated is an error', () => {
  assert.deepEqual(parseAssignmentStrategy(' range, cooperative-sticky ').map((a) => a.name), ['range', 'cooperative-sticky']);
  assert.deepEqual(
    parseAssignmentStrategy(['org.apache.kafka.clients.consumer.StickyAssignor', 'roundrobin']).map((a) => a.name),
    ['sticky', 'roundrobin'],
  );
  assert.throws(() => parseAssignmentStrategy(''), /must name at least one assignor/);
  assert.throws(() => parseAssignmentStrategy([]), /must name at least one assignor/);
  assert.throws(() => parseAssignmentStrategy('range,org.apache.kafka.clients.consumer.RangeAssignor'), /assignor "range" is listed twice/);
  assert.throws(() => parseAssignmentStrategy([{ name: 'x' } as unknown as Assignor]), /an assignor object needs name/);
});

test('rebalance protocol: the highest one every configured assignor supports', () => {
  const p = (s: string) => chooseRebalanceProtocol(parseAssignmentStrategy(s));
  assert.equal(p('cooperative-sticky'), 'COOPERATIVE');
  assert.equal(p('range,cooperative-sticky'), 'EAGER'); // Java's default: the first step of the KIP-429 upgrade
  assert.equal(p('cooperative-sticky,range'), 'EAGER');
  assert.equal(p('sticky'), 'EAGER');
  const cooperativeOnly: Assignor = {
    name: 'mine',
    rebalanceProtocols: ['COOPERATIVE'],
    subscriptionUserData: () => null,
    assign: () => new Map(),
  };
  assert.equal(chooseRebalanceProtocol([cooperativeOnly, assignors['cooperative-sticky']]), 'COOPERATIVE');
  assert.throws(() => parseAssignmentStrategy([cooperativeOnly, 'range']), /assignors mine, range have no rebalance protocol in common/);
});

test('JoinGroup protocols: one Subscription per assignor, in order, each with its own user data', () => {
  const protocols = joinGroupProtocols(parseAssignmentStrategy('cooperative-sticky,sticky,range'), {
    topics: ['poems'],
    ownedPartitions: [{ topic: 'poems', partitions: [2, 0] }],
    generationId: 8,
    rackId: 'r1',
    lastAssignment: { ownedPartitions: [{ topic: 'poems', partitions: [0, 2] }], generationId: 8 },
  });
  assert.deepEqual(protocols.map((p) => p.name), ['cooperative-sticky', 'sticky', 'range']);
  const [coop, sticky, range] = protocols.map((p) => decodeSubscription(p.metadata));
  for (const s of [coop, sticky, range]) {
    assert.equal(s.version, 3);
    assert.deepEqual(s.topics, ['poems']);
    assert.deepEqual(s.ownedPartitions, [{ topic: 'poems', partitions: [0, 2] }]);
    assert.equal(s.generationId, 8);
    assert.equal(s.rackId, 'r1');
  }
  assert.equal(coop.userData!.toString('hex'), '00000008');
  assert.equal(sticky.userData!.toString('hex'), '00000001' + '0005' + Buffer.from('poems').toString('hex') + '00000002' + '00000000' + '00000002' + '00000008');
  assert.equal(range.userData, null);
  // An older consumer protocol version on request.
  const v0 = joinGroupProtocols([assignors.range], { topics: ['poems'], ownedPartitions: [], generationId: -1, rackId: null, lastAssignment: { ownedPartitions: null, generationId: -1 } }, 0);
  assert.equal(decodeSubscription(v0[0].metadata).version, 0);
});
