// gregor/otel: OpenTelemetry tracing and metrics for gregor, built on its diagnostics channels (src/diagnostics.ts),
// so the clients never import OpenTelemetry: only an application that imports this entry point loads
// @opentelemetry/api (an optional peer dependency: the application's own copy is used).
//
// Spans and metrics follow the OpenTelemetry messaging semantic conventions for Kafka (status: development):
//   send <topic>     PRODUCER  producer.send(); its context goes into the record's `traceparent`/`tracestate` headers
//   poll <topic>     CLIENT    a poll()/pollBatch() that returned records (operation type receive), linked to their
//                              producers' contexts
//   process <topic>  CONSUMER  each record run()'s eachMessage handles, parented to the record's propagated context
//                              and active while the handler runs; each eachBatch batch, linked to its records' contexts
//   commit <topic>   CLIENT    an offset commit (operation type settle)
//   acknowledge <topic> CLIENT a share consumer's acknowledgement of one record (KIP-932; operation type settle),
//                              from when it was made until the broker answered; its type (accept, release, reject,
//                              renew) in messaging.kafka.acknowledge.type
// A share group's record (KIP-932) also carries messaging.kafka.message.delivery_count on its process span: these
// two attributes are gregor's, named as the conventions name Service Bus' messaging.servicebus.message.delivery_count.
// Metrics: messaging.client.operation.duration (send, poll, commit), messaging.process.duration,
// messaging.client.consumed.messages and messaging.client.sent.messages.

import {
  context, metrics, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Attributes, type Context, type Counter, type Histogram, type Link, type Meter, type MeterProvider, type Span,
  type TextMapGetter, type Tracer, type TracerProvider,
} from '@opentelemetry/api';
import { tracingChannel, type TracingChannelSubscribers } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import {
  DIAGNOSTICS_CHANNELS,
  type AcknowledgeDiagnostics, type CommitDiagnostics, type DiagnosticsRecord, type PollDiagnostics, type ProcessDiagnostics, type SendDiagnostics,
} from '../diagnostics.js';

/** The instrumentation's name (its tracer's and meter's). */
export const INSTRUMENTATION_NAME = 'gregor';
/**
 * The instrumentation's version (gregor's, from its package.json, read through the package's own `exports`: the same
 * from dist/src/otel and from the bundle).
 */
export const INSTRUMENTATION_VERSION: string = (createRequire(import.meta.url)('gregor/package.json') as { version: string }).version;

/** Bucket bounds (seconds) the messaging conventions advise for the duration histograms. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** GregorInstrumentation's options (InstrumentationConfig of @opentelemetry/instrumentation). */
export interface GregorInstrumentationConfig {
  /** Whether it is enabled once constructed (default true), as every OpenTelemetry instrumentation. */
  enabled?: boolean;
}

/** A record's headers as a carrier for the propagator (the last value of a key wins, as Kafka's readers do). */
const headerGetter: TextMapGetter<DiagnosticsRecord['headers']> = {
  keys: (headers) => headers.map((h) => h.key),
  get: (headers, key) => {
    for (let i = headers.length - 1; i >= 0; i--) {
      const h = headers[i];
      if (h.key === key) return h.value === null ? undefined : h.value.toString('utf8');
    }
    return undefined;
  },
};

/** What a span in progress needs until its operation settles. */
interface Pending {
  span: Span | null;
  started: number;
  attributes: Attributes;
}

/** error.type: Kafka's error name when there is one (KAFKA_STORAGE_ERROR...), else the error's class name. */
function errorType(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const name = (err as { errorName?: unknown }).errorName;
    if (typeof name === 'string' && name !== '') return name;
    const cls = (err as { name?: unknown }).name;
    if (typeof cls === 'string' && cls !== '') return cls;
  }
  return '_OTHER';
}

function keyText(key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key) || key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  return String(key);
}

/** The record's propagated context (its producer's span), or undefined when it carries none. */
function producerContext(record: DiagnosticsRecord): Context | undefined {
  if (record.headers.length === 0) return undefined;
  const extracted = propagation.extract(ROOT_CONTEXT, record.headers, headerGetter);
  const span = trace.getSpanContext(extracted);
  return span !== undefined && trace.isSpanContextValid(span) ? extracted : undefined;
}

