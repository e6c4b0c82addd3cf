// KIP-714 client telemetry against a scripted cluster: the state machine the real broker rarely shows on demand.
// A subscription is fetched once, pushes follow at its interval with the first accepted compression type; a push
// refused with UNKNOWN_SUBSCRIPTION_ID makes the client ask again at once and use the new subscription; close() sends
// one terminating push. An empty subscription pushes nothing; INVALID_RECORD ends telemetry; a broker that does not
// list the APIs (no telemetry receiver) gets no KIP-714 request at all. The real broker's receiver is the evidence that
// the pushed metrics arrive (test/integration/telemetry); these runs pin the transitions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode, ZERO_UUID_STRING } from '../../../src/protocol/index.js';
import { decompress } from '../../../src/protocol/records/compression.js';
import { otlpMetrics } from '../../support/protobuf-reader.js';
import type { ScriptedCluster } from '../../support/scripted-broker.js';
import { TOPIC, scenario, take } from './helpers.js';

const INSTANCE = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** The scripted brokers as Kafka brokers with a telemetry receiver: they list GetTelemetrySubscriptions and PushTelemetry. */
function withReceiver(c: ScriptedCluster): void {
  c.handle(ApiKey.ApiVersions, async (_req, next) => {
    const reply = await next();
    return { ...reply, apiKeys: [...(reply.apiKeys ?? []), { apiKey: ApiKey.GetTelemetrySubscriptions, minVersion: 0, maxVersion: 0 }, { apiKey: ApiKey.PushTelemetry, minVersion: 0, maxVersion: 0 }] };
  });
}

function subscriptions(c: ScriptedCluster, answers: { subscriptionId: number; requestedMetrics: string[]; deltaTemporality?: boolean; pushIntervalMs?: number }[]): void {
  let n = 0;
  c.handle(ApiKey.GetTelemetrySubscriptions, (req) => {
    const a = answers[Math.min(n++, answers.length - 1)];
    return {
      errorCode: 0,
      clientInstanceId: req.body.clientInstanceId === ZERO_UUID_STRING ? INSTANCE : ZERO_UUID_STRING,
      subscriptionId: a.subscriptionId, acceptedCompressionTypes: [3, 1], pushIntervalMs: a.pushIntervalMs ?? 20, telemetryMaxBytes: 1 << 20,
      deltaTemporality: a.deltaTemporality ?? true, requestedMetrics: a.requestedMetrics,
    };
  });
}

