// ShareConsumer against the real broker (KIP-932): every record once under implicit acknowledgement; release
// redelivers with the delivery count raised and reject archives; explicit mode's rules; run() accepts, and its
// error policy: skip rejects the poison record, stop releases it until the group's delivery count limit archives it;
// a blocked event loop keeps the membership (the heartbeat thread); diagnostics channels.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, test } from 'node:test';
import { HandlerError, StateError, type ShareConsumer, type ShareMessage } from '../../../src/index.js';
import { makeTopic, produceRecords, shareConsumer, shareGroup, until } from './support.js';

const open = new Set<ShareConsumer>();
after(async () => {
  for (const c of open) await c.close();
});

async function consumer(group: string, props: Record<string, unknown> = {}): Promise<ShareConsumer> {
  const c = await shareConsumer(group, props);
  open.add(c);
  return c;
}

async function close(c: ShareConsumer): Promise<void> {
  await c.close();
  open.delete(c);
}

/** Polls until `n` records arrived (failing after `timeoutMs`). */
async function pollN(c: ShareConsumer, n: number, timeoutMs = 30_000): Promise<ShareMessage[]> {
  const out: ShareMessage[] = [];
  await until(`${n} records`, async () => {
    out.push(...await c.poll(200));
    return out.length >= n;
  }, timeoutMs);
  return out;
}

/** Polls for `ms` and returns what came (used where nothing may come: a bound on waiting, not on timing). */
async function pollFor(c: ShareConsumer, ms: number): Promise<ShareMessage[]> {
  const out: ShareMessage[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) out.push(...await c.poll(200));
  return out;
}

const id = (m: ShareMessage): string => `${m.partition}/${m.offset}`;

test('implicit mode: every record handed out once with deliveryCount 1, accepted at the next poll; commit() and metrics()', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-basic', 3);
  await produceRecords(topic, Array.from({ length: 300 }, (_, i) => ({ partition: i % 3, key: null, value: `v${i}` })));
  const group = await shareGroup('share-basic');
  const c = await consumer(group);
  c.subscribe([topic]);
  const got = await pollN(c, 300);
  assert.equal(got.length, 300);
  assert.equal(new Set(got.map(id)).size, 300, 'no record twice');
  assert.ok(got.every((m) => m.deliveryCount === 1));
  assert.deepEqual(new Set(got.map((m) => m.valueString())), new Set(Array.from({ length: 300 }, (_, i) => `v${i}`)));
  await c.commit();
  const m = c.metrics();
  assert.equal(m.acknowledgements.accept, 300);
  assert.equal(m.acquisitions, 300);
  assert.equal(m.delivered, 300);
  assert.equal(m.held, 0);
  assert.equal(m.acknowledgementFailures, 0);
  assert.equal(m.assignedPartitions, 3);
  assert.ok(m.memberEpoch > 0);
  await close(c);
  // Accepted records are never delivered again, to any member.
  const again = await consumer(group);
  again.subscribe([topic]);
  assert.deepEqual((await pollFor(again, 3000)).map(id), []);
  await close(again);
});

test('release redelivers with deliveryCount 2; reject archives: never delivered again', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-release', 1);
  await produceRecords(topic, Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: null, value: `v${i}` })));
  const group = await shareGroup('share-release');
  const c = await consumer(group, { 'share.acknowledgement.mode': 'explicit' });
  c.subscribe([topic]);
  const first = await pollN(c, 10);
  for (const m of first) c.acknowledge(m, m.offset < 5n ? 'release' : 'reject');
  await c.commit();
  const second = await pollN(c, 5);
  assert.deepEqual(second.map((m) => m.offset).sort(), [0n, 1n, 2n, 3n, 4n]);
  assert.ok(second.every((m) => m.deliveryCount === 2), 'released records come back with deliveryCount 2');
  for (const m of second) c.acknowledge(m, 'accept');
  await c.commit();
  assert.deepEqual((await pollFor(c, 2000)).map(id), [], 'rejected and accepted records are not delivered again');
  const m = c.metrics();
  assert.deepEqual({ release: m.acknowledgements.release, reject: m.acknowledgements.reject, accept: m.acknowledgements.accept }, { release: 5, reject: 5, accept: 5 });
  await close(c);
});

