import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AuthenticationError } from '../../../src/errors.js';
import { main, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { HANDS_ON_INI, configFile, harness, msg } from './fakes.js';

test('no arguments, --help, -h and help print the usage and exit 0', async () => {
  for (const argv of [[], ['--help'], ['-h'], ['help']]) {
    const h = harness();
    assert.equal(await main(argv, h.deps), EXIT_OK);
    assert.match(h.stdout.text, /^Usage: gregor <command>/);
    for (const command of ['consume <config-file>', 'cluster describe', 'groups list', 'groups describe']) {
      assert.ok(h.stdout.text.includes(command), `usage lists ${command}`);
    }
    assert.equal(h.stderr.text, '');
  }
});

test('command help: gregor consume --help, gregor help consume, gregor cluster describe -h', async () => {
  for (const [argv, pattern] of [
    [['consume', '--help'], /^Usage: gregor consume/], [['help', 'consume'], /^Usage: gregor consume/],
    [['cluster', 'describe', '-h'], /^Usage: gregor cluster describe/], [['help', 'groups', 'describe'], /^Usage: gregor groups describe/],
    [['groups', '--help'], /^Usage: gregor groups list[\s\S]*Usage: gregor groups describe/], [['cluster', 'help'], /^Usage: gregor cluster describe/],
  ] as Array<[string[], RegExp]>) {
    const h = harness();
    assert.equal(await main(argv, h.deps), EXIT_OK, argv.join(' '));
    assert.match(h.stdout.text, pattern);
  }
});

test('--version prints the package version', async () => {
  const h = harness();
  assert.equal(await main(['--version'], h.deps), EXIT_OK);
  assert.match(h.stdout.text, /^gregor \d+\.\d+\.\d+/);
});

test('unknown command: one line with a suggestion, a usage hint, exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['consme'], "gregor: unknown command 'consme' (did you mean 'consume'?)\nRun 'gregor --help' for usage.\n"],
    [['frobnicate'], "gregor: unknown command 'frobnicate'\nRun 'gregor --help' for usage.\n"],
    [['describe'], "gregor: unknown command 'describe'\nRun 'gregor --help' for usage.\n"],
    [['--bogus'], "gregor: unknown option '--bogus'\nRun 'gregor --help' for usage.\n"],
    [['cluster', 'descibe'], "gregor cluster: unknown subcommand 'descibe' (did you mean 'cluster describe'?)\nRun 'gregor cluster --help' for usage.\n"],
    [['groups'], "gregor groups: missing subcommand: 'groups list' or 'groups describe' or 'groups lag' or 'groups reset-offsets' or 'groups delete-offsets'\nRun 'gregor groups --help' for usage.\n"],
    [['help', 'nope'], "gregor: unknown command 'nope'\nRun 'gregor --help' for usage.\n"],
  ];
  for (const [argv, expected] of cases) {
    const h = harness();
    assert.equal(await main(argv, h.deps), EXIT_USAGE, argv.join(' '));
    assert.equal(h.stderr.text, expected);
    assert.equal(h.stdout.text, '');
  }
});

test('bad options and bad configuration exit 2 with one line naming the problem', async () => {
  const h = harness();
  assert.equal(await main(['consume', 'x.ini', '--topic', 'poems', '--count', '-1'], h.deps), EXIT_USAGE);
  assert.match(h.stderr.text, /^gregor consume: /);
  const missing = harness();
  assert.equal(await main(['consume', '/nonexistent/config.ini', '--topic', 'poems'], missing.deps), EXIT_USAGE);
  assert.equal(missing.stderr.text, 'gregor: cannot read config file /nonexistent/config.ini: no such file or directory (ENOENT)\n');
  const file = configFile(HANDS_ON_INI.replace('bootstrap.servers', 'bootstrap.server'));
  const bad = harness();
  assert.equal(await main(['consume', file, '--topic', 'poems'], bad.deps), EXIT_USAGE);
  assert.equal(bad.stderr.text, `gregor: ${file}:2: unknown property bootstrap.server (did you mean bootstrap.servers?)\n`);
});

test('failures while running exit 1 with one line; --verbose adds the stack and causes', async () => {
  const failing = { createConsumer: () => { throw new AuthenticationError('SASL PLAIN authentication failed for user alice', { cause: new Error('broker said no') }); } };
  const h = harness([], failing);
  assert.equal(await main(['consume', configFile(HANDS_ON_INI), '--topic', 'poems'], h.deps), EXIT_FAILURE);
  assert.equal(h.stderr.text, 'gregor: SASL PLAIN authentication failed for user alice\n');
  const v = harness([], failing);
  assert.equal(await main(['consume', configFile(HANDS_ON_INI), '--topic', 'poems', '--verbose'], v.deps), EXIT_FAILURE);
  assert.match(v.stderr.text, /AuthenticationError: SASL PLAIN authentication failed[\s\S]*\n\s+at [\s\S]*caused by: Error: broker said no/);
  assert.match(v.stderr.text, /\ngregor: SASL PLAIN authentication failed for user alice\n$/);
});

