// run()'s failures against the real broker: every failed commit is observable (the 'commitFailed' event, a warning
// through the configured logger, the consumer's counter) and a failed final commit rejects run(); a non-retriable
// OffsetFetch answer stops run() at once instead of being retried forever; a partition the application paused during
// run() stays paused when run()'s own metadata hold ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer, GroupAuthorizationError, KafkaError, Producer, type CommitFailedEvent, type Logger } from '../../../src/index.js';
import { acl, asAdmin, asReader, createSecureTopics, ensureSecureKafka } from '../helpers/secure-kafka.js';
import { bootstrap, committedOf, makeTopic, produceRecords, runnerConsumer, uniqueName, until, type KeyedRecord } from './support.js';

function capture(onWarn?: () => void): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message: string) => {
      warnings.push(message);
      onWarn?.();
    },
    error: () => {},
  };
  return { logger, warnings };
}

test('commits refused because the group has members and this consumer is not one: each failure observed, the final one rejects run()', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-commit-refused', 1);
  await produceRecords(topic, Array.from({ length: 20 }, (_, i) => ({ partition: 0, key: null, value: String(i) })));
  const group = uniqueName('run-commit-refused');
  // A live member of the group: from now on the coordinator refuses commits from outside its membership.
  const member = new Consumer({ 'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error' });
  member.subscribe([topic]);
  await until('the member to own its partition', async () => {
    await member.poll(100);
    return member.assignment().length === 1;
  });
  const { logger, warnings } = capture();
  const consumer = await runnerConsumer({ 'group.id': group, 'auto.commit.interval.ms': 100, 'gregor.logger': logger });
  const events: CommitFailedEvent[] = [];
  consumer.on('commitFailed', (e) => events.push(e));
  consumer.assign([{ topic, partition: 0, offset: 0n }]);
  const stop = new AbortController();
  let handled = 0;
  const run = consumer.run({ signal: stop.signal, eachMessage: () => { handled++; } });
  const keepAlive = setInterval(() => void member.poll(10).catch(() => {}), 200);
  try {
    await until('two periodic commit failures', () => events.filter((e) => e.reason === 'periodic').length >= 2);
    assert.equal(handled, 20);
    stop.abort();
    const error = await run.then(() => assert.fail('run() resolved although its final commit failed'), (e: unknown) => e);
    assert.ok(error instanceof KafkaError, `expected a KafkaError, got ${String(error)}`);
    const last = events.at(-1)!;
    assert.equal(last.reason, 'final');
    assert.equal(last.error, error, 'run() rejects with the final commit\'s error');
    assert.deepEqual(last.offsets, [{ topic, partition: 0, offset: 20n }]);
    assert.equal(last.failures, events.length);
    assert.equal(consumer.commitFailures, events.length, 'the counter counts every failure');
    assert.equal(warnings.filter((w) => w.includes('commit failed')).length, events.length, 'a warning per failure');
    assert.equal((await committedOf(group, topic, 0)).offset, null, 'nothing was committed');
    process.stdout.write(`# ${events.length} failed commits (${(error as KafkaError).errorName}), the last one final\n`);
  } finally {
    clearInterval(keepAlive);
    await consumer.close();
    await member.close();
  }
});

test('a non-retriable OffsetFetch answer (no READ on the group) stops run() at once with the typed error', { timeout: 120_000 }, async () => {
  ensureSecureKafka();
  const topic = uniqueName('run-authz-load');
  const group = uniqueName('g-run-authz-load');
  await createSecureTopics([topic], 1);
  const producer = new Producer({ ...asAdmin(), 'gregor.log.level': 'error' });
  try {
    await producer.sendBatch([{ topic, value: 'a' }, { topic, value: 'b' }]);
  } finally {
    await producer.close();
  }
  await acl({ principal: 'gregor-reader', operations: ['Read'], topics: [topic] });
  const consumer = new Consumer({ ...asReader(), 'group.id': group, 'gregor.log.level': 'error' });
  try {
    // An explicit start offset: the consumer itself needs no OffsetFetch, run() reads the committed metadata.
    consumer.assign([{ topic, partition: 0, offset: 0n }]);
    const t0 = performance.now();
    await assert.rejects(
      consumer.run({ eachMessage: () => assert.fail('no record may be handed out before the committed offsets are read') }),
      (e) => e instanceof GroupAuthorizationError && e.groupId === group,
    );
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `run() rejected after ${ms.toFixed(0)} ms`);
    process.stdout.write(`# run() rejected with GroupAuthorizationError after ${ms.toFixed(0)} ms\n`);
  } finally {
    await consumer.close();
  }
});

