// gregor's diagnostics_channel TracingChannels against the real broker: a test subscribes to every documented
// channel, then an admin client creates a topic, gregor's Producer writes to it, one classic member consumes with
// run() until a second member joins (a rebalance: revoked and assigned) and polls, and a KIP-848 member polls. Each
// channel publishes its whole event sequence with the documented payload.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import {
  Admin, DIAGNOSTICS_CHANNELS, Producer,
  type CommitDiagnostics, type ConnectDiagnostics, type FetchDiagnostics, type GroupDiagnostics, type Message,
  type PollDiagnostics, type ProcessDiagnostics, type RebalanceDiagnostics, type RequestDiagnostics, type SendDiagnostics,
} from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../helpers/kafka.js';
import { newConsumer } from '../consumer/env.js';

type Name = keyof typeof DIAGNOSTICS_CHANNELS;
type Event = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
interface Seen { name: Name; event: Event; payload: Record<string, unknown> }

const RECORDS = 20;

/** Waits until `done` holds, failing after `timeoutMs`. */
async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('diagnostics_channel', () => {
  const seen: Seen[] = [];
  const unsubscribe: (() => void)[] = [];
  const topic = uniqueName('diag');
  let bootstrap = '';

  before(async () => {
    bootstrap = (await ensureKafka()).bootstrap;
    for (const name of Object.keys(DIAGNOSTICS_CHANNELS) as Name[]) {
      const channel = tracingChannel<unknown, Record<string, unknown>>(DIAGNOSTICS_CHANNELS[name]);
      const handlers = {
        start: (payload: Record<string, unknown>) => seen.push({ name, event: 'start', payload }),
        end: (payload: Record<string, unknown>) => seen.push({ name, event: 'end', payload }),
        asyncStart: (payload: Record<string, unknown>) => seen.push({ name, event: 'asyncStart', payload }),
        asyncEnd: (payload: Record<string, unknown>) => seen.push({ name, event: 'asyncEnd', payload }),
        error: (payload: Record<string, unknown>) => seen.push({ name, event: 'error', payload }),
      };
      channel.subscribe(handlers);
      unsubscribe.push(() => channel.unsubscribe(handlers));
    }
  });

  after(() => {
    for (const u of unsubscribe) u();
  });

  const payloads = <P>(name: Name, event: Event = 'asyncEnd'): P[] =>
    seen.filter((s) => s.name === name && s.event === event).map((s) => s.payload as P);

  it('publishes every channel through a consumption with a rebalance', async () => {
    const admin = new Admin({ 'bootstrap.servers': bootstrap, 'client.id': 'diag-admin', 'gregor.log.level': 'warn' });
    await admin.createTopics([{ topic, numPartitions: 2, replicationFactor: 1 }]);
    await admin.close();
    const producer = new Producer({ 'bootstrap.servers': bootstrap, 'client.id': 'diag-producer', 'gregor.log.level': 'warn' });
    for (let i = 0; i < RECORDS; i++) await producer.send({ topic, partition: i % 2, key: `k${i}`, value: `v${i}` });
    await producer.close();

    const group = uniqueName('g-diag');
    const props = {
      'group.id': group, 'group.protocol': 'classic', 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 300, 'client.id': 'diag-a',
    };
    const a = await newConsumer(props);
    const b = await newConsumer({ ...props, 'client.id': 'diag-b' });
    const handled: Message[] = [];
    const stop = new AbortController();
    try {
      a.subscribe([topic]);
      // messaging.process.duration is timed from the first metrics() read on (a consumer nobody observes reads no clock).
      assert.equal(a.metrics().process.duration.count, 0);
      const running = a.run({ eachMessage: async (m) => { handled.push(m); }, signal: stop.signal });
      await until('member a handled every record', () => handled.length === RECORDS);
      // A heartbeat of the stable member (heartbeat.interval.ms 300).
      await until('a heartbeat', () => payloads('heartbeat').length > 0);
      b.subscribe([topic]);
      await until('the rebalance', () => b.assignment().length === 1 && a.assignment().length === 1);
      assert.equal(await b.poll(200), null, 'everything was handled and committed by member a before the revoke');
      assert.deepEqual(await b.pollBatch(50), []);
      stop.abort();
      await running;
      // messaging.process.duration: one observation per handler call.
      assert.equal(a.metrics().process.duration.count, RECORDS);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }

    const kip848 = await newConsumer({ 'group.id': uniqueName('g-diag848'), 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', 'client.id': 'diag-c' });
    try {
      kip848.subscribe([topic]);
      let got = 0;
      while (got < RECORDS) {
        const m = await kip848.poll(15_000);
        assert.ok(m !== null, 'the KIP-848 member reads the topic');
        got++;
      }
    } finally {
      await kip848.close();
    }

    // Every channel published start, end, asyncStart and asyncEnd, on the same payload object, in that order.
    for (const name of Object.keys(DIAGNOSTICS_CHANNELS) as Name[]) {
      // A share consumer's channel: its sequence is checked through gregor/otel in otel.test.ts (acknowledge spans).
      if (name === 'acknowledge') continue;
      const starts = payloads<object>(name, 'start');
      assert.ok(starts.length > 0, `${DIAGNOSTICS_CHANNELS[name]}: no start`);
      const first = starts[0];
      const events = seen.filter((s) => s.payload === first).map((s) => s.event);
      assert.deepEqual(events.filter((e) => e !== 'error'), ['start', 'end', 'asyncStart', 'asyncEnd'], `${DIAGNOSTICS_CHANNELS[name]}: ${events.join(' ')}`);
    }

    const connects = payloads<ConnectDiagnostics>('connect');
    assert.ok(connects.some((c) => c.clientId === 'diag-a' && c.lane === 'fetch' && c.nodeId >= 0 && typeof c.port === 'number'));

    const requests = payloads<RequestDiagnostics>('request');
    assert.ok(requests.some((r) => r.client === 'admin' && r.clientId === 'diag-admin' && r.apiKey === 19), 'CreateTopics (19) of the admin client');
    assert.ok(requests.some((r) => r.client === 'producer' && r.apiKey === 0), 'Produce (0) of the producer');
    assert.ok(requests.some((r) => r.client === 'consumer' && r.clientId === 'diag-a' && r.apiKey === 11), 'JoinGroup (11) of a consumer');

    const sends = payloads<SendDiagnostics>('send');
    assert.equal(sends.length, RECORDS);
    assert.deepEqual(sends.map((s) => [s.topic, s.partition, s.key, s.clientId]), Array.from({ length: RECORDS }, (_, i) => [topic, i % 2, `k${i}`, 'diag-producer']));
    for (const s of sends) assert.equal(typeof s.result?.offset, 'bigint');

    const fetches = payloads<FetchDiagnostics>('fetch');
    assert.ok(fetches.some((f) => f.clientId === 'diag-a' && f.groupId === group && f.partitions.some((p) => p.topic === topic)));

    // One process event per record run() handled, each with its record; none failed.
    const processed = payloads<ProcessDiagnostics>('process');
    assert.equal(processed.length, RECORDS);
    assert.deepEqual(processed.map((p) => p.message), handled);
    for (const p of processed) {
      assert.equal(p.clientId, 'diag-a');
      assert.equal(p.groupId, group);
      assert.equal(p.topic, topic);
      assert.equal(p.partition, p.message!.partition);
      assert.equal(p.messages, null);
      assert.equal(p.attempt, 1);
    }
    assert.equal(seen.filter((s) => s.name === 'process' && s.event === 'error').length, 0);

    const commits = payloads<CommitDiagnostics>('commit');
    const committed = new Map<number, bigint>();
    for (const c of commits.filter((c) => c.clientId === 'diag-a' && c.error === undefined)) {
      for (const o of c.offsets) committed.set(o.partition, o.offset);
    }
    assert.deepEqual([...committed.entries()].sort(), [[0, BigInt(RECORDS / 2)], [1, BigInt(RECORDS / 2)]]);

    const group3 = (n: Name) => payloads<GroupDiagnostics>(n);
    assert.ok(group3('join').some((j) => j.clientId === 'diag-b' && j.groupId === group && j.protocol === 'classic'));
    assert.ok(group3('join').filter((j) => j.clientId === 'diag-a').length >= 2, 'member a joined again in the rebalance');
    assert.ok(group3('sync').some((s) => s.clientId === 'diag-a' && s.generationId > 0));
    assert.ok(group3('heartbeat').some((h) => h.protocol === 'classic' && h.clientId === 'diag-a'));
    assert.ok(group3('heartbeat').some((h) => h.protocol === 'consumer' && h.clientId === 'diag-c'));

    const rebalances = payloads<RebalanceDiagnostics>('rebalance').filter((r) => r.clientId === 'diag-a');
    const kinds = rebalances.map((r) => `${r.kind}:${r.partitions.length}`);
    assert.equal(kinds[0], 'assigned:2', kinds.join(' '));
    assert.ok(kinds.includes('revoked:1') || kinds.includes('revoked:2'), `member a gave partitions back: ${kinds.join(' ')}`);

    const polls = payloads<PollDiagnostics>('poll');
    assert.ok(polls.some((p) => p.clientId === 'diag-b' && p.operation === 'poll' && p.result === null));
    assert.ok(polls.some((p) => p.clientId === 'diag-b' && p.operation === 'pollBatch' && Array.isArray(p.result)));
    assert.equal(polls.filter((p) => p.clientId === 'diag-c' && p.result !== null).length, RECORDS);
  });
});
