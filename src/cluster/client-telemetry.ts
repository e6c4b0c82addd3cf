// KIP-714 client telemetry: the client side of GetTelemetrySubscriptions and PushTelemetry, for any client kind. The
// client asks one broker what to send (the subscription: metric name prefixes, push interval, temporality, accepted
// compression types, size limit), then pushes the matching metrics as OTLP MetricsData (protocol/otlp-metrics.ts)
// every interval, and a last time with Terminating=true when it closes. What the metrics are is the client's
// business: a `TelemetrySource` (the consumer's is consumer/telemetry-source.ts).
//
// States (KIP-714, "Client behavior"):
//
//   subscription-needed -> (GetTelemetrySubscriptions) -> push-needed -> (wait) -> push -> push-needed ...
//        ^                                                      |
//        +---- UNKNOWN_SUBSCRIPTION_ID, UNSUPPORTED_COMPRESSION_TYPE, a dropped connection, an empty subscription
//              after its interval, an unsupported broker after the default interval
//   any -> close() -> terminating push (only when metrics are subscribed) -> terminated
//   any -> INVALID_REQUEST, INVALID_RECORD, UNSUPPORTED_VERSION on push -> disabled (logged; nothing more is sent)
//
// Timing (KIP-714): the first push of a subscription waits a random 0.5-1.5 x the interval, so that clients started
// together do not push together; later pushes one interval apart. Failed requests are retried after
// retry.backoff.ms doubling up to retry.backoff.max.ms, with jitter. A broker without a telemetry receiver does not
// list the APIs in ApiVersions (Kafka 3.7+): then nothing is sent and the check is made again every 5 minutes.

import { KafkaError, UnsupportedError, isGregorError } from '../errors.js';
import { raceAbort } from '../network/abort.js';
import type { Logger } from '../network/options.js';
import { ApiKey, ErrorCode, ZERO_UUID_STRING, errorName } from '../protocol/index.js';
import {
  AggregationTemporality, encodeMetricsData, type Attributes, type NumberDataPoint, type OtlpMetric,
} from '../protocol/otlp-metrics.js';
import { compress } from '../protocol/records/compression.js';
import type { Cluster } from './client.js';
import { backoff, sleep } from './retry.js';

/** One metric as a client reports it: a counter (`sum`, its total since the client started) or a `gauge`. */
export interface TelemetryMetric {
  /** The full telemetry name, e.g. `org.apache.kafka.consumer.fetch.manager.records.consumed.total`. */
  readonly name: string;
  readonly kind: 'sum' | 'gauge';
  readonly description?: string;
  readonly unit?: string;
  readonly points: readonly { readonly attributes?: Attributes; readonly value: number }[];
}

/** What a client pushes: its metrics now, and the resource attributes naming it (group_id, client_rack...). */
export interface TelemetrySource {
  metrics(): readonly TelemetryMetric[];
  resource(): Attributes;
}

/** A subscription as the broker gave it. */
export interface TelemetrySubscription {
  readonly subscriptionId: number;
  readonly pushIntervalMs: number;
  readonly deltaTemporality: boolean;
  /** Metric name prefixes; [] none, [''] every metric. */
  readonly requestedMetrics: readonly string[];
  /** Kafka compression ids in the broker's preference order. */
  readonly acceptedCompressionTypes: readonly number[];
  readonly telemetryMaxBytes: number;
}

export type TelemetryState = 'subscription-needed' | 'push-needed' | 'terminated' | 'disabled';

export interface ClientTelemetryOptions {
  /** The instrumentation scope of the payload: the client library and its version. */
  scope: { name: string; version: string };
  logger: Logger;
  /** Random numbers in [0, 1) for the jitter (tests make it deterministic). */
  random?: () => number;
}

/** How long to wait before asking again when the broker has no telemetry receiver (Kafka's default interval). */
export const UNSUPPORTED_RECHECK_MS = 300_000;
/** The most a terminating push may delay close(). */
const TERMINATING_PUSH_TIMEOUT_MS = 5_000;

type PushOutcome = 'ok' | 'resubscribe' | 'disable';

