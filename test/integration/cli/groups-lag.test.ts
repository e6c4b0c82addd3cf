// gregor groups lag against the real broker. On a terminal (a real one: tmux, 160x40) --watch redraws one table in
// place: the lag values change between captures of the screen while exactly one copy of the table is on it, at the
// top, and Ctrl-C ends it with status 0. On a pipe --format json prints one object per refresh, and SIGINT ends it
// with status 0. The group's committed offsets are moved between refreshes by an admin commit (the group is Empty).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer } from '../../../src/index.js';
import { ROOT, ensureKafka, uniqueName } from '../helpers/kafka.js';

const BIN = join(ROOT, 'bin', 'gregor.js');
const PER_PARTITION = 50;
let admin: Admin;
let config = '';
let topic = '';

before(async () => {
  const { bootstrap } = await ensureKafka();
  config = join(mkdtempSync(join(tmpdir(), 'gregor-lag-')), 'config.ini');
  writeFileSync(config, `[default]\nbootstrap.servers=${bootstrap}\n`);
  topic = uniqueName('lag-watch');
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 2 }]);
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await Promise.all(Array.from({ length: 2 * PER_PARTITION }, (_, i) => producer.send({ topic, partition: i % 2, value: `v${i}` })));
  } finally {
    await producer.close();
  }
});

after(async () => {
  await admin?.close();
});

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, context: () => string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs / 1000} s; last:\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The LAG column per partition of the one table on the screen. */
function lags(screen: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of screen.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === topic) out.set(Number(f[1]), f[4]);
  }
  return out;
}

test('groups lag --watch on a terminal (tmux): the table updates in place, one copy, and Ctrl-C exits 0', async (t) => {
  if (spawnSync('tmux', ['-V']).status !== 0) {
    t.skip('tmux is not installed');
    return;
  }
  const group = uniqueName('lag-watch-g');
  await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 0n }, { topic, partition: 1, offset: 0n }]);
  const socket = `gregor-lag-${process.pid}`; // a tmux server of this test's own
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const command = `'${process.execPath}' '${BIN}' groups lag '${config}' --group ${group} --watch --interval 200; echo EXIT=$?; sleep 60`;
  assert.equal(tmux('new-session', '-d', '-s', 'lag', '-x', '160', '-y', '40', command).status, 0);
  t.after(() => { tmux('kill-server'); });
  let screen = '';
  const capture = () => (screen = tmux('capture-pane', '-p', '-t', 'lag').stdout);
  const shows = (want: Record<number, string>) => () => {
    const l = lags(capture());
    return Object.entries(want).every(([p, v]) => l.get(Number(p)) === v) ? screen : undefined;
  };
  const oneTable = (s: string) => {
    const rows = s.split('\n').filter((l) => l.trim() !== '');
    assert.equal(rows.filter((l) => l.startsWith('Group: ')).length, 1, `one summary line:\n${s}`);
    assert.equal(rows.filter((l) => /^TOPIC\s+PARTITION\s+COMMITTED/.test(l)).length, 1, `one header:\n${s}`);
    assert.ok(rows[0].startsWith(`Group: ${group} (classic, Empty, 0 members)`), `the table stays at the top:\n${s}`);
    assert.equal(rows.length, 5, `summary, time, header and two partitions, nothing accumulated:\n${s}`);
  };

  const first = await until('the first table', shows({ 0: '50', 1: '50' }), () => screen);
  oneTable(first);
  await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 30n }]);
  const second = await until('partition 0 at lag 20', shows({ 0: '20', 1: '50' }), () => screen);
  oneTable(second);
  await admin.alterGroupOffsets(group, [{ topic, partition: 1, offset: 45n }]);
  const third = await until('partition 1 at lag 5', shows({ 0: '20', 1: '5' }), () => screen);
  oneTable(third);
  assert.match(third, /total lag 25/);
  // Rates come from two samples: the columns hold numbers once the watch has refreshed.
  for (const line of third.split('\n').filter((l) => l.startsWith(topic))) assert.match(line.trim().split(/\s+/)[5], /^\d+\.?\d*$/, line);

  tmux('send-keys', '-t', 'lag', 'C-c');
  const ended = await until('EXIT= after Ctrl-C', () => (/EXIT=\d+/.test(capture()) ? screen : undefined), () => screen);
  assert.match(ended, /EXIT=0/);
  const rows = ended.split('\n').filter((l) => l.trim() !== '');
  assert.equal(rows.length, 6, `the last table stays, then the shell's line:\n${ended}`);
});

test('groups lag --watch --format json on a pipe: one object per refresh; SIGINT exits 0', async () => {
  const group = uniqueName('lag-json-g');
  await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: 10n }, { topic, partition: 1, offset: 20n }]);
  const child = spawn(process.execPath, [BIN, 'groups', 'lag', config, '--group', group, '--watch', '--interval', '150', '--format', 'json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await until('three refreshes', () => (stdout.split('\n').length > 3 ? true : undefined), () => stdout + stderr);
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  assert.ok(!stdout.includes('\u001b'), 'no terminal control on a pipe');
  const views = stdout.trim().split('\n').map((l) => JSON.parse(l) as { groupId: string; totalLag: string; intervalMs: number | null; partitions: { partition: number; lag: string; rate: number | null }[] });
  assert.ok(views.length >= 3);
  for (const v of views) {
    assert.equal(v.groupId, group);
    assert.equal(v.totalLag, '70');
    assert.deepEqual(v.partitions.map((p) => [p.partition, p.lag]), [[0, '40'], [1, '30']]);
  }
  assert.equal(views[0].intervalMs, null);
  assert.ok(views[1].intervalMs !== null && views[1].partitions.every((p) => p.rate === 0), 'nothing committed in between: rate 0');
});
