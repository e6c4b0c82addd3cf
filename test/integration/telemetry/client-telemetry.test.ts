// KIP-714 client telemetry against the real broker: the single node runs a telemetry receiver (test/telemetry-receiver,
// installed by scripts/kafka.mjs) that appends every push it accepts to a file, with the payload decoded by the OTLP
// classes of kafka-clients. A client-metrics subscription (made here with Kafka's own kafka-configs, matching only this
// test's client ids, so other tests' consumers push nothing) asks for the consumer's fetch-manager and commit metrics
// every 500 ms; the receiver must see gregor's pushes at that interval, with the subscribed names only, counts equal
// to what was consumed, a terminating push on close; and nothing at all from a consumer with enable.metrics.push=false.
// A second subscription, for the raw protocol sender, shows the broker reading payloads in every codec gregor writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { StateError } from '../../../src/index.js';
import { ApiKey, ErrorCode, ZERO_UUID_STRING, errorName } from '../../../src/protocol/index.js';
import { AggregationTemporality, encodeMetricsData } from '../../../src/protocol/otlp-metrics.js';
import { COMPRESSION_TYPES, compress } from '../../../src/protocol/records/compression.js';
import { RawBroker } from '../protocol/raw-broker.js';
import { createTopic, ensureKafka, kafkaTool, produce, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer } from '../consumer/env.js';

const INTERVAL_MS = 500;
const RAW_INTERVAL_MS = 100;
const PARTITIONS = 2;
const RECORDS = 60;
const PREFIXES = ['org.apache.kafka.consumer.fetch.manager.', 'org.apache.kafka.consumer.coordinator.commit.'];

interface Point { value: number; startTimeUnixNano: number; timeUnixNano: number; attributes: Record<string, string | number> }
interface Pushed {
  receivedAtMs: number; clientInstanceId: string; clientId: string; pushIntervalMs: number; terminating: boolean;
  bytes: number; error?: string; resource: Record<string, string>; scopes: { name: string; version: string }[];
  metrics: { name: string; type: string; temporality?: string; monotonic?: boolean; points: Point[] }[];
}

const env = await ensureKafka();
const telemetryLog = env.nodes[0].telemetryLog ?? null;
// CI starts its broker with the receiver (.ci/run installs a JDK): there a missing receiver is a failure, not a skip.
if (telemetryLog === null && process.env.CI === 'true') {
  throw new Error('CI: the single node runs without the KIP-714 telemetry receiver (javac missing when kafka.mjs started it?)');
}
const skip = telemetryLog === null
  ? 'the single node runs without the KIP-714 receiver (no JDK, or started before it existed: node scripts/kafka.mjs stop --nodes 1, then start)'
  : false;

function pushesFrom(clientId: string, instanceId?: string): Pushed[] {
  if (telemetryLog === null || !existsSync(telemetryLog)) return [];
  return readFileSync(telemetryLog, 'utf8').split('\n').filter((l) => l.includes(`"clientId":${JSON.stringify(clientId)}`))
    .map((l) => JSON.parse(l) as Pushed).filter((p) => instanceId === undefined || p.clientInstanceId === instanceId);
}

