// What a consumer pushes under KIP-714 (enable.metrics.push): its metrics() snapshot under the names the Java
// consumer pushes, so a broker-side subscription written for Java clients (`org.apache.kafka.consumer.` or a narrower
// prefix) selects the same metrics from gregor, and dashboards built on Java's telemetry read gregor's.
//
// Java's naming (KIP-714, "Metrics naming"; TelemetryMetricNamingConvention): `org.apache.kafka.consumer.` + the
// metric group without its `consumer-` prefix and `-metrics` suffix + the metric name, dashes as dots; tags become
// attributes with dashes as underscores. So `consumer-fetch-manager-metrics` / `records-consumed-total` is
// `org.apache.kafka.consumer.fetch.manager.records.consumed.total`. Java's `-total` metrics are pushed as monotonic
// sums (delta or cumulative, as the subscription says), the rest as gauges.
//
// Only metrics gregor counts exactly are pushed. Java's `-avg` latencies are averages over its sample window; here
// they are the average over the push interval (the observations since the previous push), left out when there were
// none (KIP-714 allows sparse metrics). Java's `-max` and `-rate` metrics have no exact counterpart and are not sent.

import type { Attributes } from '../protocol/otlp-metrics.js';
import type { TelemetryMetric, TelemetrySource } from '../cluster/client-telemetry.js';
import type { ConsumerMetrics, DurationHistogram } from './metrics.js';

const FETCH = 'org.apache.kafka.consumer.fetch.manager.';
const COORDINATOR = 'org.apache.kafka.consumer.coordinator.';
const CONSUMER = 'org.apache.kafka.consumer.';

/** Who the consumer is, for KIP-714's standard client resource labels. */
export interface ConsumerIdentity {
  groupId: string | null;
  groupInstanceId: string | null;
  /** The member id while the consumer is a group member, else null. */
  memberId: string | null;
  /** client.rack ('' when unset). */
  clientRack: string;
}

/** The consumer's TelemetrySource: `snapshot` is consumer.metrics(), `identity` who the consumer is now. */
export function consumerTelemetrySource(snapshot: () => ConsumerMetrics, identity: () => ConsumerIdentity): TelemetrySource {
  // Histogram totals at the previous collection, for the interval averages.
  const previous = new Map<string, { count: number; sum: number }>();
  const intervalAverageMs = (key: string, h: DurationHistogram): number | undefined => {
    const before = previous.get(key) ?? { count: 0, sum: 0 };
    previous.set(key, { count: h.count, sum: h.sum });
    const n = h.count - before.count;
    return n > 0 ? ((h.sum - before.sum) / n) * 1000 : undefined;
  };

  return {
    metrics(): TelemetryMetric[] {
      const m = snapshot();
      const out: TelemetryMetric[] = [];
      const sum = (name: string, value: number, description: string): void => {
        out.push({ name, kind: 'sum', description, points: [{ value }] });
      };
      const gauge = (name: string, value: number | undefined, description: string, unit?: string): void => {
        if (value !== undefined) out.push({ name, kind: 'gauge', description, unit, points: [{ value }] });
      };

      sum(`${FETCH}records.consumed.total`, m.consumedMessages, 'The total number of records consumed');
      sum(`${FETCH}bytes.consumed.total`, m.consumedBytes, 'The total number of bytes consumed');
      sum(`${FETCH}fetch.total`, m.fetch.requests, 'The total number of fetch requests');
      gauge(`${FETCH}fetch.latency.avg`, intervalAverageMs('fetch', m.fetch.duration), 'The average time taken for a fetch request, over the push interval', 'ms');
      const lag = m.partitions.filter((p) => p.assigned && p.lag !== null);
      if (lag.length > 0) {
        out.push({
          name: `${FETCH}records.lag`, kind: 'gauge', description: 'The latest lag of the partition',
          points: lag.map((p) => ({ attributes: { topic: p.topic, partition: p.partition }, value: Number(p.lag) })),
        });
      }

      sum(`${COORDINATOR}commit.total`, m.commit.commits, 'The total number of commit calls');
      gauge(`${COORDINATOR}commit.latency.avg`, intervalAverageMs('commit', m.commit.duration), 'The average time taken for a commit request, over the push interval', 'ms');
      sum(`${COORDINATOR}rebalance.total`, m.rebalance.rebalances, 'The total number of rebalance events');
      sum(`${COORDINATOR}rebalance.latency.total`, Math.round(m.rebalance.duration.sum * 1000), 'The total time spent in rebalances, in ms');
      gauge(`${COORDINATOR}rebalance.latency.avg`, intervalAverageMs('rebalance', m.rebalance.duration), 'The average time taken for a group to complete a rebalance, over the push interval', 'ms');
      gauge(`${COORDINATOR}assigned.partitions`, m.partitions.filter((p) => p.assigned).length, 'The number of partitions currently assigned to this consumer');
      if (m.heartbeatAgeSeconds !== null) {
        gauge(`${COORDINATOR}last.heartbeat.seconds.ago`, Math.floor(m.heartbeatAgeSeconds), 'The number of seconds since the last coordinator heartbeat was sent', 's');
      }

      gauge(`${CONSUMER}connection.count`, m.connections.open, 'The current number of active connections');
      sum(`${CONSUMER}connection.creation.total`, m.connections.attempts - m.connections.errors, 'The total number of new connections established');
      return out;
    },

    resource(): Attributes {
      // KIP-714's standard client resource labels; the broker adds client_id, client_instance_id, the software name
      // and version, the source address and the principal itself.
      const id = identity();
      const labels: Record<string, string> = {};
      if (id.groupId !== null) labels.group_id = id.groupId;
      if (id.groupInstanceId !== null) labels.group_instance_id = id.groupInstanceId;
      if (id.memberId !== null && id.memberId !== '') labels.group_member_id = id.memberId;
      if (id.clientRack !== '') labels.client_rack = id.clientRack;
      return labels;
    },
  };
}
