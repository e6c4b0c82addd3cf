// gregor.error.policy=dead-letter under run(), against the real broker: poison records (a handler that keeps
// failing, and values the value.deserializer cannot parse) among good ones in several partitions. Every good record
// is handled once, every poison record appears once in the dead-letter topic with its key, value, headers and the
// source headers, and the committed offsets pass both. A SIGKILL between the acknowledged dead letter and the commit
// leaves at most a duplicate in the dead-letter topic, never a loss.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, type Message } from '../../../src/index.js';
import type { DeadLetterChildArgs } from './dead-letter-child.js';
import { bootstrap, committedOf, makeTopic, uniqueName, until } from './support.js';

const CHILD = fileURLToPath(new URL('./dead-letter-child.js', import.meta.url));
const PARTITIONS = 3;

interface Written { partition: number; key: string; value: string; poison: boolean }

async function write(topic: string, count: number, poisonAt: (i: number) => 'handler' | 'malformed' | null): Promise<Written[]> {
  const records: Written[] = [];
  for (let i = 0; i < count; i++) {
    const kind = poisonAt(i);
    const value = kind === 'malformed' ? `{not json ${i}` : JSON.stringify({ n: i, poison: kind === 'handler' });
    records.push({ partition: i % PARTITIONS, key: `k${i}`, value, poison: kind !== null });
  }
  const producer = new Producer({ 'bootstrap.servers': await bootstrap(), 'linger.ms': 5 });
  try {
    await producer.sendBatch(records.map((r, i) => ({ topic, partition: r.partition, key: r.key, value: r.value, headers: { origin: `test-${i}` } })));
  } finally {
    await producer.close();
  }
  return records;
}

/** Every record of the dead-letter topic (read until `count` arrived and nothing more comes for a moment). */
async function readAll(topic: string, count: number): Promise<Message[]> {
  const reader = new Consumer({ 'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn' });
  const admin = new Admin({ 'bootstrap.servers': await bootstrap() });
  try {
    const partitions = (await admin.describeTopics([topic]))[0].partitions.map((p) => ({ topic, partition: p.partition }));
    reader.assign(partitions);
    const out: Message[] = [];
    const deadline = Date.now() + 30_000;
    while (out.length < count && Date.now() < deadline) out.push(...await reader.pollBatch(500));
    // The end offsets say whether anything beyond `count` exists (a duplicate): read up to them.
    const ends = await reader.endOffsets(partitions);
    const total = [...ends.values()].reduce((a, b) => a + b, 0n);
    while (BigInt(out.length) < total && Date.now() < deadline) out.push(...await reader.pollBatch(500));
    return out;
  } finally {
    await reader.close();
    await admin.close();
  }
}

function header(m: Message, key: string): string | null {
  return m.headerString(key);
}

test('dead-letter: every good record handled once, every poison record once in the dead-letter topic with the source headers, commits past both', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('dlq-src', PARTITIONS);
  const dlq = await makeTopic('dlq-dst', 2);
  const records = await write(topic, 90, (i) => (i % 10 === 4 ? 'handler' : i % 10 === 7 ? 'malformed' : null));
  const poison = records.filter((r) => r.poison);
  const good = records.length - poison.length;
  const group = uniqueName('dlq-group');
  const consumer = new Consumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error',
    'gregor.error.policy': 'dead-letter', 'gregor.dead.letter.topic': dlq, 'value.deserializer': 'json', 'key.deserializer': 'string',
  });
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  const handled = new Map<string, number>();
  const stop = new AbortController();
  let summary;
  try {
    const run = consumer.run({
      ordering: 'key', concurrency: 4, retry: { retries: 1, initialBackoffMs: 1 }, signal: stop.signal,
      eachMessage: (m) => {
        const value = m.value as { n: number; poison: boolean };
        assert.equal(typeof m.key, 'string', 'the key is deserialized');
        if (value.poison) throw new Error(`cannot handle ${value.n}`);
        const id = `${m.partition}@${m.offset}`;
        handled.set(id, (handled.get(id) ?? 0) + 1);
      },
    });
    await until('every record handled or dead-lettered', async () => {
      const ends = await Promise.all([0, 1, 2].map((p) => committedOf(group, topic, p)));
      return ends.every((c) => c.offset === 30n);
    });
    stop.abort();
    summary = await run;
  } finally {
    await consumer.close();
  }
  assert.equal(handled.size, good);
  assert.ok([...handled.values()].every((n) => n === 1), 'every good record handled once');
  assert.equal(summary.deadLettered, poison.length);
  const letters = await readAll(dlq, poison.length);
  assert.equal(letters.length, poison.length, 'each poison record once in the dead-letter topic');
  const bySource = new Map(letters.map((m) => [`${header(m, '__gregor.dlq.partition')}@${header(m, '__gregor.dlq.offset')}`, m]));
  assert.equal(bySource.size, poison.length);
  for (const m of letters) {
    assert.equal(header(m, '__gregor.dlq.topic'), topic);
    assert.equal(header(m, '__gregor.dlq.group'), group);
    const offset = Number(header(m, '__gregor.dlq.offset'));
    const partition = Number(header(m, '__gregor.dlq.partition'));
    const source = records.filter((r) => r.partition === partition)[offset];
    assert.ok(source?.poison, `${partition}@${offset} is a poison record`);
    assert.equal(m.keyString(), source.key, 'the key as written');
    assert.equal(m.valueString(), source.value, 'the value as written (raw bytes)');
    assert.match(header(m, 'origin') ?? '', /^test-\d+$/, 'the source headers come along');
    assert.ok(Number(header(m, '__gregor.dlq.timestamp')) > 0);
    if (source.value.startsWith('{not json')) {
      assert.equal(header(m, '__gregor.dlq.error.class'), 'DeserializationError');
      assert.equal(header(m, '__gregor.dlq.error.code'), 'ERR_DESERIALIZATION');
      assert.equal(header(m, '__gregor.dlq.attempts'), '0');
    } else {
      assert.equal(header(m, '__gregor.dlq.error.class'), 'Error');
      assert.match(header(m, '__gregor.dlq.error.message') ?? '', /cannot handle \d+/);
      assert.equal(header(m, '__gregor.dlq.attempts'), '2', 'the first try and one retry');
    }
  }
  for (const p of [0, 1, 2]) assert.equal((await committedOf(group, topic, p)).offset, 30n, `partition ${p} committed past its poison records`);
});

