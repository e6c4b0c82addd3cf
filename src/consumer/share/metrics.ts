// The Prometheus text exposition (format 0.0.4) of a share consumer's metrics snapshot (ShareConsumer.metrics()),
// named as the consumer's page names its metrics (prometheus.ts): OpenTelemetry messaging names where the
// conventions have one (`messaging_client_consumed_messages_total` is the records handed to the application), the
// rest under `gregor_share_consumer_`. Every sample carries messaging_system, messaging_consumer_group_name (the
// share group) and messaging_client_id.
//
// Acknowledgements are counted once the broker applied them, by type (accept, release, reject, and gap for offsets
// acquired without a record); a lock renewal (KIP-1222's renew) is an acknowledgement to the broker but a family of
// its own here, so that summing the acknowledgements counts records settled, not renewals.

import { family, type Labels } from '../prometheus.js';
import type { ShareConsumerMetrics } from './api.js';

/**
 * Prints a share consumer's metrics (shareConsumer.metrics()) in Prometheus' text exposition format, for a
 * /metrics endpoint (`gregor consume --share --metrics-port` serves it). The families are listed in README,
 * "Observability".
 */
export function sharePrometheusText(metrics: ShareConsumerMetrics): string {
  const out: string[] = [];
  const common: Labels = {
    messaging_system: 'kafka',
    messaging_client_id: metrics.attributes['messaging.client.id'],
    messaging_consumer_group_name: metrics.attributes['messaging.consumer.group.name'],
  };
  const a = metrics.acknowledgements;
  family(out, 'messaging_client_consumed_messages_total', 'counter', 'Records handed to the application.', [[common, metrics.delivered]]);
  family(out, 'gregor_share_consumer_acquisitions_total', 'counter', 'Records acquired: offsets the broker locked to this member (ShareFetch), gaps included.', [[common, metrics.acquisitions]]);
  family(out, 'gregor_share_consumer_acknowledgements_total', 'counter', 'Acknowledgements the broker applied, by type (accept, release, reject, gap).',
    (['accept', 'release', 'reject', 'gap'] as const).map((type) => [{ ...common, type }, a[type]]));
  family(out, 'gregor_share_consumer_lock_renewals_total', 'counter', 'Acquisition lock renewals the broker applied (KIP-1222 renew).', [[common, a.renew]]);
  family(out, 'gregor_share_consumer_acknowledgement_failures_total', 'counter', 'Acknowledgements the broker refused (e.g. the lock had expired).', [[common, metrics.acknowledgementFailures]]);
  family(out, 'gregor_share_consumer_error_policy_records_total', 'counter', 'Records gregor.error.policy settled (undeserializable, or the handler failed after its retries), by outcome (rejected, dead-lettered).', [
    [{ ...common, outcome: 'rejected' }, metrics.errorPolicy.rejected],
    [{ ...common, outcome: 'dead-lettered' }, metrics.errorPolicy.deadLettered],
  ]);
  family(out, 'gregor_share_consumer_lock_expiries_total', 'counter', 'Records whose acquisition lock ran out while this consumer held them.', [[common, metrics.lockExpiries]]);
  family(out, 'gregor_share_consumer_reacquired_total', 'counter', 'Records acquired again while this consumer held them (an earlier lock lost to a leader change or a session reset).', [[common, metrics.reacquired]]);
  family(out, 'gregor_share_consumer_held_records', 'gauge', 'Records acquired and not yet acknowledged (buffered or with the application).', [[common, metrics.held]]);
  family(out, 'gregor_share_consumer_application_records', 'gauge', 'Held records handed to the application and not yet acknowledged.', [[common, metrics.withApplication]]);
  family(out, 'gregor_share_consumer_assigned_partitions', 'gauge', 'Partitions assigned to this member.', [[common, metrics.assignedPartitions]]);
  family(out, 'gregor_share_consumer_member_epoch', 'gauge', 'The share group member epoch (0 before joining).', [[common, metrics.memberEpoch]]);
  family(out, 'gregor_share_consumer_requests_total', 'counter', 'ShareFetch and ShareAcknowledge requests sent.', [
    [{ ...common, api: 'ShareFetch' }, metrics.requests.shareFetch],
    [{ ...common, api: 'ShareAcknowledge' }, metrics.requests.shareAcknowledge],
  ]);
  return out.join('\n') + '\n';
}
