// The Prometheus text exposition (format 0.0.4) of a consumer's metrics snapshot. OpenTelemetry names become
// Prometheus names as the OpenTelemetry-to-Prometheus mapping does: dots become underscores, counters end in
// `_total`, units are suffixed (`_seconds`, `_bytes`). Every sample carries the snapshot's common attributes as
// labels (messaging_system, messaging_consumer_group_name, messaging_client_id); per-partition samples add topic
// and partition (messaging_destination_name and messaging_destination_partition_id are their OpenTelemetry names,
// shortened here as the dashboards use them).

import { DURATION_BUCKETS, type ConsumerMetrics, type DurationHistogram } from './metrics.js';

/** The Content-Type of prometheusText()'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A sample's labels. */
export type Labels = Record<string, string>;

/**
 * Prints a consumer's metrics (consumer.metrics()) in Prometheus' text exposition format, for a /metrics endpoint:
 * `messaging_client_consumed_messages_total`, `messaging_client_operation_duration_seconds{messaging_operation_name}`
 * (fetch, commit), `gregor_consumer_lag_records{topic,partition,group}`, and the others listed in README,
 * "Observability".
 */
export function prometheusText(metrics: ConsumerMetrics): string {
  const out: string[] = [];
  const group = metrics.attributes['messaging.consumer.group.name'];
  const common: Labels = {
    messaging_system: 'kafka',
    messaging_client_id: metrics.attributes['messaging.client.id'],
    ...(group === null ? {} : { messaging_consumer_group_name: group }),
  };
  const partitionLabels = (p: { topic: string; partition: number }): Labels => ({
    ...common, ...(group === null ? {} : { group }), topic: p.topic, partition: String(p.partition),
  });

  family(out, 'messaging_client_consumed_messages_total', 'counter', 'Records handed to the application.',
    metrics.partitions.length === 0
      ? [[common, metrics.consumedMessages]]
      : metrics.partitions.map((p) => [partitionLabels(p), p.consumedMessages]));
  family(out, 'gregor_consumer_consumed_bytes_total', 'counter', 'Raw fetched bytes of the fetch chunks the application consumed entirely.',
    metrics.partitions.length === 0
      ? [[common, metrics.consumedBytes]]
      : metrics.partitions.map((p) => [partitionLabels(p), p.consumedBytes]));
  const owned = metrics.partitions.filter((p) => p.assigned);
  family(out, 'gregor_consumer_lag_records', 'gauge', 'Records between the position and the end of the partition (high watermark, or last stable offset under read_committed), from the last fetch.',
    owned.filter((p) => p.lag !== null).map((p) => [partitionLabels(p), Number(p.lag)]));
  family(out, 'gregor_consumer_position', 'gauge', 'The offset of the next record handed to the application.',
    owned.filter((p) => p.position !== null).map((p) => [partitionLabels(p), Number(p.position)]));
  family(out, 'gregor_consumer_partition_buffered_bytes', 'gauge', 'Fetched bytes of the partition waiting for the application.',
    owned.map((p) => [partitionLabels(p), p.bufferedBytes]));

  histogram(out, 'messaging_client_operation_duration_seconds', 'Duration of messaging operations (fetch, commit).', [
    [{ ...common, messaging_operation_name: 'fetch', messaging_operation_type: 'receive' }, metrics.fetch.duration],
    [{ ...common, messaging_operation_name: 'commit', messaging_operation_type: 'settle' }, metrics.commit.duration],
  ]);
  histogram(out, 'messaging_process_duration_seconds', "Duration of run()'s handler calls (eachMessage per record, eachBatch per batch).", [
    [{ ...common, messaging_operation_name: 'process', messaging_operation_type: 'process' }, metrics.process.duration],
  ]);
  family(out, 'gregor_consumer_fetch_requests_total', 'counter', 'Fetch requests answered.', [[common, metrics.fetch.requests]]);
  family(out, 'gregor_consumer_fetch_errors_total', 'counter', 'Fetch requests that failed.', [[common, metrics.fetch.errors]]);
  family(out, 'gregor_consumer_fetch_bytes_total', 'counter', 'Raw record bytes the Fetch responses brought.', [[common, metrics.fetch.bytes]]);
  family(out, 'gregor_consumer_buffered_bytes', 'gauge', 'Fetched bytes waiting for the application.', [[common, metrics.bufferedBytes]]);
  family(out, 'gregor_consumer_commits_total', 'counter', 'Offset commits completed.', [[common, metrics.commit.commits]]);
  family(out, 'gregor_consumer_commit_failures_total', 'counter', 'Offset commits that failed.', [[common, metrics.commit.failures]]);
  family(out, 'gregor_consumer_rebalances_total', 'counter', 'Rebalances completed (assignments received).', [[common, metrics.rebalance.rebalances]]);
  family(out, 'gregor_consumer_revocations_total', 'counter', 'Partition revocations.', [[common, metrics.rebalance.revocations]]);
  family(out, 'gregor_consumer_losses_total', 'counter', 'Partition losses (session expired, fenced).', [[common, metrics.rebalance.losses]]);
  histogram(out, 'gregor_consumer_rebalance_duration_seconds', 'From the start of a rebalance to its assignment.', [[common, metrics.rebalance.duration]]);
  family(out, 'gregor_consumer_rebalance_in_progress', 'gauge', '1 while a rebalance is in progress.', [[common, metrics.rebalance.inProgress ? 1 : 0]]);
  family(out, 'gregor_consumer_connections', 'gauge', 'Open connections to brokers.', [[common, metrics.connections.open]]);
  family(out, 'gregor_consumer_connection_attempts_total', 'counter', 'Connection attempts.', [[common, metrics.connections.attempts]]);
  family(out, 'gregor_consumer_connection_errors_total', 'counter', 'Connection attempts that failed.', [[common, metrics.connections.errors]]);
  if (metrics.heartbeatAgeSeconds !== null) {
    family(out, 'gregor_consumer_heartbeat_age_seconds', 'gauge', 'Seconds since the last successful group heartbeat.', [[common, metrics.heartbeatAgeSeconds]]);
  }
  return out.join('\n') + '\n';
}

/** One metric family (HELP, TYPE, samples) appended to `out`; shared with the share consumer's page. */
export function family(out: string[], name: string, type: 'counter' | 'gauge', help: string, samples: readonly (readonly [Labels, number])[]): void {
  // Prometheus names a counter family without its _total suffix in # TYPE (the samples carry it).
  const base = type === 'counter' ? name.replace(/_total$/, '') : name;
  out.push(`# HELP ${base} ${help}`, `# TYPE ${base} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${number(value)}`);
}

function histogram(out: string[], name: string, help: string, series: readonly (readonly [Labels, DurationHistogram])[]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (const [labels, h] of series) {
    let cumulative = 0;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      cumulative += h.counts[i];
      out.push(`${name}_bucket${labelText({ ...labels, le: String(DURATION_BUCKETS[i]) })} ${cumulative}`);
    }
    out.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${h.count}`);
    out.push(`${name}_sum${labelText(labels)} ${number(h.sum)}`, `${name}_count${labelText(labels)} ${h.count}`);
  }
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