export class ClientTelemetry {
  private readonly abort = new AbortController();
  private readonly random: () => number;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private stateValue: TelemetryState = 'subscription-needed';
  private instanceId: string | null = null;
  private subscription: TelemetrySubscription | null = null;
  /** The broker the subscription came from; pushes go there too (its ClientMetricsManager knows the instance). */
  private nodeId: number | null = null;
  /** Delta temporality: the totals of the last successful push per series, and when it was made. */
  private baseline = new Map<string, number>();
  private baselineAt: bigint;
  private readonly startedAt: bigint;
  private instanceIdWaiters: ((id: string | null) => void)[] = [];
  /** Pushes acknowledged by a broker (terminating one included). */
  pushes = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly source: TelemetrySource,
    private readonly options: ClientTelemetryOptions,
  ) {
    this.random = options.random ?? Math.random;
    this.startedAt = nowNanos();
    this.baselineAt = this.startedAt;
  }

  get state(): TelemetryState {
    return this.stateValue;
  }

  /** The client instance id the broker assigned (Kafka's base64 uuid), null before the first subscription. */
  get clientInstanceId(): string | null {
    return this.instanceId;
  }

  /** Resolves with the client instance id once a broker assigned one, or null when telemetry ends first. */
  waitForClientInstanceId(signal?: AbortSignal): Promise<string | null> {
    if (this.instanceId !== null || this.stateValue === 'terminated' || this.stateValue === 'disabled') return Promise.resolve(this.instanceId);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.instanceIdWaiters = this.instanceIdWaiters.filter((w) => w !== settle);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const settle = (id: string | null): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(id);
      };
      this.instanceIdWaiters.push(settle);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.loop !== null || this.closing !== null) return;
    this.loop = this.run().catch((err: unknown) => {
      // The loop handles its errors; reaching here is a bug, not a reason to crash the application.
      this.options.logger.warn('client telemetry stopped', { error: (err as Error).message });
      this.end('disabled');
    });
  }

  /** Stops the loop; sends the terminating push when metrics are subscribed. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    await this.loop;
    const sub = this.subscription;
    if (this.stateValue === 'push-needed' && sub !== null && sub.requestedMetrics.length > 0) {
      const signal = AbortSignal.timeout(TERMINATING_PUSH_TIMEOUT_MS);
      try {
        await this.push(sub, true, signal);
      } catch (err) {
        this.options.logger.debug('client telemetry: the terminating push failed', { error: (err as Error).message });
      }
    }
    this.end(this.stateValue === 'disabled' ? 'disabled' : 'terminated');
  }

  private end(state: 'terminated' | 'disabled'): void {
    this.stateValue = state;
    for (const w of this.instanceIdWaiters) w(this.instanceId);
    this.instanceIdWaiters = [];
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted && this.stateValue !== 'disabled') {
      try {
        this.stateValue = 'subscription-needed';
        const sub = await this.subscribe(signal);
        failures = 0;
        if (sub === 'unsupported') {
          await sleep(UNSUPPORTED_RECHECK_MS, signal);
          continue;
        }
        if (sub === 'throttled') {
          // The broker takes one GetTelemetrySubscriptions per push interval from an instance it knows.
          await sleep(this.subscription?.pushIntervalMs ?? UNSUPPORTED_RECHECK_MS, signal);
          continue;
        }
        this.subscription = sub;
        this.stateValue = 'push-needed';
        if (sub.requestedMetrics.length === 0) {
          // Nothing subscribed: ask again after the interval, as a new subscription may have been created meanwhile.
          await sleep(sub.pushIntervalMs, signal);
          continue;
        }
        let wait = sub.pushIntervalMs * (0.5 + this.random());
        for (;;) {
          await sleep(wait, signal);
          const outcome = await this.push(sub, false, signal);
          if (outcome === 'disable') {
            this.end('disabled');
            return;
          }
          if (outcome === 'resubscribe') break;
          wait = sub.pushIntervalMs;
        }
      } catch (err) {
        if (signal.aborted) return;
        this.nodeId = null;
        let delay: number;
        if (isGregorError(err) && err.retriable) {
          // A dropped connection, a timeout: start over with a subscription, from any broker, after a backoff.
          failures++;
          delay = backoff(failures, this.cluster.retry.retryBackoffMs, this.cluster.retry.retryBackoffMaxMs);
          this.options.logger.debug('client telemetry request failed; retrying', { error: (err as Error).message, delayMs: delay });
        } else {
          // Anything else would fail the same way at once: try again after an interval, not in a tight loop.
          delay = this.subscription?.pushIntervalMs ?? UNSUPPORTED_RECHECK_MS;
          this.options.logger.warn('client telemetry request failed', { error: (err as Error).message, retryInMs: delay });
        }
        await sleep(delay, signal).catch(() => undefined);
      }
    }
  }

  /** GetTelemetrySubscriptions, unless the broker has no telemetry receiver. */
  private async subscribe(signal: AbortSignal): Promise<TelemetrySubscription | 'unsupported' | 'throttled'> {
    const nodeId = await this.cluster.anyNode(signal);
    try {
      // Abortable: close() must not wait for a broker that is slow to answer ApiVersions.
      await raceAbort(this.cluster.apiVersion(nodeId, ApiKey.GetTelemetrySubscriptions), signal);
    } catch (err) {
      if (err instanceof UnsupportedError) {
        this.options.logger.debug('client telemetry: the broker does not support KIP-714 (no telemetry receiver)', { nodeId });
        return 'unsupported';
      }
      throw err;
    }
    const res = await this.cluster.request(nodeId, ApiKey.GetTelemetrySubscriptions, {
      clientInstanceId: this.instanceId ?? ZERO_UUID_STRING,
    }, { signal });
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) return 'unsupported';
    if (res.errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED) return 'throttled';
    if (res.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(res.errorCode, errorName(res.errorCode), `GetTelemetrySubscriptions: ${errorName(res.errorCode)}`);
    }
    this.nodeId = nodeId;
    if (this.instanceId === null && res.clientInstanceId !== ZERO_UUID_STRING) {
      this.instanceId = res.clientInstanceId;
      for (const w of this.instanceIdWaiters) w(this.instanceId);
      this.instanceIdWaiters = [];
    }
    return {
      subscriptionId: res.subscriptionId,
      pushIntervalMs: res.pushIntervalMs,
      deltaTemporality: res.deltaTemporality,
      requestedMetrics: res.requestedMetrics,
      acceptedCompressionTypes: res.acceptedCompressionTypes,
      telemetryMaxBytes: res.telemetryMaxBytes,
    };
  }

  /** One PushTelemetry with the subscribed metrics, as they are now. */
  private async push(sub: TelemetrySubscription, terminating: boolean, signal: AbortSignal): Promise<PushOutcome> {
    const at = nowNanos();
    const { payload, totals } = this.payload(sub, at);
    // gregor encodes every codec Kafka defines; the broker lists what it accepts, preferred first.
    const compressionType = sub.acceptedCompressionTypes.find((id) => id >= 0 && id <= 4) ?? 0;
    const metrics = compress(compressionType, payload);
    if (sub.telemetryMaxBytes > 0 && metrics.length > sub.telemetryMaxBytes) {
      this.options.logger.warn('client telemetry: the metrics exceed the broker\'s telemetry.max.bytes; not pushed', {
        bytes: metrics.length, telemetryMaxBytes: sub.telemetryMaxBytes,
      });
      return 'ok';
    }
    const nodeId = this.nodeId ?? await this.cluster.anyNode(signal);
    const res = await this.cluster.request(nodeId, ApiKey.PushTelemetry, {
      clientInstanceId: this.instanceId ?? ZERO_UUID_STRING,
      subscriptionId: sub.subscriptionId,
      terminating,
      compressionType,
      metrics,
    }, { signal });
    switch (res.errorCode) {
      case ErrorCode.NONE:
        this.pushes++;
        this.baseline = totals;
        this.baselineAt = at;
        return 'ok';
      case ErrorCode.UNKNOWN_SUBSCRIPTION_ID:
      case ErrorCode.UNSUPPORTED_COMPRESSION_TYPE:
        // The subscription changed (or its compression types): fetch it again now.
        this.options.logger.debug('client telemetry: subscribing again', { error: errorName(res.errorCode) });
        return 'resubscribe';
      case ErrorCode.TELEMETRY_TOO_LARGE:
      case ErrorCode.THROTTLING_QUOTA_EXCEEDED:
        // Dropped by the broker; the next push, one interval later, carries these counts too (deltas included).
        this.options.logger.debug('client telemetry: push refused; trying again next interval', { error: errorName(res.errorCode) });
        return 'ok';
      case ErrorCode.INVALID_REQUEST:
      case ErrorCode.INVALID_RECORD:
      case ErrorCode.UNSUPPORTED_VERSION:
        // KIP-714: the broker cannot use what this client sends; sending more would only repeat the error.
        this.options.logger.warn('client telemetry disabled: the broker refused the metrics', { error: errorName(res.errorCode) });
        return 'disable';
      default:
        this.options.logger.debug('client telemetry: push failed; subscribing again', { error: errorName(res.errorCode) });
        return 'resubscribe';
    }
  }

  /** The OTLP payload of the subscribed metrics, and the totals a delta-temporality baseline keeps. */
  payload(sub: TelemetrySubscription, at: bigint): { payload: Buffer; totals: Map<string, number> } {
    const totals = new Map<string, number>();
    const metrics: OtlpMetric[] = [];
    for (const m of this.source.metrics()) {
      if (!sub.requestedMetrics.some((prefix) => m.name.startsWith(prefix))) continue;
      if (m.kind === 'gauge') {
        metrics.push({ ...base(m), kind: 'gauge', points: m.points.map((p) => ({ attributes: p.attributes, startTimeUnixNano: 0n, timeUnixNano: at, value: p.value })) });
        continue;
      }
      const points: NumberDataPoint[] = m.points.map((p) => {
        const key = seriesKey(m.name, p.attributes);
        totals.set(key, p.value);
        return sub.deltaTemporality
          ? { attributes: p.attributes, startTimeUnixNano: this.baselineAt, timeUnixNano: at, value: p.value - (this.baseline.get(key) ?? 0) }
          : { attributes: p.attributes, startTimeUnixNano: this.startedAt, timeUnixNano: at, value: p.value };
      });
      metrics.push({
        ...base(m), kind: 'sum', monotonic: true, points,
        temporality: sub.deltaTemporality ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
      });
    }
    const payload = encodeMetricsData({ resource: this.source.resource(), scope: this.options.scope, metrics });
    return { payload, totals };
  }
}

function base(m: TelemetryMetric): { name: string; description?: string; unit?: string } {
  return { name: m.name, description: m.description, unit: m.unit };
}

function seriesKey(name: string, attributes: Attributes | undefined): string {
  return attributes === undefined ? name : `${name}\u0000${JSON.stringify(attributes, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
}

function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
