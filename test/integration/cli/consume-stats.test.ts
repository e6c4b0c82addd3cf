// gregor consume --stats against the real broker: statistics lines go to stderr while the records go to stdout,
// untouched (every stdout line is a record), and the lines count what was printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, createTopic, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';

const RECORDS = 40;

test('consume --stats: periodic lines on stderr, records alone on stdout; the total counts them', async () => {
  const env = await ensureKafka();
  const topic = uniqueName('cli-stats');
  await createTopic(topic, 2);
  await produce(topic, Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  const config = join(mkdtempSync(join(tmpdir(), 'gregor-stats-')), 'consumer.properties');
  writeFileSync(config, `bootstrap.servers=${env.bootstrap}\ngroup.id=${uniqueName('cli-stats-g')}\nauto.offset.reset=earliest\n`);
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'gregor.js'), 'consume', config, '--topic', topic, '--stats', '200ms'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  // Every record printed, and a later statistics line that counted them all.
  while (!(stdout.split('\n').length - 1 === RECORDS && new RegExp(`gregor: stats: ${RECORDS} records .*lag 0, 2 partitions`).test(stderr))) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `no stats line counting ${RECORDS} records; stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, RECORDS);
  for (const l of lines) assert.match(l, /^Consumed event from topic /);
  const stats = stderr.split('\n').filter((l) => l.startsWith('gregor: stats: '));
  assert.ok(stats.length >= 2, stderr);
  for (const l of stats) assert.match(l, /^gregor: stats: (total: )?\d+ records \(\d+\.\d\/s\), [\d.]+ (B|KiB|MiB) \([\d.]+ (B|KiB|MiB)\/s\), lag (\d+|-), \d+ partitions?, \d+ rebalances?$/);
  assert.match(stats[stats.length - 1], new RegExp(`^gregor: stats: total: ${RECORDS} records`));
});
