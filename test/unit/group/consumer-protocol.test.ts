// Golden bytes for the embedded consumer protocol, derived by hand from ConsumerProtocolSubscription.json and
// ConsumerProtocolAssignment.json (classic encoding: int16 version; int16-length strings; int32-length nullable
// bytes; int32-count arrays). Each hex string below is annotated field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/protocol/consumer-protocol.js';
import { isGregorError } from '../../../src/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+|\/\/[^\n]*/g, ''), 'hex');
const POEMS = '0005 706f656d73'; // string "poems"
const ODES = '0004 6f646573'; // string "odes"

test('subscription v0: version, topics, null user data', () => {
  const expected = hex(`
    0000              // version 0
    00000002          // 2 topics
    ${ODES} ${POEMS}  // sorted, as Java writes them
    ffffffff          // user data: null
  `);
  const bytes = encodeSubscription({ topics: ['poems', 'odes'], ownedPartitions: [{ topic: 'poems', partitions: [1] }] }, 0);
  assert.deepEqual(bytes, expected); // owned partitions are "ignorable" and dropped at v0
  const d = decodeSubscription(expected);
  assert.deepEqual(d, {
    version: 0, topics: ['odes', 'poems'], userData: null, ownedPartitions: [], generationId: -1, rackId: null, trailingBytes: 0,
  });
});

test('subscription v1: owned partitions grouped by topic and sorted', () => {
  const expected = hex(`
    0001
    00000001 ${POEMS}
    00000003 010203                 // user data: 3 bytes
    00000002                        // 2 owned topics
      ${ODES}  00000001 00000000    //   odes [0]
      ${POEMS} 00000002 00000000 00000002 // poems [0, 2]
  `);
  const bytes = encodeSubscription(
    {
      topics: ['poems'],
      userData: Buffer.from([1, 2, 3]),
      ownedPartitions: [{ topic: 'poems', partitions: [2] }, { topic: 'odes', partitions: [0] }, { topic: 'poems', partitions: [0] }],
      generationId: 9,
    },
    1,
  );
  assert.deepEqual(bytes, expected);
  const d = decodeSubscription(expected);
  assert.equal(d.version, 1);
  assert.deepEqual(d.userData, Buffer.from([1, 2, 3]));
  assert.deepEqual(d.ownedPartitions, [{ topic: 'odes', partitions: [0] }, { topic: 'poems', partitions: [0, 2] }]);
  assert.equal(d.generationId, -1); // not on the wire below v2
});

test('subscription v2 and v3: generation id and rack id', () => {
  const v2 = hex(`0002 00000001 ${POEMS} ffffffff 00000000 0000002a`); // no owned partitions, generation 42
  assert.deepEqual(encodeSubscription({ topics: ['poems'], generationId: 42, rackId: 'r1' }, 2), v2);
  assert.equal(decodeSubscription(v2).generationId, 42);
  assert.equal(decodeSubscription(v2).rackId, null);

  const v3 = hex(`0003 00000001 ${POEMS} ffffffff 00000001 ${POEMS} 00000001 00000003 0000002a 0002 7231`);
  const sub = { topics: ['poems'], ownedPartitions: [{ topic: 'poems', partitions: [3] }], generationId: 42, rackId: 'r1' };
  assert.deepEqual(encodeSubscription(sub), v3); // the default version is 3
  assert.deepEqual(decodeSubscription(v3), {
    version: 3, topics: ['poems'], userData: null, ownedPartitions: sub.ownedPartitions, generationId: 42, rackId: 'r1', trailingBytes: 0,
  });

  // Defaults: generation -1, rack null.
  assert.deepEqual(encodeSubscription({ topics: [] }), hex('0003 00000000 ffffffff 00000000 ffffffff ffff'));
});

test('subscription: negative generation and empty rack decode as absent, as in Java', () => {
  const d = decodeSubscription(hex(`0003 00000000 ffffffff 00000000 fffffffb 0000`));
  assert.equal(d.generationId, -1);
  assert.equal(d.rackId, null);
});

test('subscription: a newer version decodes the known fields and reports the rest', () => {
  const v5 = hex(`0005 00000001 ${POEMS} 00000000 00000000 00000007 ffff  cafebabe`);
  const d = decodeSubscription(v5);
  assert.equal(d.version, 5);
  assert.deepEqual(d.topics, ['poems']);
  assert.deepEqual(d.userData, Buffer.alloc(0)); // empty, not null
  assert.equal(d.generationId, 7);
  assert.equal(d.trailingBytes, 4);
});

test('subscription: user data is a copy, not a view of the input', () => {
  const bytes = encodeSubscription({ topics: ['poems'], userData: Buffer.from([9, 9]) }, 0);
  const d = decodeSubscription(bytes);
  bytes.fill(0);
  assert.deepEqual(d.userData, Buffer.from([9, 9]));
});

test('assignment v0..v3: same body, version moves with the subscription', () => {
  for (const version of [0, 1, 2, 3]) {
    const expected = hex(`
      000${version}
      00000002
        ${ODES}  00000000                     // odes: no partitions
        ${POEMS} 00000002 00000001 00000004   // poems [1, 4]
      ffffffff
    `);
    const bytes = encodeAssignment(
      { assignedPartitions: [{ topic: 'poems', partitions: [4, 1] }, { topic: 'odes', partitions: [] }] },
      version,
    );
    assert.deepEqual(bytes, expected);
    assert.deepEqual(decodeAssignment(expected), {
      version,
      assignedPartitions: [{ topic: 'odes', partitions: [] }, { topic: 'poems', partitions: [1, 4] }],
      userData: null,
      trailingBytes: 0,
    });
  }
  const withData = hex(`0003 00000000 00000002 abcd`);
  assert.deepEqual(encodeAssignment({ assignedPartitions: [], userData: Buffer.from([0xab, 0xcd]) }), withData);
  assert.deepEqual(decodeAssignment(withData).userData, Buffer.from([0xab, 0xcd]));
});