test('a partition the application paused during run() stays paused when run()\'s metadata hold ends', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-user-pause', 1);
  // Two keys alternating: while the first record of key "a" is held, every "b" completes and the completions beyond
  // the gap outgrow metadataMaxBytes: run() holds the partition.
  const records: KeyedRecord[] = [];
  for (let i = 0; i < 400; i++) records.push({ partition: 0, key: i % 2 === 0 ? 'a' : 'b', value: String(i) });
  // Sent in batches of 20, so that fetch.max.bytes lets only part of them in at a time.
  const producer = new Producer({ 'bootstrap.servers': await bootstrap(), 'linger.ms': 0 });
  try {
    for (let i = 0; i < records.length; i += 20) {
      await producer.sendBatch(records.slice(i, i + 20).map((r) => ({ topic, partition: 0, key: r.key, value: r.value })));
    }
  } finally {
    await producer.close();
  }
  const group = uniqueName('run-user-pause');
  const consumer = await runnerConsumer({ 'group.id': group, 'auto.commit.interval.ms': 100, 'max.partition.fetch.bytes': 4096, 'fetch.max.bytes': 4096 });
  try {
    await pausedDuringRun(consumer, group, topic, records.length);
  } finally {
    await consumer.close();
  }
  assert.equal((await committedOf(group, topic, 0)).offset, BigInt(records.length));
});

async function pausedDuringRun(consumer: Consumer, group: string, topic: string, total: number): Promise<void> {
  const p0 = { topic, partition: 0 };
  consumer.assign([p0]);
  const stop = new AbortController();
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const done = new Set<bigint>();
  const run = consumer.run({
    ordering: 'key',
    concurrency: 4,
    metadataMaxBytes: 24,
    signal: stop.signal,
    eachMessage: async (m) => {
      if (m.offset === 0n) await held;
      done.add(m.offset);
      if (done.size === total) stop.abort();
    },
  });
  await until('run() to hold the partition for its metadata', () => consumer.paused().length === 1);
  consumer.pause([p0]);
  release();
  // The gap closes and run() ends its hold (it commits past offset 0); the application's pause must remain.
  await until('a commit past the gap', async () => ((await committedOf(group, topic, 0)).offset ?? 0n) > 0n);
  assert.deepEqual(consumer.paused(), [p0], 'still paused: run() ended only its own hold');
  const before = done.size;
  assert.ok(before < total, 'not everything was fetched before the pause');
  await until('the handled records to settle', async () => {
    const n = done.size;
    await new Promise((r) => setTimeout(r, 300));
    return done.size === n;
  });
  const settled = done.size;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(done.size, settled, 'nothing of a paused partition is handed out');
  consumer.resume([p0]);
  await run;
  assert.equal(done.size, total);
}

test('gregor.error.policy=skip: poison records among good ones in several partitions are logged, counted and committed past; every good record handled once', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('run-skip', 3);
  const records: KeyedRecord[] = [];
  for (let i = 0; i < 90; i++) records.push({ partition: i % 3, key: `k${i % 7}`, value: i % 10 === 4 ? `poison-${i}` : `good-${i}` });
  await produceRecords(topic, records);
  const poison = records.filter((r) => r.value.startsWith('poison')).length;
  const good = records.length - poison;
  const group = uniqueName('run-skip');
  const stop = new AbortController();
  const handled = new Map<string, number>();
  const attempts = new Map<string, number>();
  const skippedWarnings = (): number => warnings.filter((w) => w.includes('record skipped')).length;
  // Stops once every good record is handled and every poison record was skipped (its warning is written as it is
  // passed over, before run() marks it handled).
  const check = (): void => {
    if (handled.size === good && skippedWarnings() === poison) stop.abort();
  };
  const { logger, warnings } = capture(check);
  const consumer = await runnerConsumer({ 'group.id': group, 'gregor.error.policy': 'skip', 'gregor.logger': logger });
  consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })));
  let summary;
  try {
    summary = await consumer.run({
      ordering: 'key',
      concurrency: 8,
      retry: { retries: 1, initialBackoffMs: 1 },
      signal: stop.signal,
      eachMessage: async (m) => {
        const id = `${m.partition}@${m.offset}`;
        if (m.valueString()!.startsWith('poison')) {
          attempts.set(id, (attempts.get(id) ?? 0) + 1);
          throw new Error(`cannot handle ${m.valueString()}`);
        }
        handled.set(id, (handled.get(id) ?? 0) + 1);
        check();
      },
    });
  } finally {
    await consumer.close();
  }
  assert.equal(handled.size, good);
  assert.ok([...handled.values()].every((n) => n === 1), 'every good record handled once');
  assert.equal(summary.failedSkipped, poison);
  assert.equal(summary.completed, good);
  assert.equal(skippedWarnings(), poison, 'a warning per skipped record');
  assert.ok([...attempts.values()].every((n) => n === 2), 'each poison record tried twice (one retry), then skipped');
  for (const partition of [0, 1, 2]) {
    assert.equal((await committedOf(group, topic, partition)).offset, 30n, `partition ${partition} committed past its poison records`);
  }
});
