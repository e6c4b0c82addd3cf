// groups reset-offsets: Kafka's rules applied to an in-memory admin (scope, clamping, fallbacks, the refusal), the
// time and duration formats, and the command's arguments. The evidence that gregor computes what Kafka's tool
// computes on a real broker is test/integration/cli/reset-offsets.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupNotEmptyError, KafkaError, StateError } from '../../../src/errors.js';
import { parseDateTime, parseDuration, resetAnyGroup, resetOffsets, type ResetAdmin, type ResetRequest, type ShareResetCalls } from '../../../src/cli/reset-offsets.js';
import { formatReset, parseResetOffsetsArgs, runResetOffsets } from '../../../src/cli/commands/reset-offsets.js';
import type { GroupOffsetToWrite, OffsetQuery } from '../../../src/admin/index.js';
import { configFile, harness } from './fakes.js';

/** Topic t: partition 0 holds offsets 5..20 (timestamps 1000 * offset), partition 1 0..10, partition 2 no leader. */
function admin(state = 'Empty', committed: Array<[number, bigint]> = [[0, 12n]]) {
  const written: GroupOffsetToWrite[][] = [];
  const logs: Record<number, [bigint, bigint]> = { 0: [5n, 20n], 1: [0n, 10n], 2: [0n, 0n] };
  const a: ResetAdmin = {
    describeGroups: async ([groupId]) => [{
      groupId, type: 'classic', state, protocolType: 'consumer', assignor: '', coordinator: 1,
      members: state === 'Empty' ? [] : [{ memberId: 'm-1', groupInstanceId: null, clientId: 'app', clientHost: '/10.0.0.1', assignment: [] }],
    }],
    listGroupOffsets: async () => committed.map(([partition, offset]) => ({ topic: 't', partition, offset, leaderEpoch: -1, metadata: null })),
    describeTopics: async (topics) => topics.map((name) => ({
      name, topicId: 'id', internal: false,
      partitions: [0, 1, 2].map((partition) => ({ partition, leader: partition === 2 ? -1 : 1, leaderEpoch: 0, replicas: [1], isr: [1], offline: [] })),
    })),
    listOffsets: async (queries: readonly OffsetQuery[]) => queries.map((q) => {
      const [start, end] = logs[q.partition];
      let offset: bigint;
      if (q.spec === 'earliest') offset = start;
      else if (q.spec === 'latest' || q.spec === 'max-timestamp') offset = end;
      else {
        const ts = Number(q.spec.timestamp);
        const o = BigInt(Math.ceil(ts / 1000));
        offset = o >= end ? -1n : o < start ? start : o;
      }
      return { topic: q.topic, partition: q.partition, offset, timestamp: -1, leaderEpoch: 0 };
    }),
    alterGroupOffsets: async (_g, offsets) => { written.push([...offsets]); },
  };
  return { admin: a, written };
}

const req = (spec: ResetRequest['spec'], partitions: number[] | null = [0, 1], execute = false): ResetRequest =>
  ({ groupId: 'g', scope: { allTopics: false, topics: [{ topic: 't', partitions }] }, spec, execute });
const offsets = (r: Awaited<ReturnType<typeof resetOffsets>>) => r.offsets.map((o) => [o.partition, o.offset]);

test('scenarios: earliest, latest, offset and shift-by clamped, current, datetime and duration with the log-end fallback', async () => {
  const { admin: a } = admin('Empty', [[0, 12n], [1, 4n]]);
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); };
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'to-earliest' }), warn)), [[0, 5n], [1, 0n]]);
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'to-latest' }), warn)), [[0, 20n], [1, 10n]]);
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'to-offset', offset: 15n }), warn)), [[0, 15n], [1, 10n]]);
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'shift-by', by: -10n }), warn)), [[0, 5n], [1, 0n]]);
  assert.deepEqual(warnings, [
    'New offset (15) is higher than latest offset for topic partition t-1. Value will be set to 10.',
    'New offset (2) is lower than earliest offset for topic partition t-0. Value will be set to 5.',
    'New offset (-6) is lower than earliest offset for topic partition t-1. Value will be set to 0.',
  ]);
  warnings.length = 0;
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'to-datetime', timestamp: 12_500 }), warn)), [[0, 13n], [1, 10n]]);
  assert.deepEqual(warnings, ['Partition 1 from topic t is empty. Falling back to latest known offset.']);
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'by-duration', ms: 1000 }), warn, () => 8000)), [[0, 7n], [1, 7n]]);
});

