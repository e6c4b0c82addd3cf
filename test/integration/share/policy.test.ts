// Deserializers and gregor.error.policy on the ShareConsumer against the real broker: a topic of good JSON records
// and poison ones (malformed JSON, or a handler that keeps failing) read with value.deserializer=json. skip rejects
// the poison (archived: no member sees it again); stop releases it (redelivered, its delivery count raised) and the
// DeserializationError reaches the application; dead-letter writes each poison record once to the dead-letter topic
// with the consumer's dead-letter headers and accepts it only after that write, and a failed write releases it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  Consumer, DeadLetterError, DeserializationError, Producer, ShareConsumer, ShareConsumerRecord, type DeadLetterSink, type Message,
  type ShareMessage,
} from '../../../src/index.js';
import { bootstrap, makeTopic, shareGroup, until } from './support.js';

const open = new Set<{ close(): Promise<void> }>();
after(async () => {
  for (const c of open) await c.close();
});

function track<C extends { close(): Promise<void> }>(c: C): C {
  open.add(c);
  return c;
}

async function close(c: { close(): Promise<void> }): Promise<void> {
  await c.close();
  open.delete(c);
}

interface Written { partition: number; offset: number; value: string; kind: 'good' | 'malformed' | 'handler' }

/** `count` records over `partitions` partitions: JSON {n, poison}, or malformed JSON where `kind` says so. */
async function write(topic: string, count: number, partitions: number, kind: (i: number) => Written['kind']): Promise<Written[]> {
  const out: Written[] = [];
  const next = new Array<number>(partitions).fill(0);
  for (let i = 0; i < count; i++) {
    const k = kind(i);
    const partition = i % partitions;
    out.push({ partition, offset: next[partition]++, value: k === 'malformed' ? `{not json ${i}` : JSON.stringify({ n: i, poison: k === 'handler' }), kind: k });
  }
  const producer = new Producer({ 'bootstrap.servers': await bootstrap(), 'linger.ms': 5 });
  try {
    await producer.sendBatch(out.map((r, i) => ({ topic, partition: r.partition, key: `k${i}`, value: r.value, headers: { origin: `test-${i}` } })));
  } finally {
    await producer.close();
  }
  return out;
}

const id = (m: { partition: number; offset: bigint }): string => `${m.partition}@${m.offset}`;
const idOf = (w: Written): string => `${w.partition}@${w.offset}`;

/** A raw share consumer of the group polls for `ms`: what it gets (nothing, where the group has nothing left). */
async function leftInGroup(group: string, topic: string, ms = 3000): Promise<ShareMessage[]> {
  const c = track(new ShareConsumer({ 'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error' }));
  c.subscribe([topic]);
  const out: ShareMessage[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) out.push(...await c.poll(200));
  await close(c);
  return out;
}

/** Every record of the dead-letter topic: `count` of them, and then whatever more its end offsets say exists. */
async function deadLetters(dlq: string, partitions: number, count: number): Promise<Message[]> {
  const reader = new Consumer({ 'bootstrap.servers': await bootstrap(), 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn' });
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: dlq, partition }));
    reader.assign(tps);
    const out: Message[] = [];
    await until(`${count} dead letters`, async () => {
      out.push(...await reader.pollBatch(500));
      return out.length >= count;
    }, 30_000);
    const total = [...(await reader.endOffsets(tps)).values()].reduce((a, b) => a + b, 0n);
    await until('the dead-letter topic read to its end', async () => {
      if (BigInt(out.length) < total) out.push(...await reader.pollBatch(500));
      return BigInt(out.length) >= total;
    }, 30_000);
    return out;
  } finally {
    await reader.close();
  }
}

