// The admin commands' own logic: configuration (the command's default deadline, the logger), the deadline around
// a call, how a timeout is explained, and how a group's view is assembled. Talking to a real cluster is tested in
// test/integration/cli/admin.test.ts and groups.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_COMMAND_TIMEOUT_MS, AdminLog, adminConfig, parseAdminArgs, type AdminCommandOptions } from '../../../src/cli/commands/admin.js';
import { withinApiTimeout } from '../../../src/cli/deps.js';
import { main, EXIT_FAILURE } from '../../../src/cli/main.js';
import { AuthenticationError, KafkaError, TimeoutError } from '../../../src/errors.js';
import { groupView, type AdminCalls } from '../../../src/cli/admin-views.js';
import type { LogFunction } from '../../../src/config/index.js';
import { HANDS_ON_INI, MemoryStream, configFile, harness } from './fakes.js';

function options(args: string[]): AdminCommandOptions {
  const opts = parseAdminArgs('cluster describe', [configFile(HANDS_ON_INI), ...args]);
  assert.notEqual(opts, 'help');
  return opts as AdminCommandOptions;
}

test('cluster describe waits 15 s by default; the file or --property may say otherwise', () => {
  const stderr = new MemoryStream();
  const quiet = new AdminLog({ stderr }, false);
  assert.equal(adminConfig(options([]), { stderr }, quiet)['default.api.timeout.ms'], ADMIN_COMMAND_TIMEOUT_MS);
  assert.equal(adminConfig(options(['-p', 'default.api.timeout.ms=2500']), { stderr }, quiet)['default.api.timeout.ms'], 2500);
  const fromFile = parseAdminArgs('cluster describe', [configFile(`${HANDS_ON_INI}\n[admin]\ndefault.api.timeout.ms=4000\n`)]) as AdminCommandOptions;
  assert.equal(adminConfig(fromFile, { stderr }, quiet)['default.api.timeout.ms'], 4000);
  assert.equal(stderr.text, '');
});

test('the admin client logs through the command: without --verbose only the first failed connection per address (a warning naming the deadline), and the last problem is kept', () => {
  const stderr = new MemoryStream();
  const log = new AdminLog({ stderr }, false);
  const config = adminConfig(options([]), { stderr }, log);
  const refused = { broker: '127.0.0.1:1', error: 'cannot connect to 127.0.0.1:1: connection refused [ECONNREFUSED]' };
  (config['gregor.logger'] as LogFunction)('warn', 'connection failed', refused);
  (config['gregor.logger'] as LogFunction)('warn', 'connection failed', refused);
  (config['gregor.logger'] as LogFunction)('error', 'broker unusable', { broker: '127.0.0.1:1' });
  assert.equal(stderr.text, 'gregor: warning: cannot connect to 127.0.0.1:1: connection refused [ECONNREFUSED]; retrying for up to 15 s (default.api.timeout.ms)\n');
  assert.equal(log.lastProblem, 'broker unusable');
  (config['gregor.logger'] as LogFunction)('warn', 'connection failed', refused);
  assert.equal(log.lastProblem, 'cannot connect to 127.0.0.1:1: connection refused [ECONNREFUSED]');

  stderr.text = '';
  const verbose = new AdminLog({ stderr }, true);
  const loud = adminConfig(options(['--verbose']), { stderr }, verbose);
  assert.equal(loud['gregor.log.level'], 'debug');
  (loud['gregor.logger'] as LogFunction)('warn', 'connection failed', { error: 'x' });
  assert.equal(stderr.text, 'gregor: warning: x; retrying for up to 15 s (default.api.timeout.ms)\ngregor: warn: connection failed {"error":"x"}\n');
});

test('a timeout is explained by the last problem, once; other errors pass unchanged', () => {
  const log = new AdminLog({ stderr: new MemoryStream() }, false);
  const bare = new TimeoutError('no answer from the cluster at h:1 within 15 s (default.api.timeout.ms)');
  assert.equal(log.explain(bare), bare, 'nothing logged: nothing to add');
  log.logger('warn', 'connection failed', { error: 'cannot connect to h:1: connection refused [ECONNREFUSED]' });
  const explained = log.explain(bare) as TimeoutError;
  assert.ok(explained instanceof TimeoutError);
  assert.equal(explained.message, 'no answer from the cluster at h:1 within 15 s (default.api.timeout.ms); last problem: cannot connect to h:1: connection refused [ECONNREFUSED]');
  assert.equal(explained.cause, bare);
  const already = new TimeoutError('DescribeCluster: gave up: cannot connect to h:1: connection refused [ECONNREFUSED]');
  assert.equal(log.explain(already), already);
  const auth = new AuthenticationError('SASL PLAIN authentication failed');
  assert.equal(log.explain(auth), auth);
});