test('to-current: the committed offset, the log end without one; --all-topics: the committed partitions', async () => {
  const { admin: a } = admin('Empty', [[0, 12n]]);
  assert.deepEqual(offsets(await resetOffsets(a, req({ kind: 'to-current' }), () => {})), [[0, 12n], [1, 10n]]);
  const all = await resetOffsets(a, { groupId: 'g', scope: { allTopics: true }, spec: { kind: 'to-earliest' }, execute: false }, () => {});
  assert.deepEqual(offsets(all), [[0, 5n]]);
});

test('scope checks: a missing partition, a partition without a leader, shift-by without a committed offset', async () => {
  const { admin: a } = admin();
  await assert.rejects(resetOffsets(a, req({ kind: 'to-earliest' }, [0, 7]), () => {}), (e: unknown) => e instanceof KafkaError && e.message === 'The partitions "t-7" do not exist');
  await assert.rejects(resetOffsets(a, req({ kind: 'to-earliest' }, null), () => {}), (e: unknown) => e instanceof KafkaError && e.errorName === 'LEADER_NOT_AVAILABLE' && /"t-2"/.test(e.message));
  await assert.rejects(resetOffsets(a, req({ kind: 'shift-by', by: 1n }), () => {}), (e: unknown) => e instanceof StateError && /t-1 since there is no current committed offset/.test(e.message));
});

test('execute commits the plan; dry run commits nothing; a group with members is refused, naming them', async () => {
  const { admin: a, written } = admin();
  await resetOffsets(a, req({ kind: 'to-earliest' }), () => {});
  assert.equal(written.length, 0);
  const r = await resetOffsets(a, req({ kind: 'to-earliest' }, [0, 1], true), () => {});
  assert.equal(r.executed, true);
  assert.deepEqual(written, [[{ topic: 't', partition: 0, offset: 5n }, { topic: 't', partition: 1, offset: 0n }]]);
  const busy = admin('Stable');
  await assert.rejects(resetOffsets(busy.admin, req({ kind: 'to-earliest' }, [0], true), () => {}), (e: unknown) => {
    assert.ok(e instanceof GroupNotEmptyError && e instanceof StateError);
    assert.equal(e.code, 'ERR_STATE');
    assert.deepEqual(e.members.map((m) => m.memberId), ['m-1']);
    assert.match(e.message, /^group 'g' is Stable with 1 member: m-1 \(app@\/10\.0\.0\.1\); offsets can only be reset while the group is inactive/);
    return true;
  });
  assert.equal(busy.written.length, 0);
});

test('parseDateTime: Kafka formats, UTC without a zone; parseDuration: Java Duration', () => {
  assert.equal(parseDateTime('2024-01-02T03:04:05.678'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  assert.equal(parseDateTime('2024-01-02T03:04:05'), Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(parseDateTime('2024-01-02T03:04:05.678Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  assert.equal(parseDateTime('2024-01-02T03:04:05.678+08:00'), Date.UTC(2024, 0, 1, 19, 4, 5, 678));
  assert.equal(parseDateTime('2024-01-02T03:04:05.678-0130'), Date.UTC(2024, 0, 2, 4, 34, 5, 678));
  assert.equal(parseDateTime('2024-01-02T03:04:05+08'), Date.UTC(2024, 0, 1, 19, 4, 5));
  for (const bad of ['2024-01-02', '2024-02-30T00:00:00', '2024-01-02 03:04:05', 'yesterday']) assert.ok(Number.isNaN(parseDateTime(bad)), bad);
  assert.equal(parseDuration('PT30M'), 1_800_000);
  assert.equal(parseDuration('P1DT2H3M4.5S'), 93_784_500);
  assert.equal(parseDuration('pt1h'), 3_600_000);
  for (const bad of ['P', 'PT', '30M', 'P1H', 'P1DT']) assert.ok(Number.isNaN(parseDuration(bad)), bad);
});

test('reset-offsets arguments: one scope, one scenario, negative values, --dry-run or --execute', () => {
  const file = 'c.ini';
  const o = parseResetOffsetsArgs([file, '-g', 'g', '--topic', 't:0,2', '--topic', 'u', '--shift-by', '-3']);
  assert.ok(o !== 'help');
  assert.deepEqual(o.request, { groupId: 'g', scope: { allTopics: false, topics: [{ topic: 't', partitions: [0, 2] }, { topic: 'u', partitions: null }] }, spec: { kind: 'shift-by', by: -3n }, execute: false });
  assert.equal(o.implicitDryRun, true);
  const e = parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--to-offset', '7', '--execute']);
  assert.ok(e !== 'help');
  assert.deepEqual([e.request.spec, e.request.execute, e.implicitDryRun], [{ kind: 'to-offset', offset: 7n }, true, false]);
  const d = parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--by-duration', 'PT1H', '--dry-run']);
  assert.ok(d !== 'help');
  assert.deepEqual([d.request.spec, d.implicitDryRun], [{ kind: 'by-duration', ms: 3_600_000 }, false]);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--to-earliest']), /--topic <name>\[:partitions\] \(repeatable\) or --all-topics/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--topic', 't', '--to-earliest']), /or --all-topics/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--all-topics']), /exactly one of --to-earliest/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--to-earliest', '--to-latest']), /got --to-earliest and --to-latest/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--to-earliest', '--execute', '--dry-run']), /exclude each other/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--topic', 't:x', '--to-earliest']), /invalid partition 'x'/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--to-datetime', '2024-01-02']), /--to-datetime expects/);
  assert.throws(() => parseResetOffsetsArgs([file, '-g', 'g', '--all-topics', '--to-offset', '1.5']), /expects an integer/);
});

