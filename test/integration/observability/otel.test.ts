// gregor/otel under the real OpenTelemetry SDK (sdk-trace-node with an in-memory exporter, sdk-metrics with a
// collecting reader), registered with registerInstrumentations(), against the real broker: gregor's Producer sends
// inside an active span and injects its context; run() makes one `process <topic>` span per record, parented to the
// record's producer and active while the handler runs; eachBatch makes one span per batch linked to its records'
// producers; commits make `commit <topic>` spans; the metrics count the same. A ShareConsumer's run() makes the same
// process spans (group: the share group, with the delivery count) and one `acknowledge <topic>` span per record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Admin, Producer, ShareConsumer, type Message } from '../../../src/index.js';
import { GregorInstrumentation } from '../../../src/otel/index.js';
import { ensureKafka, uniqueName } from '../helpers/kafka.js';
import { setShareGroupConfigs } from '../helpers/share.js';
import { newConsumer } from '../consumer/env.js';

const RECORDS = 6;

/** A reader the test collects from when it wants. */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function points(rm: ResourceMetrics, name: string): DataPoint<unknown>[] {
  return rm.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
}

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('gregor/otel with the OpenTelemetry SDK', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = new GregorInstrumentation({ enabled: false });
  let unregister: () => void = () => {};
  const topic = uniqueName('otel');
  let bootstrap = '';
  const sendSpans = new Map<string, string>();

  before(async () => {
    bootstrap = (await ensureKafka()).bootstrap;
    provider.register();
    unregister = registerInstrumentations({ instrumentations: [instrumentation], meterProvider });
    assert.equal(instrumentation.getConfig().enabled, true, 'registerInstrumentations() enabled it');

    const admin = new (await import('../../../src/index.js')).Admin({ 'bootstrap.servers': bootstrap, 'gregor.log.level': 'warn' });
    await admin.createTopics([{ topic, numPartitions: 1, replicationFactor: 1 }]);
    await admin.close();
    // Sent inside an application span: each record carries the trace context of its send span, a child of it.
    const producer = new Producer({ 'bootstrap.servers': bootstrap, 'client.id': 'otel-producer', 'gregor.log.level': 'warn' });
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('checkout', async (span: Span) => {
      for (let i = 0; i < RECORDS; i++) await producer.send({ topic, key: `k${i}`, value: i === RECORDS - 1 ? null : `v${i}`, headers: { app: 'x' } });
      span.end();
    });
    await producer.close();
    const checkout = exporter.getFinishedSpans().find((s) => s.name === 'checkout')!;
    const sends = exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`);
    assert.equal(sends.length, RECORDS);
    for (const s of sends) {
      assert.equal(s.kind, SpanKind.PRODUCER);
      assert.equal(s.spanContext().traceId, checkout.spanContext().traceId);
      assert.equal(s.parentSpanContext?.spanId, checkout.spanContext().spanId);
      assert.equal(s.attributes['messaging.system'], 'kafka');
      assert.equal(s.attributes['messaging.operation.type'], 'send');
      assert.equal(s.attributes['messaging.destination.partition.id'], '0');
      sendSpans.set(String(s.attributes['messaging.kafka.offset']), s.spanContext().spanId);
    }
    exporter.reset();
  });

  after(async () => {
    unregister();
    assert.equal(instrumentation.getConfig().enabled, false);
    await provider.shutdown();
    await meterProvider.shutdown();
  });

  it('run(): one process span per record, in its producer\'s trace, active in the handler; commit spans', async () => {
    const group = uniqueName('g-otel');
    const c = await newConsumer({ 'group.id': group, 'auto.offset.reset': 'earliest', 'client.id': 'otel-consumer' });
    const handled: { message: Message; active: string | undefined; traceparent: string | undefined }[] = [];
    const stop = new AbortController();
    try {
      c.subscribe([topic]);
      const running = c.run({
        eachMessage: async (m) => {
          await new Promise((r) => setImmediate(r));
          handled.push({
            message: m,
            active: trace.getActiveSpan()?.spanContext().spanId,
            traceparent: m.headers.find((h) => h.key === 'traceparent')?.value?.toString(),
          });
        },
        signal: stop.signal,
      });
      await until('every record handled', () => handled.length === RECORDS);
      stop.abort();
      await running;
    } finally {
      await c.close();
    }

    const spans = exporter.getFinishedSpans();
    const processSpans = spans.filter((s) => s.name === `process ${topic}`);
    assert.equal(processSpans.length, RECORDS, spans.map((s) => s.name).join(', '));
    for (const h of handled) {
      const offset = h.message.offset;
      const s = processSpans.find((p) => p.attributes['messaging.kafka.offset'] === Number(offset))!;
      assert.ok(s !== undefined, `a process span for offset ${offset}`);
      assert.equal(s.kind, SpanKind.CONSUMER);
      assert.equal(h.active, s.spanContext().spanId, 'the process span is the active span inside the handler (after an await)');
      assert.ok(h.traceparent !== undefined, 'the record carries traceparent');
      const sendSpanId = sendSpans.get(String(offset));
      assert.equal(s.parentSpanContext?.spanId, sendSpanId, 'parented to the send span of the record');
      assert.equal(h.traceparent!.split('-')[1], s.spanContext().traceId, 'in the producer\'s trace');
      assert.deepEqual({ ...s.attributes }, {
        'messaging.system': 'kafka',
        'messaging.client.id': 'otel-consumer',
        'messaging.consumer.group.name': group,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': '0',
        'messaging.kafka.offset': Number(offset),
        'messaging.kafka.message.key': `k${offset}`,
        ...(offset === BigInt(RECORDS - 1) ? { 'messaging.kafka.message.tombstone': true } : {}),
      });
      assert.equal(s.status.code, SpanStatusCode.UNSET);
    }

    const commits = spans.filter((s) => s.name === `commit ${topic}`);
    assert.ok(commits.length >= 1, 'run() committed');
    for (const s of commits) {
      assert.equal(s.kind, SpanKind.CLIENT);
      assert.equal(s.attributes['messaging.operation.type'], 'settle');
      assert.equal(s.attributes['messaging.operation.name'], 'commit');
      assert.equal(s.attributes['messaging.consumer.group.name'], group);
      assert.equal(s.attributes['messaging.destination.name'], topic);
    }

    const { resourceMetrics } = await reader.collect();
    const consumed = points(resourceMetrics, 'messaging.client.consumed.messages')
      .filter((p) => p.attributes['messaging.consumer.group.name'] === group);
    assert.equal(consumed.reduce((n, p) => n + (p.value as number), 0), RECORDS);
    const processed = points(resourceMetrics, 'messaging.process.duration')
      .filter((p) => p.attributes['messaging.consumer.group.name'] === group);
    assert.equal(processed.reduce((n, p) => n + (p.value as Histogram).count, 0), RECORDS);
    const commitDurations = points(resourceMetrics, 'messaging.client.operation.duration')
      .filter((p) => p.attributes['messaging.operation.name'] === 'commit' && p.attributes['messaging.consumer.group.name'] === group);
    assert.equal(commitDurations.reduce((n, p) => n + (p.value as Histogram).count, 0), commits.length);
    const sent = points(resourceMetrics, 'messaging.client.sent.messages').filter((p) => p.attributes['messaging.destination.name'] === topic);
    assert.equal(sent.reduce((n, p) => n + (p.value as number), 0), RECORDS);
    exporter.reset();
  });

  it('eachBatch: one process span per batch, linked to its records\' send spans; a failing handler sets error.type', async () => {
    const group = uniqueName('g-otel-batch');
    const c = await newConsumer({ 'group.id': group, 'auto.offset.reset': 'earliest', 'client.id': 'otel-batch', 'gregor.log.level': 'error' });
    let seen = 0;
    let failed = false;
    const stop = new AbortController();
    try {
      c.subscribe([topic]);
      const running = c.run({
        eachBatch: async (batch) => {
          if (!failed) {
            failed = true;
            throw new RangeError('first attempt fails');
          }
          seen += batch.messages.length;
        },
        retry: { retries: 3, initialBackoffMs: 10, maxBackoffMs: 10 },
        signal: stop.signal,
      });
      await until('every record handled', () => seen === RECORDS);
      stop.abort();
      await running;
    } finally {
      await c.close();
    }
    const batches = exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`);
    const ok = batches.filter((s) => s.status.code !== SpanStatusCode.ERROR);
    const errored = batches.filter((s) => s.status.code === SpanStatusCode.ERROR);
    assert.equal(errored.length, 1);
    assert.equal(errored[0].attributes['error.type'], 'RangeError');
    assert.equal(ok.reduce((n, s) => n + (s.attributes['messaging.batch.message_count'] as number), 0), RECORDS);
    const linked = new Set(ok.flatMap((s: ReadableSpan) => s.links.map((l) => l.context.spanId)));
    assert.deepEqual([...linked].sort(), [...sendSpans.values()].sort(), 'each batch links to the send spans of its records');
    for (const s of batches) assert.equal(s.parentSpanContext, undefined, 'a batch span is a root: its records\' producers are links');
  });
  it('ShareConsumer run(): process spans with the share group and delivery count; an acknowledge span per record', async () => {
    const group = uniqueName('g-otel-share');
    const admin = new Admin({ 'bootstrap.servers': bootstrap, 'gregor.log.level': 'warn' });
    await setShareGroupConfigs(admin, group, { 'share.auto.offset.reset': 'earliest' });
    await admin.close();
    exporter.reset();
    const c = new ShareConsumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': 'otel-share', 'gregor.error.policy': 'skip', 'gregor.log.level': 'error' });
    let seen = 0;
    const stop = new AbortController();
    // ShareFetch publishes on the consumer's fetch channel, with the share group.
    const fetches: { groupId: string | null; partitions: readonly { topic: string }[] }[] = [];
    const onFetch = (p: unknown) => { fetches.push(p as { groupId: string | null; partitions: readonly { topic: string }[] }); };
    subscribe('tracing:gregor:consumer:fetch:start', onFetch);
    try {
      c.subscribe([topic]);
      const running = c.run({
        eachMessage: async (m) => {
          seen++;
          if (m.offset === 1n) throw new RangeError('record 1 fails: rejected by the skip policy');
        },
        retry: false,
        signal: stop.signal,
      });
      await until('every record handled', () => seen === RECORDS);
      await until('every acknowledgement answered', () => exporter.getFinishedSpans().filter((s) => s.name === `acknowledge ${topic}`).length === RECORDS);
      stop.abort();
      await running;
    } finally {
      await c.close();
      unsubscribe('tracing:gregor:consumer:fetch:start', onFetch);
    }
    assert.ok(fetches.some((f) => f.groupId === group && f.partitions.some((p) => p.topic === topic)), 'ShareFetch on gregor:consumer:fetch');
    const spans = exporter.getFinishedSpans();
    const processSpans = spans.filter((s) => s.name === `process ${topic}`);
    assert.equal(processSpans.length, RECORDS);
    for (const s of processSpans) {
      assert.equal(s.attributes['messaging.consumer.group.name'], group);
      assert.equal(s.attributes['messaging.kafka.message.delivery_count'], 1);
      assert.equal(s.status.code, s.attributes['messaging.kafka.offset'] === 1 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
    }
    const acks = spans.filter((s) => s.name === `acknowledge ${topic}`);
    assert.deepEqual(acks.map((s) => [s.attributes['messaging.kafka.offset'], s.attributes['messaging.kafka.acknowledge.type']]).sort((a, b) => Number(a[0]) - Number(b[0])),
      Array.from({ length: RECORDS }, (_, i) => [i, i === 1 ? 'reject' : 'accept']));
    for (const s of acks) {
      assert.equal(s.kind, SpanKind.CLIENT);
      assert.equal(s.attributes['messaging.operation.type'], 'settle');
      assert.equal(s.attributes['messaging.consumer.group.name'], group);
      assert.equal(s.attributes['messaging.kafka.message.delivery_count'], 1);
      assert.equal(s.status.code, SpanStatusCode.UNSET);
    }
    const { resourceMetrics } = await reader.collect();
    const durations = points(resourceMetrics, 'messaging.client.operation.duration')
      .filter((p) => p.attributes['messaging.operation.name'] === 'acknowledge' && p.attributes['messaging.consumer.group.name'] === group);
    assert.equal(durations.reduce((n, p) => n + (p.value as Histogram).count, 0), RECORDS);
  });
});