/** The dead letters match the poison records one to one, with the consumer's dead-letter headers. */
function checkLetters(letters: readonly Message[], topic: string, group: string, poison: readonly Written[]): void {
  assert.equal(letters.length, poison.length, 'each poison record once in the dead-letter topic');
  const bySource = new Map(letters.map((m) => [`${m.headerString('__gregor.dlq.partition')}@${m.headerString('__gregor.dlq.offset')}`, m]));
  assert.deepEqual([...bySource.keys()].sort(), poison.map(idOf).sort());
  for (const w of poison) {
    const m = bySource.get(idOf(w))!;
    assert.equal(m.headerString('__gregor.dlq.topic'), topic);
    assert.equal(m.headerString('__gregor.dlq.group'), group);
    assert.equal(m.valueString(), w.value, 'the raw value as written');
    assert.match(m.keyString() ?? '', /^k\d+$/, 'the raw key as written');
    assert.match(m.headerString('origin') ?? '', /^test-\d+$/, 'the source headers come along');
    if (w.kind === 'malformed') {
      assert.equal(m.headerString('__gregor.dlq.error.class'), 'DeserializationError');
      assert.equal(m.headerString('__gregor.dlq.error.code'), 'ERR_DESERIALIZATION');
      assert.equal(m.headerString('__gregor.dlq.attempts'), '0');
    } else {
      assert.equal(m.headerString('__gregor.dlq.error.class'), 'Error');
      assert.match(m.headerString('__gregor.dlq.error.message') ?? '', /^cannot handle \d+$/);
      assert.equal(m.headerString('__gregor.dlq.attempts'), '2', 'the first call and one retry');
    }
  }
}

test('poll() with value.deserializer=json, gregor.error.policy=skip: typed records; the poison ones rejected, archived for the whole group', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-pol-skip', 2);
  const records = await write(topic, 30, 2, (i) => (i % 10 === 3 ? 'malformed' : 'good'));
  const good = records.filter((r) => r.kind === 'good');
  const group = await shareGroup('share-pol-skip');
  const c = track(new ShareConsumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error',
    'key.deserializer': 'string', 'value.deserializer': 'json', 'gregor.error.policy': 'skip',
  }));
  c.subscribe([topic]);
  const got: ShareConsumerRecord<string | null, unknown>[] = [];
  await until('every good record', async () => {
    got.push(...await c.poll(200));
    return got.length >= good.length && c.metrics().errorPolicy.rejected === 3;
  }, 30_000);
  assert.deepEqual(got.map(id).sort(), good.map(idOf).sort(), 'every good record once, no poison');
  for (const m of got) {
    assert.ok(m instanceof ShareConsumerRecord);
    assert.equal(m.deliveryCount, 1);
    assert.match(m.key ?? '', /^k\d+$/);
    const value = m.value as { n: number; poison: boolean };
    assert.equal(typeof value.n, 'number', 'the value is deserialized');
    assert.equal(m.rawValue?.toString(), JSON.stringify(value), 'the raw bytes stay reachable');
    assert.equal(m.record.deliveryCount, 1);
  }
  await c.commit();
  const metrics = c.metrics();
  assert.deepEqual(metrics.errorPolicy, { rejected: 3, deadLettered: 0 });
  assert.equal(metrics.acknowledgements.reject, 3);
  assert.equal(metrics.acknowledgements.accept, good.length);
  assert.equal(metrics.acknowledgements.release, 0);
  await close(c);
  assert.deepEqual((await leftInGroup(group, topic)).map(id), [], 'rejected records are archived, accepted ones done');
});