test('reset-offsets prints Kafka\'s table; an implicit dry run says so on stderr, as do warnings', async () => {
  const h = harness([], {
    resetOffsets: async (_c, r, warn) => {
      warn('New offset (99) is higher than latest offset for topic partition t-0. Value will be set to 20.');
      return { groupId: r.groupId, state: 'Empty', executed: r.execute, offsets: [{ topic: 't', partition: 0, offset: 20n }] };
    },
  });
  const opts = parseResetOffsetsArgs([configFile('[default]\nbootstrap.servers=127.0.0.1:1\n'), '-g', 'g', '--topic', 't', '--to-offset', '99']);
  assert.ok(opts !== 'help');
  assert.equal(await runResetOffsets(opts, h.deps), 0);
  assert.equal(h.stdout.text, 'GROUP  TOPIC  PARTITION  NEW-OFFSET\ng      t      0          20\n');
  assert.match(h.stderr.text, /^gregor: warning: New offset \(99\)/);
  assert.match(h.stderr.text, /gregor: dry run: nothing was changed; add --execute/);
  assert.equal(formatReset({ groupId: 'g', state: 'Dead', executed: false, offsets: [] }), 'GROUP  TOPIC  PARTITION  NEW-OFFSET');
});

test('resetAnyGroup: a share group (no consumer group of the id) has its start offsets reset; an unknown id is a new consumer group', async () => {
  const shareGroup = (state: string, starts: Array<[number, bigint]>) => {
    const base = admin('Dead', []);
    const shareWritten: unknown[] = [];
    const calls: ShareResetCalls = {
      describeShareGroups: async ([groupId]) => [{
        groupId, state, groupEpoch: 1, assignmentEpoch: 1, assignor: 'simple', coordinator: 1,
        members: state === 'Stable' ? [{ memberId: 's-1', rackId: null, memberEpoch: 1, clientId: 'java', clientHost: '/10.0.0.2', subscribedTopics: ['t'], assignment: [] }] : [],
      }],
      listShareGroupOffsets: async () => starts.map(([partition, startOffset]) => ({ topic: 't', partition, startOffset, leaderEpoch: 0, lag: 1n })),
      alterShareGroupOffsets: async (_g, offsets) => { shareWritten.push(...offsets); },
    };
    return { a: { ...base.admin, ...calls }, written: base.written, shareWritten };
  };
  const empty = shareGroup('Empty', [[0, 7n]]);
  const all: ResetRequest = { groupId: 'g', scope: { allTopics: true }, spec: { kind: 'shift-by', by: 2n }, execute: true };
  assert.deepEqual(offsets(await resetAnyGroup(empty.a, all, () => {})), [[0, 9n]]);
  assert.deepEqual(empty.shareWritten, [{ topic: 't', partition: 0, offset: 9n }]);
  assert.deepEqual(empty.written, []);

  const busy = shareGroup('Stable', [[0, 7n]]);
  await assert.rejects(resetAnyGroup(busy.a, all, () => {}), (e: unknown) => e instanceof GroupNotEmptyError && /s-1 \(java@\/10.0.0.2\)/.test(e.message));

  const none = shareGroup('Dead', []);
  assert.deepEqual(offsets(await resetAnyGroup(none.a, req({ kind: 'to-earliest' }, [0], true), () => {})), [[0, 5n]]);
  assert.deepEqual(none.written, [[{ topic: 't', partition: 0, offset: 5n }]]);
  assert.deepEqual(none.shareWritten, []);
});
