// The Runner's bookkeeping without a broker: a host that hands out plain records from arrays and records commits.
// (Evidence against Kafka is in test/integration/runner/; these pin down cases a broker makes hard to reach: a revoke
// while a record waits for its retry, a loss, and what is committed when run() stops.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '../../../src/consumer/message.js';
import type { OffsetToCommit } from '../../../src/consumer/offsets.js';
import { decodeCompleted } from '../../../src/consumer/runner/metadata.js';
import { resolveRunOptions, type CommitFailedEvent, type RunOptions } from '../../../src/consumer/runner/options.js';
import { KafkaError, TimeoutError } from '../../../src/errors.js';
import { Histogram } from '../../../src/consumer/metrics.js';
import { Runner, type RunnerHost } from '../../../src/consumer/runner/runner.js';
import type { TopicPartition } from '../../../src/consumer/partition-state.js';

/** One batch for every record: the runner reads offsets as a KafkaRecord holds them, its batch's base plus its delta. */
const BATCH = { baseOffset: 0n };

/** What the runner reads of a message: topic, partition, offset (batch.baseOffset + offsetDelta), key, value, leaderEpoch. */
function record(partition: number, offset: number, key: string | null): Message {
  return {
    topic: 't', partition, offset: BigInt(offset), batch: BATCH, offsetDelta: offset, key: key === null ? null : Buffer.from(key),
    value: Buffer.from('v'), leaderEpoch: 0,
  } as unknown as Message;
}

class FakeHost implements RunnerHost {
  readonly queue: Message[] = [];
  readonly commits: OffsetToCommit[][] = [];
  readonly rewinds: string[] = [];
  readonly commitFailures: CommitFailedEvent[] = [];
  /** commit() rejects with this while set. */
  commitError: unknown = null;
  /** committed() rejects with these, one per call, while any are left. */
  readonly committedErrors: unknown[] = [];
  committedCalls = 0;
  private listener: (() => void) | null = null;
  detached = false;
  autoCommitIntervalMs = 3_600_000;
  logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  committed = async (tps: TopicPartition[]): Promise<Map<string, { offset: bigint; metadata: string | null }>> => {
    void tps;
    this.committedCalls++;
    const err = this.committedErrors.shift();
    if (err !== undefined) throw err;
    return new Map();
  };

  push(...ms: Message[]): void {
    this.queue.push(...ms);
    const l = this.listener;
    this.listener = null;
    l?.();
  }
  take(): Message | null {
    return this.queue.shift() ?? null;
  }
  polled(): void {}
  onData(listener: () => void): () => void {
    this.listener = listener;
    return () => { if (this.listener === listener) this.listener = null; };
  }
  async commit(offsets: OffsetToCommit[]): Promise<void> {
    if (this.commitError !== null) throw this.commitError;
    this.commits.push(offsets);
  }
  commitFailed(event: CommitFailedEvent): void {
    this.commitFailures.push(event);
  }
  pauseFetch(): boolean {
    return true;
  }
  resumeFetch(): void {}
  rewind(tp: TopicPartition, offset: bigint): void {
    this.rewinds.push(`${tp.partition}@${offset}`);
  }
  detach(): void {
    this.detached = true;
  }
}

function runner(host: FakeHost, options: RunOptions): Runner {
  return new Runner(resolveRunOptions(options, 500), host);
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
}

