// Shared setup of the share-group tests (KIP-932): topics and records through gregor's own Admin and Producer, share
// groups whose group configs make them read from the earliest offset with the shortest lock the broker allows
// (group.share.min.record.lock.duration.ms, 15 s by default) and renewals enabled (share.renew.acknowledge.enable,
// off by default since Kafka 4.3), and ShareConsumers on the project's real broker.
import { ShareConsumer } from '../../../src/index.js';
import { setGroupConfig, uniqueName } from '../helpers/kafka.js';
import { bootstrap } from '../runner/support.js';

export { bootstrap, makeTopic, produceRecords, sleep, uniqueName, until } from '../runner/support.js';

/** The lock duration the share groups of these tests use (the broker's minimum). */
export const LOCK_MS = 15_000;

/**
 * A share group id with its group configs set: earliest start, LOCK_MS locks, renewals on, and optionally
 * `deliveryLimit` deliveries at most (the broker's minimum is 2) and a session timeout and heartbeat interval (the
 * broker allows down to 1 s and 100 ms here).
 */
export async function shareGroup(prefix: string, opts: { deliveryLimit?: number; sessionTimeoutMs?: number; heartbeatIntervalMs?: number } = {}): Promise<string> {
  const group = uniqueName(prefix);
  await setGroupConfig(group, {
    'share.auto.offset.reset': 'earliest',
    'share.record.lock.duration.ms': String(LOCK_MS),
    'share.renew.acknowledge.enable': 'true',
    ...(opts.deliveryLimit === undefined ? {} : { 'share.delivery.count.limit': String(opts.deliveryLimit) }),
    ...(opts.sessionTimeoutMs === undefined ? {} : { 'share.session.timeout.ms': String(opts.sessionTimeoutMs) }),
    ...(opts.heartbeatIntervalMs === undefined ? {} : { 'share.heartbeat.interval.ms': String(opts.heartbeatIntervalMs) }),
  });
  return group;
}

export async function shareConsumer(group: string, props: Record<string, unknown> = {}): Promise<ShareConsumer> {
  return new ShareConsumer({ 'bootstrap.servers': await bootstrap(), 'group.id': group, 'gregor.log.level': 'warn', ...props });
}
