// Group liveness while the application blocks the event loop (issue 16): heartbeats go on from the heartbeat thread,
// so a loop whose body blocks 40 ms per record keeps its assignment with a session timeout far shorter than the time
// the loop goes without yielding (the for-await delivery yields once per 256 buffered records, ~10 s here), and a
// synchronous run() handler longer than the session timeout does too. Blocking is Atomics.wait here: the event loop stands still without burning a
// core the other test files need (reliability R16 blocks with a busy loop). Longer than max.poll.interval.ms, the
// member leaves from the heartbeat thread while still blocked and its partition moves (blocked-member.ts runs in a
// child process so the other member can take the partition meanwhile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Consumer } from '../../../src/index.js';
import { committedOffsets, createTopic, ensureKafka, produce, setGroupConfig, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from './env.js';

const BLOCK_PER_RECORD_MS = 40;
const BLOCKED_FOR_MS = 15_000;
const SESSION_TIMEOUT_MS = 6000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const block = (ms: number): void => { Atomics.wait(sleeper, 0, 0, ms); };

function watch(c: Consumer, topic: string): { events: string[]; subscribe: () => void } {
  const events: string[] = [];
  return {
    events,
    subscribe: () => c.subscribe([topic], {
      assigned: (p) => { if (p.length > 0) events.push(`assigned ${p.map((x) => x.partition).join(',')}`); },
      revoked: (p) => { events.push(`revoked ${p.map((x) => x.partition).join(',')}`); },
      lost: (p) => { events.push(`lost ${p.map((x) => x.partition).join(',')}`); },
    }),
  };
}

async function blockedTopic(prefix: string, partitions: number): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(topic, partitions);
  const perPartition = Math.ceil(BLOCKED_FOR_MS / BLOCK_PER_RECORD_MS) + 100;
  await produce(topic, Array.from({ length: perPartition * partitions }, (_, i) => ({ value: `v${i}` })), { partitioner: 'roundrobin' });
  return topic;
}

async function groupFor(protocol: 'classic' | 'consumer', prefix: string): Promise<{ group: string; props: Record<string, unknown> }> {
  const group = uniqueName(prefix);
  if (protocol === 'consumer') {
    // KIP-848: the session timeout is the group's (broker side), not the client's.
    await setGroupConfig(group, { 'consumer.session.timeout.ms': String(SESSION_TIMEOUT_MS), 'consumer.heartbeat.interval.ms': '1000' });
    return { group, props: { 'group.id': group, 'group.protocol': 'consumer' } };
  }
  return { group, props: { 'group.id': group, 'group.protocol': 'classic', 'session.timeout.ms': SESSION_TIMEOUT_MS } };
}