test('a revoke while a record waits for its retry frees its place: other partitions keep flowing', async () => {
  const host = new FakeHost();
  const handled: string[] = [];
  let failures = 0;
  const stop = new AbortController();
  const r = runner(host, {
    ordering: 'key', concurrency: 4, maxBufferedRecords: 1, signal: stop.signal,
    retry: { retries: Infinity, initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
    eachMessage: (m) => {
      if (m.partition === 0) {
        failures++;
        throw new Error('always fails');
      }
      handled.push(`${m.partition}@${m.offset}`);
    },
  });
  host.push(record(0, 0, 'a'));
  const done = r.run([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
  await until(() => failures === 1);
  await r.revoked([{ topic: 't', partition: 0 }]);
  // The one record the runner may hold is backing off; the revoke must release it, or nothing more is ever taken.
  host.push(...Array.from({ length: 10 }, (_, i) => record(1, i, `k${i % 2}`)));
  await until(() => handled.length === 10);
  // Partition 0's commit before the revoke stops at the failing record.
  const p0 = host.commits.flat().filter((c) => c.partition === 0);
  assert.ok(p0.length > 0 && p0.every((c) => c.offset === 0n));
  stop.abort();
  const summary = await done;
  assert.equal(summary.completed, 10);
  assert.ok(host.detached);
  const last = host.commits.flat().filter((c) => c.partition === 1).at(-1);
  assert.equal(last?.offset, 10n);
});

test('lost partitions are never committed, and their records stop reaching the handler', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  const seen: bigint[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const r = runner(host, {
    ordering: 'key', concurrency: 2, signal: stop.signal,
    eachMessage: async (m) => {
      seen.push(m.offset);
      await gate;
    },
  });
  host.push(record(0, 0, 'a'), record(0, 1, 'b'), record(0, 2, 'c'));
  const done = r.run([{ topic: 't', partition: 0 }]);
  await until(() => seen.length === 2);
  r.lost([{ topic: 't', partition: 0 }]);
  release();
  stop.abort();
  await done;
  assert.deepEqual(seen, [0n, 1n], 'the third record was not handed out after the loss');
  assert.deepEqual(host.commits.flat().filter((c) => c.partition === 0), []);
});

test('stop commits the completed prefix and the completions beyond the gap, and rewinds to the gap', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const completed: bigint[] = [];
  const r = runner(host, {
    ordering: 'key', concurrency: 10, signal: stop.signal, drainTimeoutMs: 50,
    eachMessage: async (m) => {
      if (m.offset === 2n) await gate; // still running when the drain times out
      completed.push(m.offset);
    },
  });
  host.push(...Array.from({ length: 8 }, (_, i) => record(0, i, `k${i}`)));
  const done = r.run([{ topic: 't', partition: 0 }]);
  await until(() => completed.length === 7);
  stop.abort();
  await done;
  const last = host.commits.flat().at(-1)!;
  assert.equal(last.offset, 2n);
  assert.deepEqual(decodeCompleted(2n, last.metadata ?? null), [{ start: 3n, end: 7n }]);
  assert.deepEqual(host.rewinds, ['0@2']);
  release();
});

test('records completed before (inherited from the committed metadata) are skipped', async () => {
  const host = new FakeHost();
  host.committed = async () => new Map([['t:0', { offset: 0n, metadata: null }]]);
  // Committed at 1 with 3..4 completed: build the metadata the way a commit would.
  const { encodeCompleted } = await import('../../../src/consumer/runner/metadata.js');
  const metadata = encodeCompleted(1n, [{ start: 3n, end: 4n }], 4096).metadata;
  host.committed = async (tps) => new Map(tps.map((tp) => [`${tp.topic}:${tp.partition}`, { offset: 1n, metadata }]));
  const stop = new AbortController();
  const seen: bigint[] = [];
  const r = runner(host, {
    ordering: 'partition', signal: stop.signal,
    eachMessage: (m) => {
      seen.push(m.offset);
      if (m.offset === 6n) stop.abort();
    },
  });
  host.push(...Array.from({ length: 6 }, (_, i) => record(0, i + 1, 'k')));
  const summary = await r.run([]);
  assert.deepEqual(seen, [1n, 2n, 5n, 6n]);
  assert.equal(summary.skipped, 2);
  assert.equal(host.commits.flat().at(-1)?.offset, 7n);
});

test('synchronous handler, partition order: every record once and in order per partition, a retry keeps its place', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  const seen = new Map<number, bigint[]>();
  const contexts: { attempt: number; frozen: boolean }[] = [];
  let threw = false;
  const total = 3 * 1500;
  let handled = 0;
  const r = runner(host, {
    concurrency: 2, maxBufferedRecords: 5000, signal: stop.signal,
    retry: { retries: 3, initialBackoffMs: 1, maxBackoffMs: 1 },
    eachMessage: (m, ctx) => {
      if (m.partition === 1 && m.offset === 700n && !threw) {
        threw = true;
        throw new Error('first attempt fails');
      }
      if (m.partition === 1 && m.offset === 700n) contexts.push({ attempt: ctx.attempt, frozen: Object.isFrozen(ctx) });
      if (m.offset === 0n) contexts.push({ attempt: ctx.attempt, frozen: Object.isFrozen(ctx) });
      let list = seen.get(m.partition);
      if (list === undefined) seen.set(m.partition, (list = []));
      list.push(m.offset);
      if (++handled === total) stop.abort();
    },
  });
  host.committed = async () => new Map();
  // More records per partition than the queues' first capacities, in runs of one partition as fetches deliver them.
  for (let chunk = 0; chunk < 3; chunk++) {
    for (let p = 0; p < 3; p++) host.push(...Array.from({ length: 500 }, (_, i) => record(p, chunk * 500 + i, null)));
  }
  const summary = await r.run([0, 1, 2].map((partition) => ({ topic: 't', partition })));
  assert.equal(summary.completed, total);
  assert.equal(summary.retries, 1);
  for (let p = 0; p < 3; p++) assert.deepEqual(seen.get(p), Array.from({ length: 1500 }, (_, i) => BigInt(i)), `partition ${p} in order`);
  // First attempts share one frozen context per partition; the retry's context says attempt 2.
  assert.deepEqual(contexts.filter((c) => c.attempt === 1).map((c) => c.frozen), [true, true, true]);
  assert.deepEqual(contexts.filter((c) => c.attempt !== 1), [{ attempt: 2, frozen: false }]);
  const last = new Map(host.commits.flat().map((c) => [c.partition, c.offset]));
  assert.deepEqual([...last.entries()].sort(), [[0, 1500n], [1, 1500n], [2, 1500n]]);
});


/** Of two partitions' handler calls in `order`, the longest run of one partition while the other still had records. */
function longestRunWhileOtherWaits(order: readonly number[], perPartition: number): number {
  const done = [0, 0];
  let run = 0;
  let longest = 0;
  for (let i = 0; i < order.length; i++) {
    const p = order[i];
    done[p]++;
    run = i > 0 && p === order[i - 1] ? run + 1 : 1;
    if (done[1 - p] < perPartition) longest = Math.max(longest, run);
  }
  return longest;
}

test('async handler, partition order, concurrency 1: a lane runs on for at most 32 records while another partition waits; order and commits kept', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  const order: number[] = [];
  const seen = new Map<number, bigint[]>();
  const total = 2 * 3000;
  const r = runner(host, {
    concurrency: 1, maxBufferedRecords: 10_000, signal: stop.signal,
    // Every third call returns synchronously (a handler may mix both): such a landing must not start the next record
    // inside the landing's own stack, or 3,000 records of one lane would nest 3,000 calls deep.
    eachMessage: (m) => {
      order.push(m.partition);
      let list = seen.get(m.partition);
      if (list === undefined) seen.set(m.partition, (list = []));
      list.push(m.offset);
      if (order.length === total) stop.abort();
      return m.offset % 3n === 0n ? undefined : Promise.resolve();
    },
  });
  host.committed = async () => new Map();
  for (let p = 0; p < 2; p++) host.push(...Array.from({ length: 3000 }, (_, i) => record(p, i, null)));
  const summary = await r.run([0, 1].map((partition) => ({ topic: 't', partition })));
  assert.equal(summary.completed, total);
  for (let p = 0; p < 2; p++) assert.deepEqual(seen.get(p), Array.from({ length: 3000 }, (_, i) => BigInt(i)), `partition ${p} in order`);
  // Runs of one partition while the other has records waiting: 33 at most (the landing that hands over, and 32 more).
  const longest = longestRunWhileOtherWaits(order, 3000);
  assert.ok(longest <= 33, `a partition ran ${longest} records in a row while the other waited`);
  assert.ok(longest > 1, 'a lane runs on from its landing');
  const last = new Map(host.commits.flat().map((c) => [c.partition, c.offset]));
  assert.deepEqual([...last.entries()].sort(), [[0, 3000n], [1, 3000n]]);
});

