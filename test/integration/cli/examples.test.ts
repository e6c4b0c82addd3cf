// The compiled examples (examples/*.ts -> dist/examples/*.js) run as a user runs them, against the real broker over
// SASL_SSL with a config.ini of the hands-on's shape: they print every poem, stop cleanly on Ctrl-C (SIGINT, exit
// 0), and leave the group's offsets committed, checked with Kafka's own consumer-groups tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, USERS, committedOffsets, createTopic, ensureKafka, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Runs a compiled example; once `ready(stdout)` holds, sends SIGINT. A hard limit keeps a hang from stalling the suite. */
function runExample(name: string, args: string[], ready: (stdout: string) => boolean): Promise<Run & { interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'examples', `${name}.js`), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${name} did not finish in 120 s\n${stdout}\n${stderr}`)); }, 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!interrupted && ready(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, interrupted }); });
  });
}

function ini(bootstrap: string, caFile: string, group: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gregor-examples-')), 'config.ini');
  writeFileSync(file, `[default]
bootstrap.servers=${bootstrap}
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${USERS.PLAIN.username}
sasl.password=${USERS.PLAIN.password}
ssl.ca.location=${caFile}

[consumer]
group.id=${group}
auto.offset.reset=earliest
`);
  return file;
}

const POEMS = readFileSync(join(ROOT, 'demo', 'poems.txt'), 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [key, value] = l.split(' | ');
    return { key, value };
  });

async function poemsTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(topic, 3);
  await produce(topic, POEMS);
  return topic;
}

/** Committed offsets per partition, as consumer-groups reports them. */
async function committedByPartition(group: string): Promise<Map<number, bigint | null>> {
  return new Map((await committedOffsets(group)).map((c) => [c.partition, c.offset]));
}

/** What each partition holds: the poem lines whose titles murmur2 places there, in order. */
function expectedEnds(): Map<number, bigint> {
  const ends = new Map<number, bigint>([[0, 0n], [1, 0n], [2, 0n]]);
  for (const p of POEMS) {
    const partition = partitionForKey(p.key, 3);
    ends.set(partition, ends.get(partition)! + 1n);
  }
  return ends;
}

const consumed = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('Consumed event from topic '));

test('examples/consumer.ts: the hands-on loop prints every poem, Ctrl-C exits 0 with the offsets committed; --reset reads again', async () => {
  const env = await ensureKafka();
  const topic = await poemsTopic('example-consumer');
  const group = uniqueName('example-consumer-group');
  const config = ini(env.saslSslBootstrap, env.caFile, group);

  const run = await runExample('consumer', [config, '--topic', topic], (out) => consumed(out).length >= POEMS.length);
  assert.ok(run.interrupted, `not every poem arrived:\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = consumed(run.stdout);
  const expected = POEMS.map((p) => `Consumed event from topic ${topic}: key = ${p.key.padEnd(12)} value = ${p.value.padEnd(12)}`);
  assert.deepEqual([...lines].sort(), [...expected].sort());
  for (const key of new Set(POEMS.map((p) => p.key))) {
    const mark = `key = ${key.padEnd(12)} `;
    assert.deepEqual(lines.filter((l) => l.includes(mark)), expected.filter((l) => l.includes(mark)), `${key}: in the order written`);
  }
  // Only the hands-on's two kinds of line.
  assert.deepEqual(run.stdout.split('\n').filter((l) => l !== '' && l !== 'Waiting...' && !l.startsWith('Consumed event')), []);
  // close() on Ctrl-C committed the final offsets: the end of every partition.
  assert.deepEqual(await committedByPartition(group), expectedEnds());

  // The group has committed offsets now; --reset starts the assigned partitions at their beginning anyway.
  const again = await runExample('consumer', [config, '--topic', topic, '--reset'], (out) => consumed(out).length >= POEMS.length);
  assert.ok(again.interrupted, `--reset did not read the poems again:\n${again.stdout}\n${again.stderr}`);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(consumed(again.stdout).sort(), [...expected].sort());
});

test('examples/async-iterator.ts: for await with manual commits; Ctrl-C commits the rest, closes, exits 0', async () => {
  const env = await ensureKafka();
  const topic = await poemsTopic('example-iterator');
  const group = uniqueName('example-iterator-group');
  const lineOf = (l: string) => /^(\S+)\[(\d)\]@(\d+): (.+) = (.+)$/.exec(l);
  // 36 poem lines, commits every 5: the last one comes from the Ctrl-C handler.
  const run = await runExample('async-iterator', [ini(env.saslSslBootstrap, env.caFile, group), '--topic', topic, '--commit-every', '5'],
    (out) => out.split('\n').filter((l) => lineOf(l) !== null).length >= POEMS.length);
  assert.ok(run.interrupted, `not every poem arrived:\n${run.stdout}\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, 'closed: processed offsets committed, group left\n');
  const rows = run.stdout.trim().split('\n').map((l) => {
    const m = lineOf(l);
    assert.ok(m !== null, `unexpected line: ${l}`);
    return { topic: m[1], partition: Number(m[2]), offset: BigInt(m[3]), key: m[4], value: m[5] };
  });
  assert.deepEqual(rows.map((r) => `${r.key}|${r.value}`).sort(), POEMS.map((p) => `${p.key}|${p.value}`).sort());
  for (const partition of [0, 1, 2]) {
    const offsets = rows.filter((r) => r.partition === partition).map((r) => r.offset);
    assert.deepEqual(offsets, offsets.map((_o, i) => BigInt(i)), `partition ${partition}: every offset once, in order`);
  }
  assert.ok(rows.every((r) => r.topic === topic && r.partition === partitionForKey(r.key, 3)));
  assert.deepEqual(await committedByPartition(group), expectedEnds());
});