function linksOf(records: readonly DiagnosticsRecord[]): Link[] {
  const links: Link[] = [];
  for (const r of records) {
    const c = producerContext(r);
    const s = c === undefined ? undefined : trace.getSpanContext(c);
    if (s !== undefined) links.push({ context: s });
  }
  return links;
}

/** The topic of a set of partitions, or null when there are several. */
function oneTopic(items: readonly { topic: string }[]): string | null {
  if (items.length === 0) return null;
  const t = items[0].topic;
  for (const i of items) if (i.topic !== t) return null;
  return t;
}

/**
 * OpenTelemetry instrumentation of gregor's consumer and producer: register it with `registerInstrumentations()`
 * from @opentelemetry/instrumentation (it implements that package's Instrumentation interface), or call enable().
 * Spans and metrics follow the OpenTelemetry messaging semantic conventions for Kafka: `send`, `poll`, `process` and
 * `commit` spans; messaging.client.operation.duration, messaging.process.duration, messaging.client.consumed.messages
 * and messaging.client.sent.messages (README, "OpenTelemetry"). Built on gregor's diagnostics channels: nothing is
 * patched, and gregor pays nothing while it is disabled.
 */
export class GregorInstrumentation {
  /** 'gregor'. */
  readonly instrumentationName = INSTRUMENTATION_NAME;
  /** gregor's version. */
  readonly instrumentationVersion = INSTRUMENTATION_VERSION;
  private config: GregorInstrumentationConfig;
  private meterProvider: MeterProvider | null = null;
  private tracer: Tracer;
  private instruments!: {
    operationDuration: Histogram;
    processDuration: Histogram;
    consumed: Counter;
    sent: Counter;
  };
  private readonly pending = new WeakMap<object, Pending>();
  private subscriptions: (() => void)[] = [];

  /** @param config `enabled: false` to construct it disabled (registerInstrumentations() enables it). */
  constructor(config: GregorInstrumentationConfig = {}) {
    this.config = { enabled: true, ...config };
    this.tracer = trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.updateInstruments();
    if (this.config.enabled) this.enable();
  }

  /** Subscribes to gregor's diagnostics channels: spans and metrics from now on. */
  enable(): void {
    this.config = { ...this.config, enabled: true };
    if (this.subscriptions.length > 0) return;
    this.subscribe<ProcessDiagnostics>(DIAGNOSTICS_CHANNELS.process, (p) => this.processStarted(p), (p) => this.finish(p, 'process'));
    this.subscribe<PollDiagnostics>(DIAGNOSTICS_CHANNELS.poll, (p) => this.pollStarted(p), (p) => this.pollSettled(p));
    this.subscribe<CommitDiagnostics>(DIAGNOSTICS_CHANNELS.commit, (p) => this.commitStarted(p), (p) => this.finish(p, 'operation'));
    this.subscribe<SendDiagnostics>(DIAGNOSTICS_CHANNELS.send, (p) => this.sendStarted(p), (p) => this.sendSettled(p));
    this.subscribe<AcknowledgeDiagnostics>(DIAGNOSTICS_CHANNELS.acknowledge, (p) => this.acknowledgeStarted(p), (p) => this.finish(p, 'operation'));
  }

  /** Unsubscribes: gregor publishes nothing more for it (spans in progress still end). */
  disable(): void {
    this.config = { ...this.config, enabled: false };
    for (const u of this.subscriptions) u();
    this.subscriptions = [];
  }

  /** The TracerProvider to use instead of the global one. */
  setTracerProvider(tracerProvider: TracerProvider): void {
    this.tracer = tracerProvider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  }

  /** The MeterProvider to use instead of the global one: the instruments are made again from it. */
  setMeterProvider(meterProvider: MeterProvider): void {
    this.meterProvider = meterProvider;
    this.updateInstruments();
  }

  /** Replaces the configuration (enabled is applied by enable()/disable()). */
  setConfig(config: GregorInstrumentationConfig): void {
    this.config = { ...config, enabled: this.config.enabled };
  }

  /** The configuration, with `enabled`. */
  getConfig(): GregorInstrumentationConfig {
    return { ...this.config };
  }

  // ---------------------------------------------------------------------------------------------------------------