test('synchronous handler, partition order, concurrency 1: a lane runs on inside dispatch()\'s loop for at most 32 records while another partition waits', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  const order: number[] = [];
  const seen = new Map<number, bigint[]>();
  const perPartition = 2000;
  const total = 2 * perPartition;
  let depth = 0;
  let deepest = 0;
  const r = runner(host, {
    concurrency: 1, maxBufferedRecords: 10_000, signal: stop.signal,
    eachMessage: (m) => {
      deepest = Math.max(deepest, ++depth);
      order.push(m.partition);
      let list = seen.get(m.partition);
      if (list === undefined) seen.set(m.partition, (list = []));
      list.push(m.offset);
      if (order.length === total) stop.abort();
      depth--;
    },
  });
  host.committed = async () => new Map();
  for (let p = 0; p < 2; p++) host.push(...Array.from({ length: perPartition }, (_, i) => record(p, i, null)));
  const summary = await r.run([0, 1].map((partition) => ({ topic: 't', partition })));
  assert.equal(summary.completed, total);
  assert.equal(deepest, 1, 'a call never starts inside another');
  for (let p = 0; p < 2; p++) assert.deepEqual(seen.get(p), Array.from({ length: perPartition }, (_, i) => BigInt(i)), `partition ${p} in order`);
  const longest = longestRunWhileOtherWaits(order, perPartition);
  assert.ok(longest <= 33, `a partition ran ${longest} records in a row while the other waited`);
  assert.ok(longest > 1, 'a lane runs on from its synchronous landing');
  const last = new Map(host.commits.flat().map((c) => [c.partition, c.offset]));
  assert.deepEqual([...last.entries()].sort(), [[0, BigInt(perPartition)], [1, BigInt(perPartition)]]);
});

