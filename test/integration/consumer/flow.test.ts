// Flow control with prefetched data (reliability R10): pause stops delivery of a partition while others flow, and
// resume continues without gap or duplicate; seek with data already buffered delivers the sought offset next and
// nothing fetched before the seek; lag comes from the last fetch (no extra request) and matches get-offsets; the
// async iterator ends on close().
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import { StateError, type Message, type RequestDiagnostics } from '../../../src/index.js';
import { createTopic, endOffsets, ensureKafka, partitionForKey, produce, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer } from './env.js';

const PARTITIONS = 3;

describe('pause, resume, seek and lag with prefetched data', () => {
  const topic = uniqueName('flow');
  const perPartition = new Map<number, number>();

  before(async () => {
    await ensureKafka();
    await createTopic(topic, PARTITIONS);
    const records = Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    for (const r of records) {
      const p = partitionForKey(r.key, PARTITIONS);
      perPartition.set(p, (perPartition.get(p) ?? 0) + 1);
    }
    await produce(topic, records);
  });

  it('pause holds a partition back while others flow; resume continues with no gap or duplicate', async () => {
    const c = await newConsumer({ 'group.id': uniqueName('g-pause'), 'auto.offset.reset': 'earliest', 'enable.auto.commit': false });
    try {
      c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
      const first = await drain(c, 5);
      const p0 = { topic, partition: 0 };
      // Let fetches bring data for every partition, so partition 0 is paused with data buffered.
      await new Promise((r) => setTimeout(r, 500));
      c.pause([p0]);
      assert.deepEqual(c.paused(), [p0]);
      const whilePaused = await drain(c, 10_000, 2000);
      assert.equal(whilePaused.filter((m) => m.partition === 0).length, 0, 'nothing of a paused partition is delivered');
      c.resume([p0]);
      assert.deepEqual(c.paused(), []);
      const after = await drain(c, 10_000, 2000);
      const all: Message[] = [...first, ...whilePaused, ...after];
      for (let p = 0; p < PARTITIONS; p++) {
        const offsets = all.filter((m) => m.partition === p).map((m) => Number(m.offset));
        assert.deepEqual(offsets, Array.from({ length: perPartition.get(p)! }, (_, i) => i), `partition ${p}: every offset once, in order`);
      }
    } finally {
      await c.close();
    }
  });

  it('seek with data buffered delivers the sought offset next, and nothing fetched before the seek', async () => {
    const c = await newConsumer({ 'group.id': uniqueName('g-seek'), 'auto.offset.reset': 'earliest', 'enable.auto.commit': false });
    try {
      c.assign([{ topic, partition: 1 }]);
      const m = await c.poll(15_000);
      assert.equal(m?.offset, 0n);
      await new Promise((r) => setTimeout(r, 300)); // more of partition 1 is buffered now
      c.seek({ topic, partition: 1 }, 50);
      const next = await drain(c, 3);
      assert.deepEqual(next.map((x) => x.offset), [50n, 51n, 52n]);
      c.seek({ topic, partition: 1 }, 10);
      const back = await c.poll(15_000);
      assert.equal(back?.offset, 10n, 'seeking backwards works too');
    } finally {
      await c.close();
    }
  });

  it('lag per partition comes from the last fetch and matches the log end offsets', async () => {
    const ends = await endOffsets(topic);
    const c = await newConsumer({ 'group.id': uniqueName('g-lag'), 'auto.offset.reset': 'earliest', 'enable.auto.commit': false });
    try {
      c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
      assert.deepEqual(c.lag().map((l) => l.lag), [null, null, null], 'unknown before any fetch');
      const got = await drain(c, 30);
      assert.equal(got.length, 30);
      for (const l of c.lag()) {
        assert.equal(l.highWatermark, ends.get(l.partition));
        assert.equal(l.lag, l.highWatermark! - l.position!);
      }
      await drain(c, 10_000, 2000);
      for (const l of c.lag()) assert.equal(l.lag, 0n);
    } finally {
      await c.close();
    }
  });

  it('an iteration step is a fresh { done: false, value } on Object.prototype, as a literal or an async generator gives', async () => {
    const c = await newConsumer({ 'group.id': uniqueName('g-step'), 'auto.offset.reset': 'earliest', 'enable.auto.commit': false });
    try {
      c.assign([{ topic, partition: 2 }]);
      const it = c[Symbol.asyncIterator]();
      const waited = await it.next(); // the buffer was empty: the step that waited
      const buffered = await it.next(); // handed out from the buffer
      assert.notEqual(waited, buffered);
      for (const step of [waited, buffered]) {
        assert.deepEqual(step, { done: false, value: step.value }, 'strict: same prototype and own properties as a literal');
        assert.deepEqual(Object.keys(step), ['done', 'value']);
      }
      assert.equal((waited.value as Message).offset, 0n);
      assert.equal((buffered.value as Message).offset, 1n);
      await it.return?.();
    } finally {
      await c.close();
    }
  });

  it('iteration ends when the consumer closes; calls after close are StateErrors; close twice is fine', async () => {
    const c = await newConsumer({ 'group.id': uniqueName('g-iter'), 'auto.offset.reset': 'earliest' });
    c.subscribe([topic]);
    let n = 0;
    for await (const m of c) {
      assert.ok(m.offset >= 0n);
      if (++n === 10) void c.close();
    }
    assert.ok(n >= 10);
    await c.close();
    await c.close();
    assert.equal(c.state, 'closed');
    await assert.rejects(c.poll(10), StateError);
    assert.throws(() => c.subscribe([topic]), StateError);
    const idle = await newConsumer({});
    await assert.rejects(idle.poll(0), StateError, 'poll() before subscribe() or assign()');
    assert.throws(() => idle.subscribe([topic]), StateError, 'subscribe() without group.id');
    await idle.close();
  });

  it('close() of a caught-up consumer does not wait for its long poll, and closes the fetch session', async () => {
    // fetch.max.wait.ms far above what close() may take: the closing Fetch queued behind the long poll on the fetch
    // connection (the broker answers a connection's requests in order) made close() wait it out.
    const MAX_WAIT_MS = 30_000;
    const c = await newConsumer({ 'group.id': uniqueName('g-close'), 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': MAX_WAIT_MS });
    const fetches: { at: number; sessionId?: number; errorCode?: number; failed: boolean }[] = [];
    const channel = tracingChannel<unknown, RequestDiagnostics>('gregor:request');
    const handlers = {
      start() {}, end() {}, asyncStart() {},
      error(ctx: RequestDiagnostics) {
        if (ctx.apiKey === 1) fetches.push({ at: performance.now(), failed: true });
      },
      asyncEnd(ctx: RequestDiagnostics) {
        if (ctx.apiKey !== 1 || ctx.result === undefined) return;
        const r = ctx.result as { sessionId?: number; errorCode?: number };
        fetches.push({ at: performance.now(), sessionId: r.sessionId, errorCode: r.errorCode, failed: false });
      },
    };
    channel.subscribe(handlers);
    let closedAt = 0;
    let started = 0;
    try {
      c.subscribe([topic]);
      const all = await drain(c, 600);
      assert.equal(all.length, 600);
      // Caught up: the next Fetch is a long poll the broker holds for MAX_WAIT_MS.
      await new Promise((r) => setTimeout(r, 500));
      started = performance.now();
    } finally {
      await c.close();
      closedAt = performance.now();
      channel.unsubscribe(handlers);
    }
    const took = closedAt - started;
    assert.ok(took < MAX_WAIT_MS / 3, `close() took ${took.toFixed(0)} ms (fetch.max.wait.ms ${MAX_WAIT_MS})`);
    const during = fetches.filter((f) => f.at >= started);
    // The closing Fetch (KIP-227 epoch -1) is answered with no error and no session; the long poll fails with the close.
    assert.ok(during.some((f) => !f.failed && f.errorCode === 0 && f.sessionId === 0), `the session's closing Fetch was answered: ${JSON.stringify(during)}`);
  });
});