test('withinApiTimeout: the result when the work ends first; a TimeoutError (a second after the client\'s own deadline) and the client abandoned otherwise', async () => {
  const stderr = new MemoryStream();
  const config = adminConfig(options(['-p', 'default.api.timeout.ms=20']), { stderr }, new AdminLog({ stderr }, false));
  let abandoned = 0;
  assert.equal(await withinApiTimeout(Promise.resolve(42), config, async () => { abandoned++; }), 42);
  assert.equal(abandoned, 0);
  await assert.rejects(withinApiTimeout(new Promise<never>(() => {}), config, async () => { abandoned++; }),
    (err: unknown) => err instanceof TimeoutError && err.message === 'no answer from the cluster at 127.0.0.1:9094 within 1.02 s (default.api.timeout.ms + 1 s)');
  assert.equal(abandoned, 1);
  // Work that fails later, after the deadline was reported, is no unhandled rejection.
  let fail!: (e: Error) => void;
  const late = new Promise<never>((_r, reject) => { fail = reject; });
  await assert.rejects(withinApiTimeout(late, config, async () => {}), TimeoutError);
  fail(new Error('closed'));
});

test('through main: a timeout from the admin side is one explained error line (after the connection warning), exit 1', async () => {
  const h = harness([], {
    describeCluster: async (config) => {
      (config['gregor.logger'] as LogFunction)('warn', 'connection failed', { error: 'cannot connect to 127.0.0.1:9094: connection refused [ECONNREFUSED]' });
      throw new TimeoutError('no answer from the cluster at 127.0.0.1:9094 within 15 s (default.api.timeout.ms)');
    },
  });
  assert.equal(await main(['cluster', 'describe', configFile(HANDS_ON_INI)], h.deps), EXIT_FAILURE);
  assert.equal(h.stderr.text, 'gregor: warning: cannot connect to 127.0.0.1:9094: connection refused [ECONNREFUSED]; retrying for up to 15 s (default.api.timeout.ms)\n'
    + 'gregor: no answer from the cluster at 127.0.0.1:9094 within 15 s (default.api.timeout.ms); '
    + 'last problem: cannot connect to 127.0.0.1:9094: connection refused [ECONNREFUSED]\n');
});

// groupView's assembly, over an in-memory stand-in of the Admin calls it makes (the real calls are tested against
// the broker in test/integration/cli/groups.test.ts).
function adminStub(group: { state: string; members: { memberId: string; assignment: { topic: string; partitions: number[] }[] }[] },
  committed: { topic: string; partition: number; offset: bigint }[], ends: Record<string, bigint | Error>): AdminCalls {
  return {
    describeCluster: async () => ({ clusterId: 'c', controllerId: 1, brokers: [{ nodeId: 1, host: 'h', port: 9094, rack: null }] }),
    listTopics: async () => [],
    listGroups: async () => [],
    describeGroups: async ([groupId]) => [{
      groupId, type: 'classic', state: group.state, protocolType: 'consumer', assignor: 'range', coordinator: 1,
      members: group.members.map((m) => ({ ...m, groupInstanceId: null, clientId: 'c', clientHost: '/h' })),
    }],
    listGroupOffsets: async () => committed.map((c) => ({ ...c, leaderEpoch: -1, metadata: null })),
    listOffsets: async (queries) => queries.map((q) => {
      const end = ends[`${q.topic}-${q.partition}`];
      if (end instanceof Error) throw end;
      return { topic: q.topic, partition: q.partition, offset: end, timestamp: -1, leaderEpoch: 0 };
    }),
  };
}

test('groupView: owned and committed partitions, lag where both ends are known, unknown log ends shown as such', async () => {
  const admin = adminStub(
    { state: 'Stable', members: [{ memberId: 'm1', assignment: [{ topic: 'b', partitions: [1, 0] }] }] },
    [{ topic: 'b', partition: 0, offset: 5n }, { topic: 'a', partition: 2, offset: 7n }],
    { 'b-0': 9n, 'b-1': 3n, 'a-2': new Error('UNKNOWN_TOPIC_OR_PARTITION') },
  );
  const view = await groupView(admin, 'g');
  assert.deepEqual(view.coordinator, { id: 1, host: 'h', port: 9094 });
  assert.deepEqual(view.offsets, [
    { topic: 'a', partition: 2, committed: 7n, logEndOffset: null, lag: null, memberId: null },
    { topic: 'b', partition: 0, committed: 5n, logEndOffset: 9n, lag: 4n, memberId: 'm1' },
    { topic: 'b', partition: 1, committed: null, logEndOffset: 3n, lag: null, memberId: 'm1' },
  ]);
});

test('groupView: no members and no offsets is no group (GROUP_ID_NOT_FOUND); offsets alone are a group', async () => {
  await assert.rejects(groupView(adminStub({ state: 'Dead', members: [] }, [], {}), 'ghost'),
    (err: unknown) => err instanceof KafkaError && err.errorName === 'GROUP_ID_NOT_FOUND' && err.message === "group 'ghost' does not exist (no members, no committed offsets)");
  const view = await groupView(adminStub({ state: 'Dead', members: [] }, [{ topic: 't', partition: 0, offset: 1n }], { 't-0': 1n }), 'old');
  assert.deepEqual(view.offsets.map((o) => o.lag), [0n]);
});