test('messaging.process.duration: N handler calls record N durations; their sum is the handlers\' time plus bookkeeping only', async () => {
  // The clock read that ends a call starts the next when nothing else ran between (continueLane(), dispatch()'s loop):
  // each recorded duration still covers its whole call, and none covers another's. Each call spins SPIN_MS: a call
  // missed changes the count, and calls measured from the previous call's start add SPIN_MS each (at least 4 of the 6
  // continue a lane or the loop), beyond the tolerance of half the handlers' time, which leaves room for the process
  // losing the CPU between a call's end and the clock read on a loaded machine (a 20 ms tolerance failed there).
  const SPIN_MS = 50;
  const host = Object.assign(new FakeHost(), { processDuration: new Histogram() });
  const stop = new AbortController();
  const perPartition = 3;
  const total = 2 * perPartition;
  let calls = 0;
  let handlerMs = 0;
  let longestMs = 0;
  const r = runner(host, {
    concurrency: 1, signal: stop.signal,
    // Sync and async calls alternate: landings inside dispatch()'s loop and through a lane's own callbacks.
    eachMessage: (m) => {
      const t0 = performance.now();
      while (performance.now() - t0 < SPIN_MS);
      if (++calls === total) stop.abort(); // the runner's stop runs in this call: its time is the call's
      const ms = performance.now() - t0;
      handlerMs += ms;
      longestMs = Math.max(longestMs, ms);
      return m.offset % 2n === 0n ? undefined : Promise.resolve();
    },
  });
  for (let p = 0; p < 2; p++) host.push(...Array.from({ length: perPartition }, (_, i) => record(p, i, null)));
  const summary = await r.run([0, 1].map((partition) => ({ topic: 't', partition })));
  assert.equal(summary.completed, total);
  const h = host.processDuration;
  assert.equal(h.count, total, 'one duration per handler call');
  const sumMs = h.sum * 1000;
  assert.ok(sumMs >= handlerMs, `recorded ${sumMs} ms, the handlers ran ${handlerMs} ms`);
  assert.ok(sumMs < handlerMs + (total * SPIN_MS) / 2, `recorded ${sumMs} ms, the handlers ran ${handlerMs} ms: more than bookkeeping`);
  assert.ok(h.max * 1000 >= longestMs && h.max * 1000 < longestMs + SPIN_MS, `max ${h.max * 1000} ms, longest call ${longestMs} ms`);
  assert.equal(h.snapshot().counts.reduce((a, b) => a + b, 0), total);
});

test('messaging.process.duration given while run() runs (the first metrics() read): calls started after it are timed, the one in flight is not', async () => {
  const host: FakeHost & { processDuration?: Histogram } = new FakeHost();
  const stop = new AbortController();
  const total = 10;
  const TURN_ON_AT = 3;
  let calls = 0;
  const r = runner(host, {
    concurrency: 1, signal: stop.signal,
    eachMessage: async () => {
      const n = ++calls;
      // The histogram arrives while call 3 runs: that call started untimed and must not be recorded when it lands
      // (an untimed start read as 0 would record the process's uptime).
      if (n === TURN_ON_AT) host.processDuration = new Histogram();
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (n === total) stop.abort();
    },
  });
  host.push(...Array.from({ length: total }, (_, i) => record(0, i, null)));
  const summary = await r.run([{ topic: 't', partition: 0 }]);
  assert.equal(summary.completed, total);
  const h = host.processDuration!;
  assert.equal(h.count, total - TURN_ON_AT, 'the calls started after the histogram arrived');
  assert.ok(h.max < 1, `max ${h.max} s: no call timed from before it started`);
});

test('one partition, an async call then 20,000 synchronous ones: each lands without nesting the next call in its stack', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  const total = 20_000;
  let handled = 0;
  const r = runner(host, {
    maxBufferedRecords: total, signal: stop.signal,
    eachMessage: (m) => {
      if (++handled === total) stop.abort();
      return m.offset === 0n ? Promise.resolve() : undefined;
    },
  });
  host.push(...Array.from({ length: total }, (_, i) => record(0, i, null)));
  const summary = await r.run([{ topic: 't', partition: 0 }]);
  assert.equal(summary.completed, total);
});

