// The share consumer's Prometheus page from a snapshot: family names and types, labels, renewals apart from the
// acknowledgements. The real-broker evidence (parsed by prometheus_client) is test/integration/cli/metrics-port.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharePrometheusText } from '../../../src/consumer/share/metrics.js';
import type { ShareConsumerMetrics } from '../../../src/consumer/share/api.js';

const snapshot: ShareConsumerMetrics = {
  attributes: { 'messaging.system': 'kafka', 'messaging.consumer.group.name': 'q"1', 'messaging.client.id': 'c' },
  acquisitions: 12, delivered: 10, acknowledgements: { accept: 7, release: 1, reject: 1, gap: 2, renew: 3 },
  acknowledgementFailures: 1, errorPolicy: { rejected: 4, deadLettered: 5 }, lockExpiries: 2, reacquired: 6, held: 3, withApplication: 1, memberEpoch: 4, assignedPartitions: 2,
  requests: { shareFetch: 5, shareAcknowledge: 6 },
};

test('sharePrometheusText: one family per count, acknowledgements by type, renewals apart, labels escaped', () => {
  const text = sharePrometheusText(snapshot);
  const common = 'messaging_system="kafka",messaging_client_id="c",messaging_consumer_group_name="q\\"1"';
  const lines = text.split('\n');
  for (const line of [
    '# TYPE messaging_client_consumed_messages counter',
    `messaging_client_consumed_messages_total{${common}} 10`,
    `gregor_share_consumer_acquisitions_total{${common}} 12`,
    `gregor_share_consumer_acknowledgements_total{${common},type="accept"} 7`,
    `gregor_share_consumer_acknowledgements_total{${common},type="gap"} 2`,
    `gregor_share_consumer_lock_renewals_total{${common}} 3`,
    `gregor_share_consumer_lock_expiries_total{${common}} 2`,
    `gregor_share_consumer_reacquired_total{${common}} 6`,
    `gregor_share_consumer_acknowledgement_failures_total{${common}} 1`,
    '# TYPE gregor_share_consumer_held_records gauge',
    `gregor_share_consumer_held_records{${common}} 3`,
    `gregor_share_consumer_requests_total{${common},api="ShareAcknowledge"} 6`,
    `gregor_share_consumer_error_policy_records_total{${common},outcome="dead-lettered"} 5`,
  ]) assert.ok(lines.includes(line), `missing: ${line}\n${text}`);
  assert.ok(!lines.some((l) => l.includes('type="renew"')));
  assert.ok(text.endsWith('\n'));
});
