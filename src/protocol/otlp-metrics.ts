// OTLP MetricsData (opentelemetry-proto v1, opentelemetry/proto/metrics/v1/metrics.proto): the payload of a KIP-714
// PushTelemetry request. Only the subset a Kafka client pushes: one resource, one instrumentation scope, Sum and
// Gauge metrics of number data points with string or integer attributes. Pure code, written with protobuf.ts.
//
//   MetricsData      { repeated ResourceMetrics resource_metrics = 1; }
//   ResourceMetrics  { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
//   Resource         { repeated KeyValue attributes = 1; }
//   ScopeMetrics     { InstrumentationScope scope = 1; repeated Metric metrics = 2; }
//   InstrumentationScope { string name = 1; string version = 2; }
//   Metric           { string name = 1; string description = 2; string unit = 3; Gauge gauge = 5; Sum sum = 7; }
//   Gauge            { repeated NumberDataPoint data_points = 1; }
//   Sum              { repeated NumberDataPoint data_points = 1; AggregationTemporality aggregation_temporality = 2;
//                      bool is_monotonic = 3; }
//   NumberDataPoint  { fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; double as_double = 4;
//                      sfixed64 as_int = 6; repeated KeyValue attributes = 7; }
//   KeyValue         { string key = 1; AnyValue value = 2; }
//   AnyValue         { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }

import { Buffer } from 'node:buffer';
import { ProtoWriter } from './protobuf.js';

/** AggregationTemporality of a Sum: DELTA (the change since the previous push) or CUMULATIVE (since start). */
export const AggregationTemporality = { DELTA: 1, CUMULATIVE: 2 } as const;
export type AggregationTemporality = (typeof AggregationTemporality)[keyof typeof AggregationTemporality];

export type AttributeValue = string | number | bigint | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface NumberDataPoint {
  readonly attributes?: Attributes;
  /** Start of the interval (Sum) in nanoseconds since the epoch; 0n for a gauge. */
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
  /** A bigint is written as as_int, a number as as_double. */
  readonly value: number | bigint;
}

export type OtlpMetric =
  | { readonly name: string; readonly description?: string; readonly unit?: string; readonly kind: 'gauge'; readonly points: readonly NumberDataPoint[] }
  | {
    readonly name: string; readonly description?: string; readonly unit?: string; readonly kind: 'sum';
    readonly temporality: AggregationTemporality; readonly monotonic: boolean; readonly points: readonly NumberDataPoint[];
  };

export interface OtlpMetricsData {
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version: string };
  readonly metrics: readonly OtlpMetric[];
}

function anyValue(v: AttributeValue): ProtoWriter {
  const w = new ProtoWriter();
  // The members of AnyValue's oneof are written even when they hold their default: an empty AnyValue means "unset".
  if (typeof v === 'string') w.bytes(1, Buffer.from(v, 'utf8'));
  else if (typeof v === 'boolean') w.uint(2, v, true);
  else if (typeof v === 'bigint') w.int64(3, v, true);
  else if (Number.isSafeInteger(v)) w.int64(3, BigInt(v), true);
  else w.double(4, v);
  return w;
}

function keyValues(parent: ProtoWriter, field: number, attributes: Attributes | undefined): void {
  if (attributes === undefined) return;
  for (const [key, value] of Object.entries(attributes)) {
    parent.message(field, new ProtoWriter().string(1, key).message(2, anyValue(value)));
  }
}

function dataPoint(p: NumberDataPoint): ProtoWriter {
  const w = new ProtoWriter().fixed64(2, p.startTimeUnixNano).fixed64(3, p.timeUnixNano);
  if (typeof p.value === 'bigint') w.sfixed64(6, p.value);
  else w.double(4, p.value);
  keyValues(w, 7, p.attributes);
  return w;
}

function metric(m: OtlpMetric): ProtoWriter {
  const w = new ProtoWriter().string(1, m.name).string(2, m.description ?? '').string(3, m.unit ?? '');
  const data = new ProtoWriter();
  for (const p of m.points) data.message(1, dataPoint(p));
  if (m.kind === 'gauge') return w.message(5, data);
  data.uint(2, m.temporality).uint(3, m.monotonic);
  return w.message(7, data);
}

/** The protobuf bytes of an OTLP MetricsData message. */
export function encodeMetricsData(data: OtlpMetricsData): Buffer {
  const resource = new ProtoWriter();
  keyValues(resource, 1, data.resource);
  const scope = new ProtoWriter().string(1, data.scope.name).string(2, data.scope.version);
  const scopeMetrics = new ProtoWriter().message(1, scope);
  for (const m of data.metrics) scopeMetrics.message(2, metric(m));
  const resourceMetrics = new ProtoWriter().message(1, resource).message(2, scopeMetrics);
  return new ProtoWriter().message(1, resourceMetrics).finish();
}