test('an unexpected error (a bug) is still one line without --verbose', async () => {
  const h = harness([], { createConsumer: () => { throw new TypeError('x is not a function'); } });
  assert.equal(await main(['consume', configFile(HANDS_ON_INI), '--topic', 'poems'], h.deps), EXIT_FAILURE);
  assert.equal(h.stderr.text, 'gregor: x is not a function (run with --verbose for details)\n');
});

test('consume end to end through main with a stand-in consumer', async () => {
  const h = harness([msg('k', 'v')]);
  assert.equal(await main(['consume', configFile(HANDS_ON_INI), '--topic', 'poems', '--count', '1'], h.deps), EXIT_OK);
  assert.equal(h.stdout.text, 'Consumed event from topic poems: key = k            value = v           \n');
});

test('cluster describe, groups list, groups describe print what the admin side returns', async () => {
  const h = harness();
  assert.equal(await main(['cluster', 'describe', configFile(HANDS_ON_INI)], h.deps), EXIT_OK);
  assert.equal(h.stdout.text, [
    'Cluster id: c1', 'Controller: 1 (127.0.0.1:9092)', 'Brokers: 1', '  ID  HOST       PORT  RACK', '  1   127.0.0.1  9092  -',
    'Topics: 1', '  NAME   PARTITIONS  REPLICATION', '  poems  3           1', '',
  ].join('\n'));
  const j = harness();
  assert.equal(await main(['cluster', 'describe', configFile(HANDS_ON_INI), '--format', 'json'], j.deps), EXIT_OK);
  assert.equal(JSON.parse(j.stdout.text).clusterId, 'c1');
  const g = harness();
  assert.equal(await main(['groups', 'list', configFile(HANDS_ON_INI)], g.deps), EXIT_OK);
  assert.equal(g.stdout.text, 'GROUP  STATE   TYPE     PROTOCOL TYPE\ng1     Stable  classic  consumer\n');
  const d = harness();
  assert.equal(await main(['groups', 'describe', configFile(HANDS_ON_INI), '--group', 'g1'], d.deps), EXIT_OK);
  assert.equal(d.stdout.text, [
    'Group: g1', 'State: Stable', 'Protocol: classic (protocol type consumer), assignor range', 'Coordinator: 1 (127.0.0.1:9094)',
    'Members: 1',
    '  MEMBER-ID  INSTANCE-ID  CLIENT-ID  HOST        PARTITIONS',
    '  m-1        -            gregor     /127.0.0.1  poems:0,1',
    'Partitions: 3',
    '  TOPIC  PARTITION  COMMITTED  LOG-END  LAG  MEMBER-ID',
    '  poems  0          10         12       2    m-1',
    '  poems  1          -          12       -    m-1',
    '  poems  2          12         -        -    -',
    '',
  ].join('\n'));
  const dj = harness();
  assert.equal(await main(['groups', 'describe', configFile(HANDS_ON_INI), '--group', 'g1', '--format', 'json'], dj.deps), EXIT_OK);
  const parsed = JSON.parse(dj.stdout.text) as { groupId: string; offsets: { committed: string | null; lag: string | null }[] };
  assert.equal(parsed.groupId, 'g1');
  assert.deepEqual(parsed.offsets.map((o) => [o.committed, o.lag]), [['10', '2'], [null, null], ['12', null]], 'offsets as strings (64-bit)');
  const missingGroup = harness();
  assert.equal(await main(['groups', 'describe', configFile(HANDS_ON_INI)], missingGroup.deps), EXIT_USAGE);
  assert.match(missingGroup.stderr.text, /^gregor groups describe: --group <id> is required/);
});

test('admin commands read [default] (and [admin]), not [consumer]: no consumer-property warnings', async () => {
  const h = harness();
  await main(['cluster', 'describe', configFile(HANDS_ON_INI)], h.deps);
  assert.equal(h.stderr.text, '');
});

// The real launcher, as a user runs it: exit codes come from the process.
const BIN = fileURLToPath(new URL('../../../../bin/gregor.js', import.meta.url));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

test('bin/gregor.js: usage exits 0, an unknown command exits 2 with the message on stderr', () => {
  const usage = run([]);
  assert.equal(usage.status, 0);
  assert.match(usage.stdout, /^Usage: gregor <command>/);
  const help = run(['--help']);
  assert.equal(help.status, 0);
  const unknown = run(['x']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stdout, '');
  assert.equal(unknown.stderr, "gregor: unknown command 'x'\nRun 'gregor --help' for usage.\n");
  const missing = run(['consume', '/nonexistent.ini', '--topic', 'poems']);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'gregor: cannot read config file /nonexistent.ini: no such file or directory (ENOENT)\n');
});