test('a thenable that calls back twice completes its record once; completions out of order commit correctly', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  let handled = 0;
  const total = 2000;
  const r = runner(host, {
    ordering: 'none', concurrency: 50, maxBufferedRecords: 5000, signal: stop.signal,
    eachMessage: (m) => {
      handled++;
      if (m.offset % 3n === 0n) {
        // Not a Promise: calls its callback twice, synchronously.
        return { then: (ok: () => void) => { ok(); ok(); } } as unknown as Promise<void>;
      }
      // Later offsets finish first now and then: completions arrive out of offset order.
      return new Promise<void>((res) => setTimeout(res, Number(m.offset % 7n)));
    },
  });
  host.push(...Array.from({ length: total }, (_, i) => record(0, i, null)));
  const done = r.run([{ topic: 't', partition: 0 }]);
  await until(() => handled === total);
  stop.abort();
  const summary = await done;
  assert.equal(handled, total, 'each record handed out once');
  assert.equal(summary.completed, total, 'each record completed once');
  assert.equal(host.commits.flat().at(-1)?.offset, BigInt(total));
  assert.equal(host.commits.flat().at(-1)?.metadata, '');
});

test('a failed final commit rejects run() with its error; the failure is reported (event, counter)', async () => {
  const host = new FakeHost();
  const stop = new AbortController();
  const r = runner(host, { signal: stop.signal, eachMessage: () => {} });
  const done = r.run([{ topic: 't', partition: 0 }]);
  host.push(record(0, 0, null), record(0, 1, null));
  await until(() => host.queue.length === 0);
  await new Promise((res) => setTimeout(res, 20));
  const refused = new KafkaError(25, 'UNKNOWN_MEMBER_ID', 'OffsetCommit t[0]: UNKNOWN_MEMBER_ID');
  host.commitError = refused;
  stop.abort();
  await assert.rejects(done, (e) => e === refused);
  assert.equal(host.commitFailures.length, 1);
  assert.equal(host.commitFailures[0].reason, 'final');
  assert.equal(host.commitFailures[0].error, refused);
  assert.deepEqual(host.commitFailures[0].offsets, [{ topic: 't', partition: 0, offset: 2n }]);
  assert.equal(host.commitFailures[0].failures, 1);
  assert.ok(host.detached);
});

test('a periodic commit failure is reported and run() goes on; a later commit succeeds', async () => {
  const host = new FakeHost();
  host.autoCommitIntervalMs = 10;
  host.commitError = new TimeoutError('commit offsets: gave up');
  const stop = new AbortController();
  const r = runner(host, { signal: stop.signal, eachMessage: () => {} });
  const done = r.run([{ topic: 't', partition: 0 }]);
  host.push(record(0, 0, null));
  await until(() => host.commitFailures.length >= 2);
  assert.ok(host.commitFailures.every((f) => f.reason === 'periodic'));
  host.commitError = null;
  stop.abort();
  const summary = await done;
  assert.ok(summary.commitFailures >= 2);
  assert.deepEqual(host.commits.at(-1)?.map((o) => o.offset), [1n]);
});

test('reading committed offsets: a non-retriable error stops run() with it (no retry); a retriable one is retried', async () => {
  const host = new FakeHost();
  const refused = new KafkaError(30, 'GROUP_AUTHORIZATION_FAILED', 'OffsetFetch for group "g"');
  host.committedErrors.push(refused);
  host.queue.push(record(0, 0, null));
  const r = runner(host, { eachMessage: () => assert.fail('nothing may be handed out before the committed offsets are read') });
  await assert.rejects(r.run([{ topic: 't', partition: 0 }]), (e) => e === refused);
  assert.equal(host.committedCalls, 1);
  assert.deepEqual(host.rewinds, ['0@0'], 'the record taken while loading is read again later');

  const again = new FakeHost();
  again.committedErrors.push(new TimeoutError('OffsetFetch: gave up after 3 attempts'));
  again.queue.push(record(0, 0, null));
  const stop = new AbortController();
  const handled: bigint[] = [];
  const done = runner(again, { signal: stop.signal, eachMessage: (m) => { handled.push(m.offset); stop.abort(); } }).run([{ topic: 't', partition: 0 }]);
  await done;
  assert.equal(again.committedCalls, 2);
  assert.deepEqual(handled, [0n]);
});