  private updateInstruments(): void {
    const meter: Meter = (this.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
    this.instruments = {
      operationDuration: meter.createHistogram('messaging.client.operation.duration', { unit: 's', description: 'Duration of messaging operation initiated by a producer or consumer client.', advice }),
      processDuration: meter.createHistogram('messaging.process.duration', { unit: 's', description: 'Duration of processing operation.', advice }),
      consumed: meter.createCounter('messaging.client.consumed.messages', { unit: '{message}', description: 'Number of messages that were delivered to the application.' }),
      sent: meter.createCounter('messaging.client.sent.messages', { unit: '{message}', description: 'Number of messages producer attempted to send to the broker.' }),
    };
  }

  /**
   * One channel: `start` and the end of the operation (asyncEnd, or end after a synchronous throw, as
   * src/diagnostics.ts's trace() publishes them).
   */
  private subscribe<P extends { error?: unknown }>(name: string, started: (p: P) => void, settled: (p: P) => void): void {
    const channel = tracingChannel<unknown, P>(name);
    const handlers: TracingChannelSubscribers<P> = {
      start: started,
      end: (p) => {
        if (p.error !== undefined && this.pending.has(p)) settled(p);
      },
      asyncStart: () => {},
      asyncEnd: (p) => {
        if (this.pending.has(p)) settled(p);
      },
      error: () => {},
    };
    channel.subscribe(handlers);
    this.subscriptions.push(() => channel.unsubscribe(handlers));
  }

  private common(clientId: string, groupId: string | null): Attributes {
    const a: Attributes = { 'messaging.system': 'kafka', 'messaging.client.id': clientId };
    if (groupId !== null) a['messaging.consumer.group.name'] = groupId;
    return a;
  }

  private processStarted(p: ProcessDiagnostics): void {
    const attributes: Attributes = {
      ...this.common(p.clientId, p.groupId),
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': p.topic,
      'messaging.destination.partition.id': String(p.partition),
    };
    let parent = context.active();
    let links: Link[] | undefined;
    const record = p.message;
    if (record !== null) {
      attributes['messaging.kafka.offset'] = Number(record.offset);
      if (record.deliveryCount !== undefined) attributes['messaging.kafka.message.delivery_count'] = record.deliveryCount;
      const key = keyText(record.key);
      if (key !== null) attributes['messaging.kafka.message.key'] = key;
      if (record.value === null) attributes['messaging.kafka.message.tombstone'] = true;
      // A single record's process span continues its producer's trace (the conventions' parent for one message).
      parent = producerContext(record) ?? parent;
    } else if (p.messages !== null) {
      attributes['messaging.batch.message_count'] = p.messages.length;
      // A batch has many producers: linked, not parented.
      links = linksOf(p.messages);
    }
    // Retries of a record are not new deliveries.
    if (p.attempt === 1) this.instruments.consumed.add(record !== null ? 1 : p.messages?.length ?? 0, this.metricAttributes(attributes));
    const span = this.tracer.startSpan(`process ${p.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
    const active = trace.setSpan(parent, span);
    p.wrap = <T>(fn: () => T): T => context.with(active, fn);
    this.pending.set(p, { span, started: performance.now(), attributes });
  }

  private pollStarted(p: PollDiagnostics): void {
    // The span is made when the poll returned records (an empty poll is not a receive); its start time is now.
    this.pending.set(p, { span: null, started: performance.now(), attributes: this.common(p.clientId, p.groupId) });
  }

  private pollSettled(p: PollDiagnostics): void {
    const pending = this.pending.get(p)!;
    this.pending.delete(p);
    const result = p.result;
    const records: readonly DiagnosticsRecord[] = result === null || result === undefined ? [] : Array.isArray(result) ? result : [result as DiagnosticsRecord];
    if (records.length === 0 && p.error === undefined) return;
    const topic = oneTopic(records);
    const attributes: Attributes = {
      ...pending.attributes,
      'messaging.operation.type': 'receive',
      'messaging.operation.name': 'poll',
      'messaging.batch.message_count': records.length,
    };
    if (topic !== null) attributes['messaging.destination.name'] = topic;
    if (records.length > 0 && records.every((r) => r.partition === records[0].partition) && topic !== null) {
      attributes['messaging.destination.partition.id'] = String(records[0].partition);
    }
    const elapsedMs = performance.now() - pending.started;
    const span = this.tracer.startSpan(topic === null ? 'poll' : `poll ${topic}`, {
      kind: SpanKind.CLIENT, attributes, links: linksOf(records), startTime: Date.now() - elapsedMs,
    }, context.active());
    for (const r of records) {
      this.instruments.consumed.add(1, this.metricAttributes({ ...pending.attributes, 'messaging.operation.name': 'poll', 'messaging.destination.name': r.topic, 'messaging.destination.partition.id': String(r.partition) }));
    }
    this.end(span, p.error, elapsedMs / 1000, attributes, this.instruments.operationDuration);
  }

  private commitStarted(p: CommitDiagnostics): void {
    const topic = oneTopic(p.offsets);
    const attributes: Attributes = {
      ...this.common(p.clientId, p.groupId),
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'commit',
      'messaging.batch.message_count': p.offsets.length,
    };
    if (topic !== null) attributes['messaging.destination.name'] = topic;
    const span = this.tracer.startSpan(topic === null ? 'commit' : `commit ${topic}`, { kind: SpanKind.CLIENT, attributes });
    this.pending.set(p, { span, started: performance.now(), attributes });
  }

  private acknowledgeStarted(p: AcknowledgeDiagnostics): void {
    const r = p.record;
    const attributes: Attributes = {
      ...this.common(p.clientId, p.groupId),
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'acknowledge',
      'messaging.destination.name': r.topic,
      'messaging.destination.partition.id': String(r.partition),
      'messaging.kafka.offset': Number(r.offset),
      'messaging.kafka.acknowledge.type': p.type,
    };
    if (r.deliveryCount !== undefined) attributes['messaging.kafka.message.delivery_count'] = r.deliveryCount;
    const span = this.tracer.startSpan(`acknowledge ${r.topic}`, { kind: SpanKind.CLIENT, attributes });
    this.pending.set(p, { span, started: performance.now(), attributes });
  }

  private sendStarted(p: SendDiagnostics): void {
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.client.id': p.clientId,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': p.topic,
    };
    if (p.partition !== null) attributes['messaging.destination.partition.id'] = String(p.partition);
    const key = keyText(p.key);
    if (key !== null) attributes['messaging.kafka.message.key'] = key;
    const span = this.tracer.startSpan(`send ${p.topic}`, { kind: SpanKind.PRODUCER, attributes });
    // The record carries the send span's context: the consumer's process span continues this trace.
    propagation.inject(trace.setSpan(context.active(), span), p.headers, {
      set: (headers, k, v) => {
        headers.push({ key: k, value: v });
      },
    });
    this.pending.set(p, { span, started: performance.now(), attributes });
  }

  private sendSettled(p: SendDiagnostics): void {
    const pending = this.pending.get(p)!;
    if (p.result !== undefined && pending.span !== null) {
      pending.span.setAttribute('messaging.destination.partition.id', String(p.result.partition));
      if (p.result.offset >= 0n) pending.span.setAttribute('messaging.kafka.offset', Number(p.result.offset));
    }
    this.instruments.sent.add(1, this.metricAttributes(pending.attributes, p.error));
    this.finish(p, 'operation');
  }

  private finish(p: { error?: unknown }, which: 'process' | 'operation'): void {
    const pending = this.pending.get(p);
    if (pending === undefined) return;
    this.pending.delete(p);
    const histogram = which === 'process' ? this.instruments.processDuration : this.instruments.operationDuration;
    this.end(pending.span, p.error, (performance.now() - pending.started) / 1000, pending.attributes, histogram);
  }

  private end(span: Span | null, error: unknown, seconds: number, attributes: Attributes, histogram: Histogram): void {
    if (error !== undefined) {
      const type = errorType(error);
      span?.setAttribute('error.type', type);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      if (error instanceof Error) span?.recordException(error);
    }
    span?.end();
    histogram.record(seconds, this.metricAttributes(attributes, error));
  }

  /** A metric's attributes: the span's, without the per-record ones (offset, key, tombstone, batch size). */
  private metricAttributes(attributes: Attributes, error?: unknown): Attributes {
    const out: Attributes = {};
    for (const k of ['messaging.system', 'messaging.operation.name', 'messaging.operation.type', 'messaging.destination.name', 'messaging.destination.partition.id', 'messaging.consumer.group.name', 'messaging.kafka.acknowledge.type']) {
      if (attributes[k] !== undefined) out[k] = attributes[k];
    }
    if (error !== undefined) out['error.type'] = errorType(error);
    return out;
  }
}
