// gregor groups lag and groups reset-offsets on a share group (KIP-932) whose member is Kafka's Java
// ConsoleShareConsumer, compared with Kafka's own kafka-share-groups at the same moments: the lag per partition
// (KIP-1226, computed by the broker) and members while the member runs, the refusal to reset while it runs, and,
// once the group is empty, the dry-run plans of --to-earliest / --to-latest and the outcome of an executed reset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gregor, type Run } from './run-gregor.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer } from '../../../src/index.js';
import { ensureKafka, kafkaTool, uniqueName } from '../helpers/kafka.js';
import { javaShareGroupOffsets, setShareGroupConfigs, startJavaShareConsumer, type JavaShareConsumer } from '../helpers/share.js';


interface LagJson {
  type: string;
  state: string;
  members: number;
  totalLag: string | null;
  partitions: { topic: string; partition: number; startOffset: string | null; logEndOffset: string | null; lag: string | null; members: number }[];
}

let bootstrap = '';
let config = '';
let admin: Admin;
let java: JavaShareConsumer | undefined;
const topic = uniqueName('share-lag');
const group = uniqueName('share-lag-g');
const PER_PARTITION = 5;
const MORE = 4;

async function produce(perPartition: number, tag: string): Promise<void> {
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await Promise.all(Array.from({ length: 3 * perPartition }, (_, i) => producer.send({ topic, partition: i % 3, value: `${tag}${i}` })));
  } finally {
    await producer.close();
  }
}

async function lag(): Promise<LagJson> {
  const r = await gregor(['groups', 'lag', config, '--group', group, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as LagJson;
}

/** `kafka-share-groups --reset-offsets` plan or outcome: partition -> new offset, sorted. */
async function javaReset(args: string[]): Promise<[number, string][]> {
  const r = await kafkaTool('share-groups', ['--bootstrap-server', bootstrap, '--reset-offsets', '--group', group, '--topic', topic, ...args]);
  const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[0] === group && f[1] === topic);
  return rows.map((f): [number, string] => [Number(f[2]), f[f.length - 1]]).sort((a, b) => a[0] - b[0]);
}

async function gregorReset(args: string[]): Promise<{ plan: [number, string][]; run: Run }> {
  const run = await gregor(['groups', 'reset-offsets', config, '--group', group, '--topic', topic, '--format', 'json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { offsets: { partition: number; offset: string }[] };
  return { plan: r.offsets.map((o): [number, string] => [o.partition, o.offset]), run };
}

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  config = join(mkdtempSync(join(tmpdir(), 'gregor-share-lag-')), 'config.ini');
  writeFileSync(config, `[default]\nbootstrap.servers=${bootstrap}\n`);
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 3 }]);
  await setShareGroupConfigs(admin, group, { 'share.auto.offset.reset': 'earliest' });
  await produce(PER_PARTITION, 'a');
});
after(async () => {
  await java?.stop();
  await admin.close();
});

test('groups lag and reset-offsets on a share group agree with kafka-share-groups', async () => {
  java = await startJavaShareConsumer(topic, group, { bootstrap });
  await java.waitForLines(3 * PER_PARTITION);

  // Acknowledgements reach the share-partition state asynchronously: wait until the broker's lag is 0 everywhere.
  const deadline = Date.now() + 30_000;
  let live: LagJson;
  for (;;) {
    live = await lag();
    if (live.partitions.length === 3 && live.partitions.every((p) => p.lag === '0')) break;
    assert.ok(Date.now() < deadline, `lag never 0 in every partition: ${JSON.stringify(live)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.deepEqual([live.type, live.state, live.members, live.totalLag], ['share', 'Stable', 1, '0']);
  assert.deepEqual(live.partitions.map((p) => [p.partition, p.logEndOffset, p.members]), [[0, '5', 1], [1, '5', 1], [2, '5', 1]]);

  // Refused while the Java member runs, as Kafka's tool refuses it.
  const busy = await gregor(['groups', 'reset-offsets', config, '--group', group, '--topic', topic, '--to-earliest']);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /is Stable with 1 member/);
  const theirsBusy = await kafkaTool('share-groups', ['--bootstrap-server', bootstrap, '--reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--dry-run'], { check: false });
  assert.match(theirsBusy.stdout + theirsBusy.stderr, /inactive|not empty|Stable/i);

  await java.stop();
  java = undefined;
  for (;;) {
    const [g] = await admin.describeShareGroups([group]);
    if (g.state === 'Empty') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Records the empty group has not read: the broker's lag counts them, gregor and Kafka's tool alike.
  await produce(MORE, 'b');
  let idle: LagJson;
  for (;;) {
    idle = await lag();
    if (idle.partitions.every((p) => p.lag === String(MORE))) break;
    assert.ok(Date.now() < deadline + 30_000, `lag never ${MORE}: ${JSON.stringify(idle)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.deepEqual([idle.state, idle.members, idle.totalLag], ['Empty', 0, String(3 * MORE)]);
  const end = String(PER_PARTITION + MORE);
  assert.deepEqual(idle.partitions.map((p) => [p.logEndOffset, p.members]), [[end, 0], [end, 0], [end, 0]]);
  const theirs = await javaShareGroupOffsets(group, { bootstrap });
  assert.deepEqual(idle.partitions.map((p) => [p.partition, p.startOffset, p.lag]), theirs.map((o) => [o.partition, String(o.startOffset), String(o.lag)]));

  // Dry-run plans, gregor's against Kafka's; nothing changes.
  const earliest = await gregorReset(['--to-earliest']);
  assert.match(earliest.run.stderr, /dry run: nothing was changed/);
  assert.deepEqual(earliest.plan, await javaReset(['--to-earliest', '--dry-run']));
  assert.deepEqual(earliest.plan, [[0, '0'], [1, '0'], [2, '0']]);
  const latest = await gregorReset(['--to-latest', '--dry-run']);
  assert.deepEqual(latest.plan, await javaReset(['--to-latest', '--dry-run']));
  assert.deepEqual(latest.plan, [[0, end], [1, end], [2, end]]);
  assert.deepEqual((await javaShareGroupOffsets(group, { bootstrap })).map((o) => o.lag), [BigInt(MORE), BigInt(MORE), BigInt(MORE)]);

  // Executed: --to-offset 2 (Kafka's tool has no --to-offset; its describe shows the outcome), then Kafka's own
  // --to-earliest --execute, as gregor's lag shows it.
  const two = await gregorReset(['--to-offset', '2', '--execute']);
  assert.deepEqual(two.plan, [[0, '2'], [1, '2'], [2, '2']]);
  assert.deepEqual((await javaShareGroupOffsets(group, { bootstrap })).map((o) => [o.startOffset, o.lag]), [0, 1, 2].map(() => [2n, BigInt(PER_PARTITION + MORE - 2)]));
  await javaReset(['--to-earliest', '--execute']);
  const reset = await lag();
  assert.deepEqual(reset.partitions.map((p) => [p.startOffset, p.lag]), [0, 1, 2].map(() => ['0', end]));
});