test('assignment: a newer version decodes the known fields', () => {
  const d = decodeAssignment(hex(`0004 00000001 ${POEMS} 00000001 00000000 ffffffff 0001`));
  assert.equal(d.version, 4);
  assert.deepEqual(d.assignedPartitions, [{ topic: 'poems', partitions: [0] }]);
  assert.equal(d.trailingBytes, 2);
});

function assertProtocolError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isGregorError(err), `expected a GregorError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_PROTOCOL');
    assert.match(err.message, pattern);
    return true;
  });
}

test('bad bytes are ProtocolErrors that say what was being read', () => {
  assertProtocolError(() => decodeSubscription(Buffer.alloc(0)), /truncated consumer protocol subscription version/);
  assertProtocolError(() => decodeAssignment(Buffer.alloc(1)), /truncated consumer protocol assignment version/);
  assertProtocolError(() => decodeSubscription(hex('ffff 00000000 ffffffff')), /unsupported consumer protocol subscription version -1/);
  assertProtocolError(() => decodeSubscription(hex('0000 ffffffff ffffffff')), /subscription topics are null/);
  assertProtocolError(() => decodeSubscription(hex(`0000 00000001 ${POEMS}`)), /truncated subscription user data/);
  assertProtocolError(() => decodeSubscription(hex(`0001 00000000 ffffffff 00000005`)), /owned partitions .* claims 5 elements/);
  assertProtocolError(() => decodeAssignment(hex(`0000 00000001 ${POEMS} ffffffff ffffffff`)), /partitions of topic "poems" are null/);
  assertProtocolError(() => decodeAssignment(hex(`0000 00000001 ${POEMS} 00000002 00000001`)), /assignment: partitions of topic "poems" at byte 13 claims 2 elements/);
});

test('bad values to encode are ProtocolErrors naming the problem', () => {
  assertProtocolError(() => encodeSubscription({ topics: ['a'] }, 4), /version 4: supported versions are 0-3/);
  assertProtocolError(() => encodeSubscription({ topics: [''] }), /non-empty string/);
  assertProtocolError(() => encodeSubscription({ topics: ['a'], generationId: -2 }), /generation id -2/);
  assertProtocolError(
    () => encodeSubscription({ topics: ['a'], ownedPartitions: [{ topic: 'a', partitions: [1] }, { topic: 'a', partitions: [1] }] }),
    /partition 1 of topic "a" is listed twice/,
  );
  assertProtocolError(() => encodeAssignment({ assignedPartitions: [{ topic: 'a', partitions: [-1] }] }), /partition -1 of topic "a"/);
  assertProtocolError(() => encodeAssignment({ assignedPartitions: [{ topic: 'a', partitions: [1.5] }] }), /partition 1.5/);
});

test('round trip at every version keeps what the version can carry', () => {
  const sub = {
    topics: ['b', 'a'],
    userData: Buffer.from('x'),
    ownedPartitions: [{ topic: 'a', partitions: [3, 1] }],
    generationId: 5,
    rackId: 'eu-1',
  };
  for (const v of [0, 1, 2, 3]) {
    const d = decodeSubscription(encodeSubscription(sub, v));
    assert.equal(d.version, v);
    assert.deepEqual(d.topics, ['a', 'b']);
    assert.deepEqual(d.userData, Buffer.from('x'));
    assert.deepEqual(d.ownedPartitions, v >= 1 ? [{ topic: 'a', partitions: [1, 3] }] : []);
    assert.equal(d.generationId, v >= 2 ? 5 : -1);
    assert.equal(d.rackId, v >= 3 ? 'eu-1' : null);
  }
});

test("bytes written by Kafka's Java consumer (4.3.1), captured from the broker with DescribeGroups", () => {
  // test/integration/group/java-member-metadata.test.ts prints these; topic "java-metadata-27098-mwuer25i-1-7f1d".
  const topic = 'java-metadata-27098-mwuer25i-1-7f1d';
  const topicHex = '0023' + Buffer.from(topic).toString('hex');
  // A cooperative-sticky member after its second rebalance: owns 0-2 from generation 2, rack "rack-a".
  const coop = hex(`0003 00000001 ${topicHex} 00000004 00000002 00000001 ${topicHex} 00000003 00000000 00000001 00000002 00000002 0006 7261636b2d61`);
  assert.deepEqual(decodeSubscription(coop), {
    version: 3, topics: [topic], userData: Buffer.from([0, 0, 0, 2]), ownedPartitions: [{ topic, partitions: [0, 1, 2] }],
    generationId: 2, rackId: 'rack-a', trailingBytes: 0,
  });
  // Re-encoded by gregor: the same bytes.
  assert.deepEqual(encodeSubscription(decodeSubscription(coop)), coop);
  // An eager (range) member rejoining: nothing owned (it revoked everything first), generation 1, no rack.
  const range = hex(`0003 00000001 ${topicHex} ffffffff 00000000 00000001 ffff`);
  assert.deepEqual(decodeSubscription(range), {
    version: 3, topics: [topic], userData: null, ownedPartitions: [], generationId: 1, rackId: null, trailingBytes: 0,
  });
  assert.deepEqual(encodeSubscription(decodeSubscription(range)), range);
});