async function until<T>(what: string, get: () => T, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function metric(p: Pushed, name: string): Pushed['metrics'][number] | undefined {
  return p.metrics.find((m) => m.name === name);
}

describe('KIP-714 client telemetry pushed to the real broker', { skip }, () => {
  const topic = uniqueName('telemetry');
  const idPrefix = uniqueName('gregor-telemetry');
  const subscription = uniqueName('sub');
  const rawSubscription = uniqueName('sub-raw');
  const pushing = `${idPrefix}-on`;
  const silent = `${idPrefix}-off`;

  before(async () => {
    await createTopic(topic, PARTITIONS);
    await produce(topic, Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `value-${i}` })));
    // Before the consumers start: a client asks for its subscription once at start, then every push interval.
    // The second is for the codec test: the raw protocol sender (client id gregor-protocol-it) on a short interval.
    // Other protocol tests with that client id never ask for a subscription, so they push nothing.
    await Promise.all([
      [subscription, `metrics=[${PREFIXES.join(',')}],interval.ms=${INTERVAL_MS},match=[client_id=${idPrefix}-.*]`],
      [rawSubscription, `metrics=[gregor.test.],interval.ms=${RAW_INTERVAL_MS},match=[client_id=gregor-protocol-it]`],
    ].map(([name, configs]) => kafkaTool('configs', [
      '--bootstrap-server', env.bootstrap, '--alter', '--entity-type', 'client-metrics', '--entity-name', name, '--add-config', configs,
    ])));
  });

  after(async () => {
    await Promise.all([subscription, rawSubscription].map((name) => kafkaTool('configs', [
      '--bootstrap-server', env.bootstrap, '--alter', '--entity-type', 'client-metrics', '--entity-name', name,
      '--delete-config', 'metrics,interval.ms,match',
    ], { check: false })));
  });

  it('the broker reads a payload in every compression gregor encodes (none, gzip, snappy, lz4, zstd)', async () => {
    // PushTelemetry by hand on one connection (the raw protocol sender's client id), one codec per push, a push
    // interval apart: the broker decompresses, its receiver parses the OTLP and records the value pushed.
    const broker = await RawBroker.plaintext();
    try {
      const sub = await broker.send(ApiKey.GetTelemetrySubscriptions, 0, { clientInstanceId: ZERO_UUID_STRING });
      assert.equal(sub.errorCode, 0, errorName(sub.errorCode));
      assert.deepEqual(sub.requestedMetrics, ['gregor.test.']);
      assert.deepEqual([...sub.acceptedCompressionTypes].sort(), [1, 2, 3, 4], 'Kafka accepts gzip, snappy, lz4 and zstd');
      for (const [id, codec] of COMPRESSION_TYPES.entries()) {
        const now = BigInt(Date.now()) * 1_000_000n;
        // Repetitive enough that every codec really compresses it.
        const payload = encodeMetricsData({
          resource: { codec }, scope: { name: 'gregor', version: 'test' },
          metrics: [{ name: 'gregor.test.codec', description: 'x'.repeat(300), kind: 'sum', temporality: AggregationTemporality.CUMULATIVE, monotonic: true,
            points: [{ startTimeUnixNano: now, timeUnixNano: now, value: id + 0.5 }] }],
        });
        const metrics = compress(id, payload);
        if (id !== 0) assert.ok(metrics.length < payload.length, `${codec} compresses`);
        for (;;) {
          const res = await broker.send(ApiKey.PushTelemetry, 0, { clientInstanceId: sub.clientInstanceId, subscriptionId: sub.subscriptionId, terminating: false, compressionType: id, metrics });
          if (res.errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED) {
            // Sooner than the interval after the previous push: the broker's rule, not the codec's fault.
            await new Promise((r) => setTimeout(r, RAW_INTERVAL_MS));
            continue;
          }
          assert.equal(res.errorCode, 0, `${codec}: ${errorName(res.errorCode)}`);
          break;
        }
      }
      const seen = await until('a push per codec at the receiver', () => pushesFrom('gregor-protocol-it', sub.clientInstanceId),
        (list) => list.length >= COMPRESSION_TYPES.length);
      assert.deepEqual(seen.map((p) => [p.error, p.resource.codec, p.metrics[0].name, p.metrics[0].points[0].value]),
        COMPRESSION_TYPES.map((codec, id) => [undefined, codec, 'gregor.test.codec', id + 0.5]));
    } finally {
      broker.close();
    }
  });

  it('pushes the subscribed metrics every interval, counts equal to what was consumed, and a terminating push on close; nothing with enable.metrics.push=false', async () => {
    const on = await newConsumer({ 'group.id': uniqueName('g-on'), 'client.id': pushing, 'auto.offset.reset': 'earliest' });
    const off = await newConsumer({ 'group.id': uniqueName('g-off'), 'client.id': silent, 'auto.offset.reset': 'earliest', 'enable.metrics.push': false });
    try {
      on.subscribe([topic]);
      off.subscribe([topic]);
      const [a, b] = await Promise.all([drain(on, RECORDS), drain(off, RECORDS)]);
      assert.equal(a.length, RECORDS);
      assert.equal(b.length, RECORDS);
      await assert.rejects(off.clientInstanceId(), StateError);
      const instanceId = await on.clientInstanceId();

      // Four pushes after everything was consumed: the lag the last one reports is 0.
      const consumedAt = Date.now();
      const pushes = await until('4 pushes after the records were consumed', () => pushesFrom(pushing),
        (list) => list.filter((p) => p.receivedAtMs > consumedAt).length >= 4);
      const consumedMessages = on.metrics().consumedMessages;
      await on.close();
      const all = await until('the terminating push', () => pushesFrom(pushing), (list) => list.some((p) => p.terminating));

      for (const p of all) {
        assert.equal(p.error, undefined, `the receiver could not parse a push: ${p.error}`);
        assert.equal(p.clientInstanceId, instanceId);
        assert.equal(p.pushIntervalMs, INTERVAL_MS);
        assert.deepEqual(p.scopes, [{ name: 'gregor', version: p.scopes[0].version }]);
        for (const m of p.metrics) assert.ok(PREFIXES.some((prefix) => m.name.startsWith(prefix)), `not subscribed, yet pushed: ${m.name}`);
      }
      assert.equal(all.filter((p) => p.terminating).length, 1, 'one terminating push');
      assert.ok(all[all.length - 1].terminating, 'the terminating push is the last');
      assert.equal(all[0].resource.group_id !== undefined, true, 'resource label group_id');

      // At the subscribed interval: the broker refuses a push sooner than the interval after the previous one, and the
      // client never sends one (measured on the broker's clock, between consecutive regular pushes).
      const regular = all.filter((p) => !p.terminating);
      assert.ok(regular.length >= 4, `${regular.length} pushes`);
      for (let i = 1; i < regular.length; i++) {
        const gap = regular[i].receivedAtMs - regular[i - 1].receivedAtMs;
        assert.ok(gap >= INTERVAL_MS - 20, `push ${i} came ${gap} ms after the previous one (interval ${INTERVAL_MS} ms)`);
      }

      // Delta temporality (Kafka's brokers ask for it): the pushed changes of records.consumed.total add up to what was
      // consumed, and each push's interval starts where the previous one ended.
      const consumed = 'org.apache.kafka.consumer.fetch.manager.records.consumed.total';
      let total = 0;
      let lastEnd = 0;
      for (const p of all) {
        const m = metric(p, consumed);
        assert.ok(m !== undefined, `${consumed} in every push`);
        assert.equal(m.type, 'sum');
        assert.equal(m.temporality, 'AGGREGATION_TEMPORALITY_DELTA');
        assert.equal(m.monotonic, true);
        total += m.points[0].value;
        if (lastEnd !== 0) assert.equal(m.points[0].startTimeUnixNano, lastEnd);
        lastEnd = m.points[0].timeUnixNano;
      }
      assert.equal(total, RECORDS);
      assert.equal(consumedMessages, RECORDS);
      const fetches = all.reduce((n, p) => n + (metric(p, 'org.apache.kafka.consumer.fetch.manager.fetch.total')?.points[0].value ?? 0), 0);
      assert.ok(fetches >= 1);

      // The per-partition lag gauge: both partitions, 0 once caught up.
      const lag = metric(pushes.filter((p) => p.receivedAtMs > consumedAt).at(-1)!, 'org.apache.kafka.consumer.fetch.manager.records.lag');
      assert.ok(lag !== undefined);
      assert.equal(lag.type, 'gauge');
      assert.deepEqual(lag.points.map((p) => [p.attributes.topic, p.attributes.partition, p.value]).sort(),
        Array.from({ length: PARTITIONS }, (_, i) => [topic, i, 0]));

      await off.close();
      assert.deepEqual(pushesFrom(silent), [], 'enable.metrics.push=false: nothing reaches the broker');
    } finally {
      await Promise.all([on.close(), off.close()]);
    }
  });
});
