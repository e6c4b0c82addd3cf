// consumer.metrics() against the real broker: the counts equal what was consumed, per-partition lag equals the
// backlog the broker holds before consuming and 0 once caught up, fetch, commit, rebalance, connection and heartbeat
// figures move as the consumption does, and prometheusText() prints the same numbers.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusText, type Consumer, type ConsumerMetrics } from '../../../src/index.js';
import { createTopic, endOffsets, ensureKafka, produce, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer } from './env.js';
import { until } from '../runner/support.js';

const PARTITIONS = 2;
const RECORDS = 40;

/** Reads metrics until `done` holds (the consumer works in the background), failing after `timeoutMs`. */
async function metricsWhen(c: Consumer, done: (m: ConsumerMetrics) => boolean, timeoutMs = 30_000): Promise<ConsumerMetrics> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = c.metrics();
    if (done(m)) return m;
    if (Date.now() > deadline) assert.fail(`metrics never reached the expected state: ${JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('consumer.metrics() on the real broker', () => {
  const topic = uniqueName('metrics');
  let backlog = new Map<number, bigint>();

  before(async () => {
    await ensureKafka();
    await createTopic(topic, PARTITIONS);
    await produce(topic, Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `value-${i}` })));
    backlog = await endOffsets(topic);
    assert.equal([...backlog.values()].reduce((a, b) => a + b, 0n), BigInt(RECORDS));
  });

  it('counts what was consumed; lag is the backlog before and 0 once caught up', async () => {
    const group = uniqueName('g-metrics');
    const c = await newConsumer({ 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false, 'client.id': 'metrics-test' });
    try {
      const idle = c.metrics();
      assert.equal(idle.consumedMessages, 0);
      assert.deepEqual(idle.attributes, { 'messaging.system': 'kafka', 'messaging.consumer.group.name': group, 'messaging.client.id': 'metrics-test' });
      assert.equal(idle.heartbeatAgeSeconds, null);

      c.subscribe([topic]);
      // Fetching starts with the assignment, before the application polls: the lag is the whole backlog.
      const before = await metricsWhen(c, (m) => m.partitions.length === PARTITIONS && m.partitions.every((p) => p.lag !== null));
      for (const p of before.partitions) {
        assert.equal(p.topic, topic);
        assert.equal(p.assigned, true);
        assert.equal(p.position, 0n);
        assert.equal(p.lag, backlog.get(p.partition), `partition ${p.partition}`);
        assert.equal(p.consumedMessages, 0);
      }
      assert.equal(before.consumedMessages, 0);
      assert.equal(before.rebalance.rebalances, 1);
      assert.equal(before.rebalance.duration.count, 1);
      assert.equal(before.rebalance.inProgress, false);
      assert.ok(before.fetch.requests >= 1);
      assert.ok(before.fetch.bytes > 0);
      assert.equal(before.bufferedBytes, before.fetch.bytes, 'everything fetched is buffered until the application polls');
      assert.ok(before.connections.open >= 1);
      assert.ok(before.connections.attempts >= before.connections.open);
      assert.equal(before.connections.errors, 0);
      assert.ok(before.heartbeatAgeSeconds !== null && before.heartbeatAgeSeconds >= 0 && before.heartbeatAgeSeconds < 45);

      const got = await drain(c, RECORDS);
      assert.equal(got.length, RECORDS);
      // One more poll finds the chunks exhausted: their bytes count as consumed.
      assert.equal(await c.poll(100), null);
      const after = c.metrics();
      assert.equal(after.consumedMessages, RECORDS);
      for (const p of after.partitions) {
        assert.equal(p.consumedMessages, got.filter((m) => m.partition === p.partition).length);
        assert.equal(p.position, backlog.get(p.partition));
        assert.equal(p.lag, 0n, `partition ${p.partition} caught up`);
      }
      assert.equal(after.consumedBytes, after.fetch.bytes, 'every fetched chunk was consumed entirely');
      assert.equal(after.bufferedBytes, 0);

      await c.commit();
      const committed = c.metrics();
      assert.equal(committed.commit.commits, 1);
      assert.equal(committed.commit.failures, 0);
      assert.equal(committed.commit.duration.count, 1);
      assert.equal(committed.commit.duration.counts.reduce((a, b) => a + b, 0), 1);

      const text = prometheusText(committed);
      for (const p of committed.partitions) {
        const labels = `messaging_system="kafka",messaging_client_id="metrics-test",messaging_consumer_group_name="${group}",group="${group}",topic="${topic}",partition="${p.partition}"`;
        assert.ok(text.includes(`messaging_client_consumed_messages_total{${labels}} ${p.consumedMessages}\n`), text);
        assert.ok(text.includes(`gregor_consumer_lag_records{${labels}} 0\n`), text);
      }
      assert.match(text, /messaging_client_operation_duration_seconds_count\{[^}]*messaging_operation_name="commit"[^}]*\} 1\n/);
    } finally {
      await c.close();
    }
  });

  it('messaging.process.duration: run()\'s calls are timed from the first metrics() read on', async () => {
    const t = uniqueName('metrics-process');
    await createTopic(t, 1);
    await produce(t, Array.from({ length: RECORDS }, (_, i) => ({ value: `a-${i}` })));
    const c = await newConsumer({ 'group.id': uniqueName('metrics-process-group'), 'auto.offset.reset': 'earliest' });
    const stop = new AbortController();
    let handled = 0;
    try {
      c.subscribe([t]);
      const running = c.run({ eachMessage: async () => { handled++; }, signal: stop.signal });
      await until(`${RECORDS} records handled`, () => handled >= RECORDS, 30_000);
      // Nobody looked yet: nothing was timed; this read turns timing on for the calls that start from now.
      assert.equal(c.metrics().process.duration.count, 0);
      await produce(t, Array.from({ length: RECORDS }, (_, i) => ({ value: `b-${i}` })));
      await until(`${2 * RECORDS} records handled`, () => handled >= 2 * RECORDS, 30_000);
      stop.abort();
      await running;
      const d = c.metrics().process.duration;
      assert.equal(d.count, RECORDS, 'one duration per call after the first read');
      assert.equal(d.counts.reduce((a, b) => a + b, 0), RECORDS);
      assert.ok(d.max < 5, `max ${d.max} s: every duration covers its own call`);
    } finally {
      await c.close();
    }
  });
});