test('explicit mode: poll() refuses while a record is unacknowledged; acknowledge() refuses a record not held', { timeout: 60_000 }, async () => {
  const topic = await makeTopic('share-explicit', 1);
  await produceRecords(topic, [{ partition: 0, key: null, value: 'a' }, { partition: 0, key: null, value: 'b' }]);
  const group = await shareGroup('share-explicit');
  const c = await consumer(group, { 'share.acknowledgement.mode': 'explicit' });
  c.subscribe([topic]);
  const got = await pollN(c, 2);
  c.acknowledge(got[0]);
  await assert.rejects(c.poll(100), (e: unknown) => e instanceof StateError && /not acknowledged/.test(e.message));
  assert.throws(() => c.acknowledge(got[0]), StateError, 'already acknowledged');
  c.acknowledge(got[1], 'accept');
  assert.deepEqual(await c.poll(100), []);
  await c.commit();
  await close(c);
});

test("run(): handled records accepted; gregor.error.policy=skip rejects the poison record (archived)", { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-run-skip', 2);
  await produceRecords(topic, Array.from({ length: 40 }, (_, i) => ({ partition: i % 2, key: null, value: i === 17 ? 'poison' : `v${i}` })));
  const group = await shareGroup('share-run-skip');
  const c = await consumer(group, { 'gregor.error.policy': 'skip' });
  c.subscribe([topic]);
  const stop = new AbortController();
  const seen = new Set<string>();
  const summary = await c.run({
    concurrency: 4,
    retry: { retries: 1, initialBackoffMs: 10 },
    signal: stop.signal,
    eachMessage: async (m) => {
      if (m.valueString() === 'poison') throw new Error('cannot handle poison');
      seen.add(m.valueString()!);
      if (seen.size === 39) stop.abort();
    },
  });
  assert.equal(summary.handled, 39);
  assert.equal(summary.rejected, 1);
  await c.commit();
  assert.equal(c.metrics().acknowledgements.reject, 1);
  await close(c);
  const again = await consumer(group);
  again.subscribe([topic]);
  assert.deepEqual((await pollFor(again, 3000)).map(id), [], 'the rejected record is archived');
  await close(again);
});

test('run() with gregor.error.policy=stop: the failing record is released and run() rejects with a HandlerError; after the delivery count limit (2) the record is archived', { timeout: 90_000 }, async () => {
  const topic = await makeTopic('share-run-stop', 1);
  await produceRecords(topic, [{ partition: 0, key: null, value: 'poison' }]);
  const group = await shareGroup('share-run-stop', { deliveryLimit: 2 });
  const c = await consumer(group);
  c.subscribe([topic]);
  const counts: number[] = [];
  for (let round = 1; round <= 2; round++) {
    await assert.rejects(c.run({
      retry: false,
      eachMessage: (m) => {
        counts.push(m.deliveryCount);
        throw new Error('poison');
      },
    }), (e: unknown) => e instanceof HandlerError && e.attempts === 1);
  }
  assert.deepEqual(counts, [1, 2]);
  assert.equal(c.metrics().acknowledgements.release >= 1, true);
  assert.deepEqual((await pollFor(c, 3000)).map(id), [], 'archived after 2 deliveries');
  await close(c);
});

test('a blocked event loop keeps the membership: the heartbeat thread heartbeats (share.session.timeout.ms 2 s, loop blocked 5 s)', { timeout: 60_000 }, async () => {
  const topic = await makeTopic('share-blocked', 1);
  await produceRecords(topic, [{ partition: 0, key: null, value: 'x' }]);
  const group = await shareGroup('share-blocked', { sessionTimeoutMs: 2000, heartbeatIntervalMs: 500 });
  const c = await consumer(group);
  c.subscribe([topic]);
  await pollN(c, 1);
  const epoch = c.metrics().memberEpoch;
  assert.ok(epoch > 0);
  // Blocks this thread (no event loop turn) for 2.5 session timeouts.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  // An expelled member's records are released and its acknowledgements refused: this commit would reject.
  await c.commit();
  assert.equal(c.metrics().acknowledgements.accept, 1);
  assert.equal(c.metrics().memberEpoch, epoch, 'still the same member epoch: never fenced, never rejoined');
  await close(c);
});

