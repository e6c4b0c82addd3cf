// The CLI's share-group views and commands over in-memory stand-ins (the real calls against the broker, with Kafka's
// Java share consumer as the member: test/integration/cli/share-groups.test.ts): describe falls back to a share
// group only when no consumer group has the id; the partition rows join the broker's offsets and the assignment;
// the text and JSON forms; delete-offsets' arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaError } from '../../../src/errors.js';
import { main, EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { describeAnyGroup, formatShareGroup, type ShareAdminCalls, type ShareGroupDetails } from '../../../src/cli/share-views.js';
import { table } from '../../../src/cli/commands/admin.js';
import type { ShareGroupDescription, ShareGroupOffset } from '../../../src/admin/index.js';
import { HANDS_ON_INI, configFile, harness } from './fakes.js';

function shareAdmin(consumer: 'none' | 'classic', share: ShareGroupDescription | null, offsets: ShareGroupOffset[]): ShareAdminCalls & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    describeCluster: async () => ({ clusterId: 'c', controllerId: 1, brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }] }),
    listTopics: async () => [],
    listGroups: async () => [],
    describeGroups: async ([groupId]) => {
      calls.push('describeGroups');
      return [consumer === 'none'
        ? { groupId, type: 'classic', state: 'Dead', protocolType: '', assignor: '', coordinator: 1, members: [] }
        : { groupId, type: 'classic', state: 'Empty', protocolType: 'consumer', assignor: '', coordinator: 1, members: [] }];
    },
    listGroupOffsets: async () => (consumer === 'none' ? [] : [{ topic: 't', partition: 0, offset: 3n, leaderEpoch: -1, metadata: null }]),
    listOffsets: async (queries) => queries.map((q) => ({ topic: q.topic, partition: q.partition, offset: 5n, timestamp: -1, leaderEpoch: 0 })),
    describeShareGroups: async ([groupId]) => {
      calls.push('describeShareGroups');
      return [share ?? { groupId, state: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignor: '', coordinator: 1, members: [] }];
    },
    listShareGroupOffsets: async () => offsets,
  };
}

const member = (memberId: string, partitions: number[]) => ({
  memberId, rackId: null, memberEpoch: 4, clientId: 'console-share-consumer', clientHost: '/127.0.0.1', subscribedTopics: ['t'],
  assignment: [{ topic: 't', partitions }],
});

test('describeAnyGroup: a consumer group as before, without asking for a share group', async () => {
  const admin = shareAdmin('classic', null, []);
  const g = await describeAnyGroup(admin, 'g');
  assert.equal(g.type, 'classic');
  assert.deepEqual(admin.calls, ['describeGroups']);
});

test('describeAnyGroup: a share group where no consumer group has the id; rows from the offsets and the assignment', async () => {
  const admin = shareAdmin('none', {
    groupId: 'sg', state: 'Stable', groupEpoch: 5, assignmentEpoch: 5, assignor: 'simple', coordinator: 1,
    members: [member('m2', [0, 1, 2]), member('m1', [0, 1])],
  }, [{ topic: 't', partition: 0, startOffset: 10n, leaderEpoch: 0, lag: 2n }, { topic: 't', partition: 1, startOffset: 4n, leaderEpoch: 0, lag: null }]);
  const g = await describeAnyGroup(admin, 'sg') as ShareGroupDetails;
  assert.equal(g.type, 'share');
  assert.deepEqual(g.coordinator, { id: 1, host: 'h', port: 9092 });
  assert.deepEqual(g.offsets, [
    { topic: 't', partition: 0, startOffset: 10n, lag: 2n, members: 2 },
    { topic: 't', partition: 1, startOffset: 4n, lag: null, members: 2 },
    { topic: 't', partition: 2, startOffset: null, lag: null, members: 1 },
  ]);
  assert.equal(formatShareGroup(g, table), [
    'Group: sg',
    'State: Stable',
    'Protocol: share, assignor simple, group epoch 5',
    'Coordinator: 1 (h:9092)',
    'Members: 2',
    '  MEMBER-ID  EPOCH  CLIENT-ID               HOST        PARTITIONS',
    '  m1         4      console-share-consumer  /127.0.0.1  t:0,1',
    '  m2         4      console-share-consumer  /127.0.0.1  t:0,1,2',
    'Partitions: 3',
    '  TOPIC  PARTITION  START-OFFSET  LAG  MEMBERS',
    '  t      0          10            2    2',
    '  t      1          4             -    2',
    '  t      2          -             -    1',
  ].join('\n'));
});

test('describeAnyGroup: neither kind of group is GROUP_ID_NOT_FOUND, as before share groups', async () => {
  await assert.rejects(describeAnyGroup(shareAdmin('none', null, []), 'ghost'),
    (err: unknown) => err instanceof KafkaError && err.errorName === 'GROUP_ID_NOT_FOUND' && /ghost/.test(err.message));
});

test('groups describe --format json prints a share group with its type and bigint offsets as strings', async () => {
  const details: ShareGroupDetails = {
    groupId: 'sg', type: 'share', state: 'Empty', assignor: 'simple', groupEpoch: 2, coordinator: { id: 1, host: 'h', port: 1 },
    members: [], offsets: [{ topic: 't', partition: 0, startOffset: 7n, lag: 0n, members: 0 }],
  };
  const h = harness([], { describeGroup: async () => details });
  assert.equal(await main(['groups', 'describe', configFile(HANDS_ON_INI), '--group', 'sg', '--format', 'json'], h.deps), EXIT_OK);
  const out = JSON.parse(h.stdout.text) as { type: string; offsets: { startOffset: string; lag: string }[] };
  assert.equal(out.type, 'share');
  assert.deepEqual(out.offsets, [{ topic: 't', partition: 0, startOffset: '7', lag: '0', members: 0 }]);
});

test('groups delete-offsets: --group and at least one --topic; the topics reach the admin call once each', async () => {
  const seen: Array<[string, readonly string[]]> = [];
  const h = harness([], { deleteShareGroupOffsets: async (_config, groupId, topics) => { seen.push([groupId, topics]); } });
  const file = configFile(HANDS_ON_INI);
  assert.equal(await main(['groups', 'delete-offsets', file, '--group', 'sg', '--topic', 'a', '-t', 'b', '--topic', 'a'], h.deps), EXIT_OK);
  assert.deepEqual(seen, [['sg', ['a', 'b']]]);
  assert.equal(h.stdout.text, "Deleted the state of share group 'sg' for topics a, b.\n");

  const bad = harness([]);
  assert.equal(await main(['groups', 'delete-offsets', file, '--group', 'sg'], bad.deps), EXIT_USAGE);
  assert.match(bad.stderr.text, /--topic <name> is required/);
  assert.equal(await main(['groups', 'delete-offsets', file, '--topic', 'a'], bad.deps), EXIT_USAGE);
  assert.match(bad.stderr.text, /--group <id> is required/);
});