test('poll() with gregor.error.policy=stop: the DeserializationError reaches the application, the record is released (redelivered, not lost)', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-pol-stop', 1);
  const records = await write(topic, 3, 1, (i) => (i === 1 ? 'malformed' : 'good'));
  const group = await shareGroup('share-pol-stop');
  const c = track(new ShareConsumer({ 'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error', 'value.deserializer': 'json' }));
  c.subscribe([topic]);
  const handed: string[] = [];
  let raised: unknown = null;
  await until('the DeserializationError', async () => {
    try {
      handed.push(...(await c.poll(200)).map(id));
    } catch (err) {
      raised = err;
    }
    return raised !== null;
  }, 30_000);
  assert.ok(raised instanceof DeserializationError, String(raised));
  assert.equal(raised.offset, 1n);
  assert.equal(raised.part, 'value');
  // The record before it was handed out; the one after it too when it came in the same batch.
  assert.equal(handed[0], '0@0');
  assert.ok(handed.every((h) => h === '0@0' || h === '0@2'), handed.join());
  await close(c);
  // Released, not accepted: the group delivers it again (its delivery count raised); handed out ones were accepted.
  const left = await leftInGroup(group, topic);
  const poison = left.find((m) => id(m) === '0@1');
  assert.ok(poison !== undefined && poison.deliveryCount >= 2, `the poison record comes back: ${JSON.stringify(left.map((m) => [id(m), m.deliveryCount]))}`);
  assert.equal(poison.valueString(), records[1].value);
  assert.deepEqual([...handed, ...left.map(id)].sort(), ['0@0', '0@1', '0@2'], 'each record either handed out (accepted) or still in the group, once');
});

test('poll() with gregor.error.policy=dead-letter: each poison record once in the dead-letter topic, then accepted; every good record once, nothing redelivered', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('share-pol-dlq', 2);
  const dlq = await makeTopic('share-pol-dlq-dst', 1);
  const records = await write(topic, 30, 2, (i) => (i % 10 === 7 ? 'malformed' : 'good'));
  const poison = records.filter((r) => r.kind !== 'good');
  const good = records.filter((r) => r.kind === 'good');
  const group = await shareGroup('share-pol-dlq');
  const c = track(new ShareConsumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error',
    'key.deserializer': 'string', 'value.deserializer': 'json', 'gregor.error.policy': 'dead-letter', 'gregor.dead.letter.topic': dlq,
  }));
  c.subscribe([topic]);
  const got: string[] = [];
  await until('every record handed out or dead-lettered', async () => {
    got.push(...(await c.poll(200)).map(id));
    return got.length >= good.length && c.metrics().errorPolicy.deadLettered === poison.length;
  }, 30_000);
  assert.deepEqual(got.sort(), good.map(idOf).sort(), 'every good record once');
  await c.commit();
  const metrics = c.metrics();
  assert.equal(metrics.acknowledgements.accept, records.length, 'good records and dead letters accepted');
  assert.equal(metrics.acknowledgements.release + metrics.acknowledgements.reject, 0);
  await close(c);
  assert.deepEqual((await leftInGroup(group, topic)).map(id), [], 'nothing redelivered');
  checkLetters(await deadLetters(dlq, 1, poison.length), topic, group, poison);
});

test('run() with gregor.error.policy=dead-letter: a handler that keeps failing and malformed values dead-lettered once each; every good record handled once', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('share-pol-run', 3);
  const dlq = await makeTopic('share-pol-run-dst', 2);
  const records = await write(topic, 60, 3, (i) => (i % 10 === 4 ? 'handler' : i % 10 === 7 ? 'malformed' : 'good'));
  const poison = records.filter((r) => r.kind !== 'good');
  const good = records.filter((r) => r.kind === 'good');
  const group = await shareGroup('share-pol-run');
  const c = track(new ShareConsumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error',
    'key.deserializer': 'string', 'value.deserializer': 'json', 'gregor.error.policy': 'dead-letter', 'gregor.dead.letter.topic': dlq,
  }));
  c.subscribe([topic]);
  const handled = new Map<string, number>();
  const stop = new AbortController();
  const run = c.run({
    concurrency: 4, retry: { retries: 1, initialBackoffMs: 1 }, signal: stop.signal,
    eachMessage: (m) => {
      assert.ok(m instanceof ShareConsumerRecord);
      const value = m.value as { n: number; poison: boolean };
      if (value.poison) throw new Error(`cannot handle ${value.n}`);
      handled.set(id(m), (handled.get(id(m)) ?? 0) + 1);
    },
  });
  await until('every record handled or dead-lettered', () => handled.size === good.length && c.metrics().errorPolicy.deadLettered === poison.length, 60_000);
  stop.abort();
  const summary = await run;
  assert.deepEqual([...handled.keys()].sort(), good.map(idOf).sort());
  assert.ok([...handled.values()].every((n) => n === 1), 'every good record handled once');
  assert.deepEqual({ handled: summary.handled, deadLettered: summary.deadLettered, rejected: summary.rejected }, { handled: good.length, deadLettered: poison.length, rejected: 0 });
  await c.commit();
  assert.equal(c.metrics().acknowledgements.accept, records.length);
  assert.equal(c.metrics().acknowledgements.release, 0);
  await close(c);
  assert.deepEqual((await leftInGroup(group, topic)).map(id), [], 'nothing redelivered');
  checkLetters(await deadLetters(dlq, 2, poison.length), topic, group, poison);
});

