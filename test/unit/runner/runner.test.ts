// The Runner's bookkeeping without a broker: a host that hands out plain records from arrays and records commits.
// (Evidence against Kafka is in test/integration/runner/; these pin down cases a broker makes hard to reach: a revoke
// while a record waits for its retry, a loss, and what is committed when run() stops.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '../../../src/consumer/message.js';
import type { OffsetToCommit } from '../../../src/consumer/offsets.js';
import { decodeCompleted } from '../../../src/consumer/runner/metadata.js';
import { resolveRunOptions, type RunOptions } from '../../../src/consumer/runner/options.js';
import { Runner, type RunnerHost } from '../../../src/consumer/runner/runner.js';
import type { TopicPartition } from '../../../src/consumer/partition-state.js';

/** What the runner reads of a message: topic, partition, offset, key, value, leaderEpoch. */
function record(partition: number, offset: number, key: string | null): Message {
  return { topic: 't', partition, offset: BigInt(offset), key: key === null ? null : Buffer.from(key), value: Buffer.from('v'), leaderEpoch: 0 } as unknown as Message;
}

class FakeHost implements RunnerHost {
  readonly queue: Message[] = [];
  readonly commits: OffsetToCommit[][] = [];
  readonly rewinds: string[] = [];
  private listener: (() => void) | null = null;
  detached = false;
  autoCommitIntervalMs = 3_600_000;
  logger = { debug: () => {}, info: () => {}, warn: () => {} };
  committed = async (tps: TopicPartition[]): Promise<Map<string, { offset: bigint; metadata: string | null }>> => {
    void tps;
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
    this.commits.push(offsets);
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