for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol}: a for-await loop blocking ${BLOCK_PER_RECORD_MS} ms per record for ${BLOCKED_FOR_MS / 1000} s keeps its assignment`, { timeout: 90_000 }, async () => {
    const topic = await blockedTopic('blocked-iter', 1);
    const { props } = await groupFor(protocol, 'g-blocked-iter');
    const c = await newConsumer({ ...props, 'auto.offset.reset': 'earliest' });
    const w = watch(c, topic);
    try {
      w.subscribe();
      let handled = 0;
      let started = 0;
      for await (const m of c) {
        assert.ok(m.value !== null);
        if (started === 0) started = Date.now();
        block(BLOCK_PER_RECORD_MS);
        handled++;
        if (Date.now() - started >= BLOCKED_FOR_MS) break;
      }
      assert.ok(handled >= BLOCKED_FOR_MS / BLOCK_PER_RECORD_MS / 2, `handled ${handled}`);
      // Committed with the member's generation (classic) or epoch (KIP-848): refused had the coordinator expired it.
      await c.commit();
      assert.deepEqual(w.events, ['assigned 0'], 'no revoke, no loss, no second assignment');
    } finally {
      await c.close();
    }
  });

  // run() gives the event loop a turn between handler calls, so 40 ms blocks alone would not starve it: one of the
  // records blocks for longer than the session timeout.
  test(`${protocol}: run() with a synchronous handler blocking ${BLOCK_PER_RECORD_MS} ms per record, once ${(SESSION_TIMEOUT_MS + 2000) / 1000} s, keeps its assignment`, { timeout: 90_000 }, async () => {
    const topic = await blockedTopic('blocked-run', 1);
    const { props } = await groupFor(protocol, 'g-blocked-run');
    const c = await newConsumer({ ...props, 'auto.offset.reset': 'earliest' });
    const w = watch(c, topic);
    try {
      w.subscribe();
      const stop = new AbortController();
      let handled = 0;
      let started = 0;
      await c.run({
        signal: stop.signal,
        eachMessage: () => {
          if (started === 0) started = Date.now();
          block(handled === 50 ? SESSION_TIMEOUT_MS + 2000 : BLOCK_PER_RECORD_MS);
          handled++;
          if (Date.now() - started >= BLOCKED_FOR_MS) stop.abort();
        },
      });
      assert.ok(handled >= (BLOCKED_FOR_MS - SESSION_TIMEOUT_MS) / BLOCK_PER_RECORD_MS / 2, `handled ${handled}`);
      // Committed with the member's generation (classic) or epoch (KIP-848): refused had the coordinator expired it.
      await c.commit();
      assert.deepEqual(w.events, ['assigned 0'], 'no revoke, no loss, no second assignment');
    } finally {
      await c.close();
    }
  });
}

interface ChildEvent { e: string; at: number; partitions?: number[]; partition?: number | null; offset?: string | null; result?: string }

/** Starts blocked-member.ts; resolves its events once it exits. `onEvent` sees each as it comes. */
function blockedMember(spec: Record<string, unknown>, onEvent: (e: ChildEvent) => void): Promise<ChildEvent[]> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./blocked-member.js', import.meta.url)), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const events: ChildEvent[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const e = JSON.parse(line) as ChildEvent;
    events.push(e);
    onEvent(e);
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(events) : reject(new Error(`blocked member exited ${code}: ${stderr}`))));
  });
}

// The session timeout is longer than the block: without the leave the member would keep its partition (the heartbeat
// thread keeps the session), so the partition moving while it is blocked is the leave's doing.
for (const protocol of ['classic', 'consumer'] as const) {
  test(`${protocol}: a member blocked beyond max.poll.interval.ms leaves the group while blocked; its partition moves; its commit is refused`, { timeout: 90_000 }, async () => {
    const env = await ensureKafka();
    const topic = uniqueName('blocked-poll');
    await createTopic(topic, 2);
    await produce(topic, Array.from({ length: 40 }, (_, i) => ({ value: `v${i}` })), { partitioner: 'roundrobin' });
    const group = uniqueName('g-blocked-poll');
    const sessionMs = 30_000;
    const props: Record<string, string | number> = protocol === 'consumer'
      ? { 'group.id': group, 'group.protocol': 'consumer' }
      : { 'group.id': group, 'group.protocol': 'classic', 'session.timeout.ms': sessionMs };
    if (protocol === 'consumer') await setGroupConfig(group, { 'consumer.session.timeout.ms': String(sessionMs), 'consumer.heartbeat.interval.ms': '1000' });
    const maxPollIntervalMs = 4000;
    const stallMs = maxPollIntervalMs + 8000;
    // B first, with both partitions; then A joins, takes one, and blocks after its first message.
    const b = await newConsumer({ ...props, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false});
    const owned = new Set<number>();
    const bothAt: number[] = [];
    const change = (add: boolean) => (p: readonly { partition: number }[]): void => {
      for (const x of p) if (add) owned.add(x.partition); else owned.delete(x.partition);
      if (owned.size === 2) bothAt.push(Date.now());
    };
    b.subscribe([topic], { assigned: change(true), revoked: change(false), lost: change(false) });
    try {
      while (owned.size < 2) await b.poll(1000);
      let aFirstAt = 0;
      const member = blockedMember({ bootstrap: env.bootstrap, topic, stallMs, props: { ...props, 'max.poll.interval.ms': maxPollIntervalMs } }, (e) => {
        if (e.e === 'first') aFirstAt = e.at;
      });
      let done = false;
      const events = member.finally(() => { done = true; });
      while (!done) await b.poll(200);
      const list = await events;
      const woke = list.find((e) => e.e === 'woke')!;
      assert.ok(aFirstAt > 0, 'A got a message');
      assert.ok(bothAt.some((t) => t > aFirstAt && t < woke.at), `B got both partitions while A was blocked (A blocked ${aFirstAt}..${woke.at}, B had both at ${bothAt.join(', ')})`);
      const after = list.filter((e) => e.at >= woke.at).map((e) => e.e === 'commit' ? `commit ${e.result}` : e.e === 'polled' ? 'polled' : `${e.e}${e.partitions === undefined ? '' : ` ${e.partitions.length}`}`);
      // Not attempted, with a typed error (Java: CommitFailedException); reported lost, not revoked, before the next
      // poll hands anything out.
      assert.equal(after[1], 'commit StateError:ERR_STATE', after.join('; '));
      assert.ok(after.includes('lost 1'), after.join('; '));
      assert.ok(!after.slice(0, after.indexOf('polled')).some((x) => x.startsWith('revoked')), after.join('; '));
      assert.ok(after.indexOf('lost 1') < after.indexOf('polled'), after.join('; '));
      assert.deepEqual((await committedOffsets(group)).filter((r) => r.offset !== null), [], 'nothing committed by the member that left');
    } finally {
      await b.close();
    }
  });
}

/** The main thread's view of a consumer's heartbeat thread (private fields, read by name). */
type LivenessInternals = { threadId: number | null; thread: { worker: { terminate(): Promise<number> } | null } | null };
const livenessOf = (c: Consumer): LivenessInternals => (c as unknown as { liveness: LivenessInternals }).liveness;

/**
 * A classic member (A) and a KIP-848 member (B) of two groups in this process, each owning the one partition of a
 * fresh topic and holding a record of it; `run` gets them, and both are closed after it.
 */
async function twoMembers(prefix: string, run: (m: { a: Consumer; b: Consumer; aEvents: string[]; bEvents: string[] }) => Promise<void>): Promise<void> {
  const topic = uniqueName(prefix);
  await createTopic(topic, 1);
  await produce(topic, Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })));
  const classic = await groupFor('classic', `g-${prefix}-classic`);
  const kip848 = await groupFor('consumer', `g-${prefix}-848`);
  const a = await newConsumer({ ...classic.props, 'auto.offset.reset': 'earliest', 'heartbeat.interval.ms': 1000 });
  const b = await newConsumer({ ...kip848.props, 'auto.offset.reset': 'earliest' });
  const wa = watch(a, topic);
  const wb = watch(b, topic);
  try {
    wa.subscribe();
    wb.subscribe();
    assert.ok((await a.poll(30_000)) !== null, 'A got a record');
    assert.ok((await b.poll(30_000)) !== null, 'B got a record');
    await run({ a, b, aEvents: wa.events, bEvents: wb.events });
  } finally {
    await a.close();
    await b.close();
  }
}

// One heartbeat thread serves every consumer of the process (group-liveness.ts, LivenessThread): a classic member and
// a KIP-848 member of two groups share it, each keeps its session while the main thread is blocked past the session
// timeout, and after one of them closes (its connection in the thread closed) the other still does.
test('two consumers of one process share the heartbeat thread, and each keeps its session while the loop is blocked', { timeout: 90_000 }, async () => {
  await twoMembers('shared', async ({ a, b, aEvents, bEvents }) => {
    const thread = livenessOf(a).threadId;
    assert.ok(thread !== null && thread > 0, 'A has a heartbeat thread');
    assert.equal(livenessOf(b).threadId, thread, 'B is served by the same thread');
    block(SESSION_TIMEOUT_MS + 3000);
    // Committed with A's generation and B's epoch: refused had either coordinator expired its member.
    await a.commit();
    await b.commit();
    assert.deepEqual(aEvents, ['assigned 0'], 'A: no revoke, no loss, no second assignment');
    await a.close();
    assert.equal(livenessOf(b).threadId, thread, 'the thread goes on for B after A closed');
    block(SESSION_TIMEOUT_MS + 3000);
    await b.commit();
    assert.deepEqual(bEvents, ['assigned 0'], 'B: no revoke, no loss, no second assignment');
  });
});

// The shared thread dies (here terminated from outside, as a crash would end it): the next one opens every member again
// and re-arms it, so both consumers are covered again at once, through another block past the session timeout.
test('after the heartbeat thread exits, a new one serves every consumer again, armed', { timeout: 90_000 }, async () => {
  await twoMembers('restart', async ({ a, b, aEvents, bEvents }) => {
    const first = livenessOf(a).threadId;
    assert.ok(first !== null && first === livenessOf(b).threadId, 'one thread for both');
    await livenessOf(a).thread!.worker!.terminate();
    const second = livenessOf(a).threadId;
    assert.ok(second !== null && second !== first, `a new thread (was ${first}, now ${second})`);
    assert.equal(livenessOf(b).threadId, second, 'B is served by the new thread too');
    // The main thread's heartbeats go on between the polls; then a block longer than the session timeout.
    for (let i = 0; i < 3; i++) {
      await a.poll(500);
      await b.poll(500);
    }
    block(SESSION_TIMEOUT_MS + 3000);
    await a.commit();
    await b.commit();
    assert.deepEqual(aEvents, ['assigned 0'], 'A: no revoke, no loss, no second assignment');
    assert.deepEqual(bEvents, ['assigned 0'], 'B: no revoke, no loss, no second assignment');
  });
});