test('dead-letter: SIGKILL after the dead letter was acknowledged and before the commit: at most a duplicate, never a loss', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('dlq-kill-src', PARTITIONS);
  const records = await write(topic, 30, (i) => (i % 5 === 2 ? 'handler' : null));
  const poison = records.filter((r) => r.poison);
  const dlq = `${topic}.dlq`;
  const admin = new Admin({ 'bootstrap.servers': await bootstrap() });
  await admin.createTopics([{ topic: dlq, numPartitions: 1 }]);
  await admin.close();
  const group = uniqueName('dlq-kill');
  const args: DeadLetterChildArgs = { bootstrap: await bootstrap(), topic, group, partitions: PARTITIONS };
  const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let acked: { partition: number; offset: bigint } | null = null;
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      const [tag, p, o] = line.split(' ');
      if (tag === 'A') {
        acked = { partition: Number(p), offset: BigInt(o) };
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error('the child exited before a dead letter was acknowledged')));
  });
  assert.equal(await exited, 'SIGKILL');
  const killedAt = acked!;
  const before = await committedOf(group, topic, killedAt.partition);
  assert.ok(before.offset === null || before.offset <= killedAt.offset, 'nothing was committed past the dead-lettered record before the kill');

  // A second member of the group finishes the work with the built-in sink.
  const consumer = new Consumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'error',
    'gregor.error.policy': 'dead-letter',
  });
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  const stop = new AbortController();
  try {
    const run = consumer.run({
      retry: false, signal: stop.signal,
      eachMessage: (m) => {
        if (m.valueString()!.includes('"poison":true')) throw new Error('cannot handle');
      },
    });
    await until('every partition committed to its end', async () => {
      const ends = await Promise.all([0, 1, 2].map((p) => committedOf(group, topic, p)));
      return ends.every((c) => c.offset === 10n);
    });
    stop.abort();
    await run;
  } finally {
    await consumer.close();
  }
  const letters = await readAll(dlq, poison.length);
  const count = new Map<string, number>();
  for (const m of letters) {
    const id = `${header(m, '__gregor.dlq.partition')}@${header(m, '__gregor.dlq.offset')}`;
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  const killedId = `${killedAt.partition}@${killedAt.offset}`;
  for (const r of poison) {
    const offset = records.filter((x) => x.partition === r.partition).indexOf(r);
    const id = `${r.partition}@${offset}`;
    const n = count.get(id) ?? 0;
    assert.ok(n >= 1, `${id} is in the dead-letter topic (never lost)`);
    // Records of other partitions dead-lettered after the held one and not committed before the kill may repeat too.
    assert.ok(n <= 2, `${id}: ${n} copies, at most one duplicate`);
  }
  assert.equal(count.get(killedId), 2, 'the record killed between its acknowledged dead letter and the commit was written again');
  process.stdout.write(`# killed after the dead letter of ${killedId}; ${letters.length} dead letters for ${poison.length} poison records\n`);
});
