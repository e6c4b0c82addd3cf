// gregor cluster describe against the project's real Kafka, checked against Kafka's own tools (metadata-quorum,
// TopicCommand); and the demo's pieces: demo/config.ini as shipped and the poems of demo/poems.txt, read back by
// `gregor consume` the way `npm run demo` runs it (the demo itself starts and stops Kafka, so it is run by hand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '../../../src/index.js';
import { ROOT, USERS, committedOffsets, createTopic, ensureKafka, kafkaTool, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';

const BIN = join(ROOT, 'bin', 'gregor.js');

interface Run { code: number | null; stdout: string; stderr: string }

function gregor(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gregor ${args.join(' ')} did not finish in 120 s\n${stderr}`)); }, 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** A config.ini of the hands-on's shape (as demo/config.ini), with the helper's addresses. */
function ini(bootstrap: string, caFile: string, password = USERS.PLAIN.password): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gregor-admin-cli-')), 'config.ini');
  writeFileSync(file, `[default]
bootstrap.servers=${bootstrap}
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${USERS.PLAIN.username}
sasl.password=${password}
ssl.ca.location=${caFile}

[consumer]
group.id=${uniqueName('unused')}
auto.offset.reset=earliest
`);
  return file;
}

/** The one `gregor: ...` error line of a failed run (warnings excluded), checking there is exactly one. */
function errorLine(run: Run): string {
  const lines = run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('gregor: warning'));
  assert.equal(lines.length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace without --verbose');
  return lines[0];
}

interface Described {
  clusterId: string;
  controllerId: number;
  brokers: { id: number; host: string; port: number; rack: string | null }[];
  topics: { name: string; partitions: number; replicationFactor: number; internal: boolean }[];
}

test('cluster describe: id, controller and broker as metadata-quorum says, topics as TopicCommand says', async () => {
  const env = await ensureKafka();
  const five = uniqueName('describe-five');
  const two = uniqueName('describe-two');
  await Promise.all([createTopic(five, 5), createTopic(two, 2)]);
  // __consumer_offsets exists only once a group coordinator was looked up; on a fresh broker this test may run first.
  // Describing a group makes the broker create it (describeGroups waits until the coordinator is available).
  const admin = new Admin({ 'bootstrap.servers': env.bootstrap });
  try { await admin.describeGroups([uniqueName('describe-make-offsets-topic')]); } finally { await admin.close(); }
  const file = ini(env.saslSslBootstrap, env.caFile);

  const json = await gregor(['cluster', 'describe', file, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stderr, '', 'nothing on stderr: the client logs only with --verbose');
  const d = JSON.parse(json.stdout) as Described;

  const quorum = await kafkaTool('metadata-quorum', ['--bootstrap-server', env.bootstrap, 'describe', '--status']);
  const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(quorum.stdout)?.[1];
  assert.equal(d.clusterId, field('ClusterId'));
  // The single node is broker and controller in one (KRaft combined mode): the quorum leader is that node, and
  // DescribeCluster names it as the controller (a KRaft broker reports some live broker there, KIP-700).
  assert.equal(d.controllerId, Number(field('LeaderId')));
  // The broker as seen through the listener the request came in on: the SASL_SSL one.
  assert.deepEqual(d.brokers, env.nodes.map((n) => ({ id: n.id, host: '127.0.0.1', port: n.saslSsl, rack: null })));

  const describe = await kafkaTool('topics', ['--bootstrap-server', env.bootstrap, '--describe', '--topic', `${five}|${two}|__consumer_offsets`]);
  const java = new Map<string, { partitions: number; replicationFactor: number }>();
  for (const m of describe.stdout.matchAll(/^Topic: (\S+)\s+TopicId: \S+\s+PartitionCount: (\d+)\s+ReplicationFactor: (\d+)/gm)) {
    java.set(m[1], { partitions: Number(m[2]), replicationFactor: Number(m[3]) });
  }
  assert.deepEqual([...java.keys()].sort(), [five, two, '__consumer_offsets'].sort(), describe.stdout);
  for (const [name, expected] of java) {
    const t = d.topics.find((x) => x.name === name);
    assert.ok(t !== undefined, `${name} listed`);
    assert.deepEqual(t, { name, ...expected, internal: name.startsWith('__') });
  }
  assert.equal(java.get(five)?.partitions, 5);
  const names = d.topics.map((t) => t.name);
  assert.deepEqual(names, [...names].sort(), 'topics sorted by name');

  // The text form carries the same: a header block, then one row per topic.
  const text = await gregor(['cluster', 'describe', file]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.split('\n');
  assert.equal(lines[0], `Cluster id: ${d.clusterId}`);
  assert.equal(lines[1], `Controller: ${d.controllerId} (127.0.0.1:${env.nodes[0].saslSsl})`);
  assert.equal(lines[2], `Brokers: ${env.nodes.length}`);
  assert.match(text.stdout, new RegExp(`^  ${five}\\s+5\\s+1$`, 'm'));
  assert.match(text.stdout, new RegExp(`^  ${two}\\s+2\\s+1$`, 'm'));
  assert.match(text.stdout, /^ {2}__consumer_offsets \(internal\)\s+\d+\s+1$/m);
});

test('cluster describe with a wrong password: one line naming the authentication failure, exit 1', async () => {
  const env = await ensureKafka();
  const run = await gregor(['cluster', 'describe', ini(env.saslSslBootstrap, env.caFile, 'not-the-password')]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(errorLine(run), /^gregor: SASL PLAIN authentication with broker \S+ failed: SASL_AUTHENTICATION_FAILED/);
  assert.doesNotMatch(run.stderr, /not-the-password/);
  assert.equal(run.stdout, '');
});

test('cluster describe with nothing listening: gives up at default.api.timeout.ms with the reason, exit 1', async () => {
  const env = await ensureKafka();
  // A port that was free a moment ago: connections to it are refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const run = await gregor(['cluster', 'describe', ini(`127.0.0.1:${port}`, env.caFile), '--property', 'default.api.timeout.ms=2000']);
  assert.equal(run.code, 1, run.stderr);
  // Bootstrapping is bounded by default.api.timeout.ms, and the client's own error names the address and the refusal.
  assert.equal(errorLine(run), `gregor: Metadata (all topics): gave up after 1 attempt: no bootstrap server answered within 2000 ms: `
    + `127.0.0.1:${port} (cannot connect to 127.0.0.1:${port}: connection refused [ECONNREFUSED])`);
  // The first refusal was said at once, before the deadline, and only once though the retries went on.
  const warnings = run.stderr.split('\n').filter((l) => l.startsWith('gregor: warning'));
  assert.deepEqual(warnings, [`gregor: warning: cannot connect to 127.0.0.1:${port}: connection refused [ECONNREFUSED]; retrying for up to 2 s (default.api.timeout.ms)`]);
});

test('cluster describe with a missing config file: one line, exit 2', async () => {
  const run = await gregor(['cluster', 'describe', 'no/such/config.ini']);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(errorLine(run), 'gregor: cannot read config file no/such/config.ini: no such file or directory (ENOENT)');
});

/** demo/poems.txt as the demo reads it. */
function poems(): { key: string; value: string }[] {
  return readFileSync(join(ROOT, 'demo', 'poems.txt'), 'utf8').split('\n')
    .map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [key, value] = l.split(' | ');
      return { key, value };
    });
}

test('the demo\'s pieces: demo/config.ini as shipped reads the poems over SASL_SSL in the hands-on format', async () => {
  const env = await ensureKafka();
  const records = poems();
  assert.ok(records.length >= 24 && records.length <= 60, `a few dozen poem lines, got ${records.length}`);
  // The titles spread evenly over the three partitions (murmur2, as the Java producer and gregor's place them), so
  // the demo shows per-partition order with every partition in use.
  const perPartition = [0, 0, 0];
  for (const r of records) perPartition[partitionForKey(r.key, 3)]++;
  assert.deepEqual(perPartition, [1, 1, 1].map(() => records.length / 3));

  const topic = uniqueName('demo-poems');
  await createTopic(topic, 3);
  await produce(topic, records);
  const group = uniqueName('demo-group');
  // The shipped file; only the address comes from the helper (tests never assume the default ports). Its relative
  // ssl.ca.location (.kafka/tls/ca.pem) is read from the working directory, the repository root.
  const run = await gregor(['consume', 'demo/config.ini', '--topic', topic, '--from-beginning', '--count', String(records.length),
    '--group', group, '--property', `bootstrap.servers=${env.saslSslBootstrap}`]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.equal(lines.pop(), '');
  const expected = records.map((r) => `Consumed event from topic ${topic}: key = ${r.key.padEnd(12)} value = ${r.value.padEnd(12)}`);
  assert.deepEqual([...lines].sort(), [...expected].sort());
  // Each poem's lines in the order written (one key, one partition).
  for (const key of new Set(records.map((r) => r.key))) {
    const mark = `key = ${key.padEnd(12)} `;
    assert.deepEqual(lines.filter((l) => l.includes(mark)), expected.filter((l) => l.includes(mark)));
  }
  assert.doesNotMatch(run.stderr, /warning|error/i);
  const committed = await committedOffsets(group);
  assert.equal(committed.reduce((sum, c) => sum + Number(c.offset ?? 0n), 0), records.length, 'the group committed every poem printed');
});