test('for await: records one at a time, each accepted when the loop asks for the next; close() accepts the last', { timeout: 60_000 }, async () => {
  const topic = await makeTopic('share-iterate', 2);
  await produceRecords(topic, Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, key: null, value: `v${i}` })));
  const group = await shareGroup('share-iterate');
  const c = await consumer(group);
  c.subscribe([topic]);
  const seen = new Set<string>();
  for await (const m of c) {
    seen.add(id(m));
    if (seen.size === 20) break;
  }
  assert.equal(seen.size, 20);
  assert.equal(c.metrics().withApplication, 1, 'the record the loop broke on is still with the application');
  await close(c);
  const again = await consumer(group);
  again.subscribe([topic]);
  assert.deepEqual((await pollFor(again, 3000)).map(id), [], 'all 20 accepted');
  await close(again);
});

test('share.acquire.mode=record_limit: the broker acquires at most max.poll.records per ShareFetch (batch_optimized: the whole batch)', { timeout: 60_000 }, async () => {
  const topic = await makeTopic('share-acquire', 1);
  // 50 records in one or a few producer batches.
  await produceRecords(topic, Array.from({ length: 50 }, (_, i) => ({ partition: 0, key: null, value: `v${i}` })));
  for (const [mode, most] of [['record_limit', 10], ['batch_optimized', 50]] as const) {
    const group = await shareGroup(`share-acquire-${mode}`);
    const c = await consumer(group, { 'share.acquire.mode': mode, 'max.poll.records': 5 });
    c.subscribe([topic]);
    const first = await pollN(c, 1);
    assert.ok(first.length <= 5);
    // At most one more ShareFetch ran while the first poll's records were buffered (it fetches below 5 buffered).
    const held = c.metrics().held;
    if (mode === 'record_limit') assert.ok(held <= most, `${mode}: ${held} records held`);
    else assert.ok(held > 10 && held <= most, `${mode}: ${held} records held: whole batches acquired at once`);
    await close(c);
  }
});

test("diagnostics: run()'s handlers publish gregor:consumer:process, poll() gregor:consumer:poll (gregor/otel's spans)", { timeout: 60_000 }, async () => {
  const topic = await makeTopic('share-diag', 1);
  await produceRecords(topic, Array.from({ length: 3 }, (_, i) => ({ partition: 0, key: null, value: `v${i}` })));
  const group = await shareGroup('share-diag');
  const c = await consumer(group);
  const processed: { topic: string; attempt: number; offset: bigint | undefined; groupId: string | null }[] = [];
  const polls: string[] = [];
  const onProcess = (m: unknown): void => {
    const p = m as { topic: string; attempt: number; message: { offset: bigint } | null; groupId: string | null };
    processed.push({ topic: p.topic, attempt: p.attempt, offset: p.message?.offset, groupId: p.groupId });
  };
  const onPoll = (m: unknown): void => {
    polls.push((m as { operation: string }).operation);
  };
  subscribe('tracing:gregor:consumer:process:start', onProcess);
  subscribe('tracing:gregor:consumer:poll:start', onPoll);
  try {
    c.subscribe([topic]);
    const stop = new AbortController();
    let n = 0;
    await c.run({ signal: stop.signal, eachMessage: () => { if (++n === 3) stop.abort(); } });
    assert.deepEqual(processed.map((p) => p.offset).sort(), [0n, 1n, 2n]);
    assert.ok(processed.every((p) => p.topic === topic && p.attempt === 1 && p.groupId === group));
    await c.poll(10);
    assert.deepEqual(polls, ['pollBatch']);
  } finally {
    unsubscribe('tracing:gregor:consumer:process:start', onProcess);
    unsubscribe('tracing:gregor:consumer:poll:start', onPoll);
    await close(c);
  }
});