test('run() with gregor.error.policy=dead-letter whose write fails: the record is released (redelivered), never accepted; run() rejects with the DeadLetterError', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-pol-dlqfail', 1);
  await write(topic, 3, 1, (i) => (i === 1 ? 'handler' : 'good'));
  const group = await shareGroup('share-pol-dlqfail');
  // The seam of the dead-letter write (ConsumerOptions.deadLetterSink): a topic that refuses the write.
  const refusing: DeadLetterSink = { send: () => Promise.reject(new Error('the dead-letter topic refused the write')), close: () => Promise.resolve() };
  const c = track(new ShareConsumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error', 'value.deserializer': 'json', 'gregor.error.policy': 'dead-letter',
  }, { deadLetterSink: refusing }));
  c.subscribe([topic]);
  const handled: string[] = [];
  await assert.rejects(c.run({
    retry: false,
    eachMessage: (m) => {
      if ((m.value as { poison: boolean }).poison) throw new Error('cannot handle it');
      handled.push(id(m));
    },
  }), (e: unknown) => e instanceof DeadLetterError && e.offset === 1n && /refused the write/.test(e.message));
  assert.equal(c.metrics().errorPolicy.deadLettered, 0);
  await close(c);
  const left = await leftInGroup(group, topic);
  assert.ok(left.some((m) => id(m) === '0@1' && m.deliveryCount >= 2), `the poison record comes back: ${JSON.stringify(left.map((m) => [id(m), m.deliveryCount]))}`);
  // Every good record either handled (and accepted) or, if run() stopped before it, still in the group: none lost.
  assert.deepEqual(new Set([...handled, ...left.map(id)]), new Set(['0@0', '0@1', '0@2']));
});

test('run() eachBatch with gregor.error.policy=skip: the batches hold the deserialized good records; the malformed ones rejected, archived', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-pol-batch', 2);
  const records = await write(topic, 40, 2, (i) => (i % 10 === 5 ? 'malformed' : 'good'));
  const good = records.filter((r) => r.kind === 'good');
  const group = await shareGroup('share-pol-batch');
  const c = track(new ShareConsumer({
    'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'error', 'value.deserializer': 'json', 'gregor.error.policy': 'skip',
  }));
  c.subscribe([topic]);
  const seen: string[] = [];
  const stop = new AbortController();
  const run = c.run({
    batchSize: 7, signal: stop.signal,
    eachBatch: (batch) => {
      for (const m of batch) {
        assert.equal(typeof (m.value as { n: number }).n, 'number');
        assert.equal(m.deliveryCount, 1);
        seen.push(id(m));
      }
    },
  });
  await until('every good record', () => seen.length === good.length && c.metrics().errorPolicy.rejected === records.length - good.length, 60_000);
  stop.abort();
  const summary = await run;
  assert.deepEqual(seen.sort(), good.map(idOf).sort());
  assert.deepEqual({ handled: summary.handled, rejected: summary.rejected }, { handled: good.length, rejected: records.length - good.length });
  await close(c);
  assert.deepEqual((await leftInGroup(group, topic)).map(id), []);
});