test('pushes at the subscription\'s interval; UNKNOWN_SUBSCRIPTION_ID fetches it again at once; close() sends one terminating push', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    c.model.append(TOPIC, 0, 5);
    withReceiver(c);
    subscriptions(c, [
      { subscriptionId: 11, requestedMetrics: ['org.apache.kafka.consumer.fetch.manager.records.'] },
      { subscriptionId: 12, requestedMetrics: [''], deltaTemporality: false },
    ]);
    c.handle(ApiKey.PushTelemetry, () => ({ errorCode: 0 }));
    c.script(ApiKey.PushTelemetry, { errorCode: 0 });
    c.script(ApiKey.PushTelemetry, { errorCode: ErrorCode.UNKNOWN_SUBSCRIPTION_ID });
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    await take(consumer, 5);
    assert.equal(await consumer.clientInstanceId(), INSTANCE);
    const renewed = await c.waitFor(ApiKey.PushTelemetry, { where: (r) => r.body.subscriptionId === 12 });
    await consumer.close();

    const gets = c.requests(ApiKey.GetTelemetrySubscriptions);
    const pushes = c.requests(ApiKey.PushTelemetry);
    assert.equal(gets[0].body.clientInstanceId, ZERO_UUID_STRING, 'the first request asks for an instance id');
    assert.equal(gets[1].body.clientInstanceId, INSTANCE, 'later ones carry it');
    // The refused push is followed by a GetTelemetrySubscriptions, before any other push.
    const refused = pushes[1];
    assert.equal(refused.body.subscriptionId, 11);
    assert.ok(gets[1].seq > refused.seq && gets[1].seq < renewed.seq);
    assert.equal(gets.length, 2);
    for (const p of pushes) {
      assert.equal(p.body.clientInstanceId, INSTANCE);
      assert.equal(p.body.compressionType, 3, 'the first compression type the broker accepts (lz4)');
    }
    const terminating = pushes.filter((p) => p.body.terminating);
    assert.equal(terminating.length, 1);
    assert.equal(terminating[0], pushes.at(-1), 'the terminating push is the last request of telemetry');
    assert.equal(terminating[0].body.subscriptionId, 12);

    // Subscription 11 asked for one prefix: only those metrics; delta sums. Subscription 12 for all: cumulative sums.
    const payload = (p: typeof pushes[number]) => otlpMetrics(decompress(p.body.compressionType!, p.body.metrics as Buffer, { maxBytes: 1 << 20 }));
    const first = payload(pushes[0]);
    // records.lag joins once a Fetch answered (the first push may come before).
    const names = first.metrics.map((m) => m.name);
    assert.equal(names[0], 'org.apache.kafka.consumer.fetch.manager.records.consumed.total');
    assert.ok(names.every((n) => n.startsWith('org.apache.kafka.consumer.fetch.manager.records.')), names.join());
    assert.equal(first.metrics[0].temporality, 1);
    assert.equal(first.scope.name, 'gregor');
    const last = payload(terminating[0]);
    assert.ok(last.metrics.length > 5, last.metrics.map((m) => m.name).join());
    const consumed = last.metrics.find((m) => m.name === 'org.apache.kafka.consumer.fetch.manager.records.consumed.total')!;
    assert.equal(consumed.temporality, 2);
    assert.equal(consumed.points[0].value, 5, 'cumulative: everything consumed since the start');
  });
});

test('an empty subscription is fetched again after its interval and pushes nothing; INVALID_RECORD ends telemetry', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 1 });
    withReceiver(c);
    subscriptions(c, [
      { subscriptionId: 1, requestedMetrics: [] },
      { subscriptionId: 1, requestedMetrics: [] },
      { subscriptionId: 2, requestedMetrics: [''] },
    ]);
    c.handle(ApiKey.PushTelemetry, () => ({ errorCode: ErrorCode.INVALID_RECORD }));
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    const refused = await c.waitFor(ApiKey.PushTelemetry);
    assert.equal(refused.body.subscriptionId, 2);
    assert.equal(c.requests(ApiKey.GetTelemetrySubscriptions).length, 3, 'two empty subscriptions, then one with metrics');
    // Telemetry has ended: many push intervals (20 ms) later, nothing more was asked or pushed, not even on close.
    const mark = c.mark();
    for (let i = 0; i < 10; i++) await c.waitFor(ApiKey.Fetch, { after: c.mark() });
    await consumer.close();
    assert.deepEqual(c.requests(ApiKey.PushTelemetry, { after: mark }), []);
    assert.deepEqual(c.requests(ApiKey.GetTelemetrySubscriptions, { after: mark }), []);
  });
});

test('a broker without a telemetry receiver (KIP-714 APIs not listed) gets no telemetry request; enable.metrics.push=false sends none either', async () => {
  for (const config of [{}, { 'enable.metrics.push': false }] as Record<string, boolean>[]) {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 1 });
      c.model.append(TOPIC, 0, 3);
      if ('enable.metrics.push' in config) {
        withReceiver(c);
        subscriptions(c, [{ subscriptionId: 1, requestedMetrics: [''] }]);
      }
    }, config, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
      await take(consumer, 3);
      for (let i = 0; i < 5; i++) await c.waitFor(ApiKey.Fetch, { after: c.mark() });
      await consumer.close();
      assert.deepEqual(c.requests(ApiKey.GetTelemetrySubscriptions), []);
      assert.deepEqual(c.requests(ApiKey.PushTelemetry), []);
    });
  }
});
