// The layers below src/config read the resolved configuration and validate nothing of their own: whatever the
// property table accepts, the consumer's settings and the network options accept too (one table, one validator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROPERTIES, resolveConfig, type AnyResolvedConfig, type ClientKind, type PropertyDef,
} from '../../../src/config/index.js';
import { consumerSettings } from '../../../src/consumer/settings.js';
import { networkOptionsFrom } from '../../../src/cluster/network-options.js';
import { Admin, GregorError } from '../../../src/index.js';
import { noopLogger, resolveNetworkOptions } from '../../../src/network/options.js';

const BASE = { 'bootstrap.servers': '127.0.0.1:9092' };
const quiet = { onWarning: () => {} };

function consumer(input: Record<string, unknown>) {
  return resolveConfig('consumer', { ...BASE, 'group.id': 'g', ...input }, quiet);
}

/** Every layer below config that reads this configuration, run over it. */
function readBelow(config: AnyResolvedConfig): void {
  if (config.kind === 'consumer') consumerSettings(config);
  resolveNetworkOptions(networkOptionsFrom(config, noopLogger));
}

test('every int property at its lower and upper bound is accepted by the layers that read it', () => {
  const kinds: ClientKind[] = ['consumer', 'producer', 'admin'];
  let checked = 0;
  for (const [name, def] of Object.entries(PROPERTIES as Record<string, PropertyDef>)) {
    if (def.type !== 'int') continue;
    for (const kind of kinds) {
      if (!def.clients.includes(kind)) continue;
      for (const value of [def.min, def.max]) {
        if (value === undefined) continue;
        // Properties bounded by others (heartbeat < session, delivery >= linger + request) are set consistently.
        const input: Record<string, unknown> = { ...BASE, [name]: value };
        if (kind === 'consumer') input['group.id'] = 'g';
        if (name === 'heartbeat.interval.ms' && value === 2147483647) continue; // no session timeout is above it
        if (name === 'heartbeat.interval.ms') input['session.timeout.ms'] = 2147483647;
        if (name === 'session.timeout.ms') input['heartbeat.interval.ms'] = Math.max(1, Math.min(3000, value - 1));
        if (name === 'session.timeout.ms' && value === 1) continue; // no heartbeat interval is below 1 ms
        if (kind === 'producer' && (name === 'linger.ms' || name === 'request.timeout.ms')) input['delivery.timeout.ms'] = 2147483647;
        if (kind === 'producer' && name === 'request.timeout.ms') input['linger.ms'] = 0;
        if (kind === 'producer' && name === 'linger.ms' && value > 2147483647) continue; // delivery.timeout.ms is an int
        if (name === 'delivery.timeout.ms' && value < 30005) continue; // below linger + request timeout: refused, tested elsewhere
        if (name === 'max.in.flight.requests.per.connection' && value > 5) input['enable.idempotence'] = false;
        const config = resolveConfig(kind, input, quiet);
        assert.doesNotThrow(() => readBelow(config), `${kind} ${name}=${value}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 60, `checked ${checked}`);
});

test('the consumer settings are the resolved values, with the Java consumer\'s lower bounds', () => {
  // Java's ConsumerConfig (4.3.1) accepts 0 for each of these; the settings used to refuse it.
  const c = consumer({
    'auto.commit.interval.ms': 0, 'fetch.max.bytes': 0, 'max.partition.fetch.bytes': 0, 'default.api.timeout.ms': 0,
  });
  const s = consumerSettings(c);
  assert.equal(s.autoCommitIntervalMs, 0);
  assert.equal(s.fetchMaxBytes, 0);
  assert.equal(s.maxPartitionFetchBytes, 0);
  assert.equal(s.defaultApiTimeoutMs, 0);
  // The buffer bound follows fetch.max.bytes, but never below 1 byte (a zero budget would never fetch).
  assert.equal(s.fetchBufferBytes, 1);
  assert.equal(c['gregor.fetch.buffer.bytes'], 1);
  assert.equal(c.isExplicit('gregor.fetch.buffer.bytes'), false);
});

test('gregor.fetch.buffer.bytes defaults to fetch.max.bytes, given or default, and may be set on its own', () => {
  assert.equal(consumerSettings(consumer({})).fetchBufferBytes, 52428800);
  assert.equal(consumerSettings(consumer({ 'fetch.max.bytes': 1000 })).fetchBufferBytes, 1000);
  assert.equal(consumerSettings(consumer({ 'fetch.max.bytes': 1000, 'gregor.fetch.buffer.bytes': 5 })).fetchBufferBytes, 5);
  assert.throws(() => consumer({ 'gregor.fetch.buffer.bytes': 0 }), /gregor\.fetch\.buffer\.bytes/);
});

test('consumer settings map every field from the resolved configuration', () => {
  const c = consumer({
    'group.instance.id': 'i', 'client.id': 'me', 'auto.offset.reset': 'smallest', 'isolation.level': 'read_committed',
    'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.RoundRobinAssignor, range',
    'client.rack': 'r1', 'check.crcs': false, 'max.poll.records': 7, 'retry.backoff.ms': 5, 'retry.backoff.max.ms': 50,
    'exclude.internal.topics': false, 'enable.auto.commit': false, 'gregor.error.policy': 'skip',
    'enable.metrics.push': false,
  });
  assert.deepEqual(consumerSettings(c), {
    clientId: 'me', groupId: 'g', groupInstanceId: 'i', groupProtocol: 'classic', groupRemoteAssignor: null,
    autoOffsetReset: 'earliest', enableAutoCommit: false, autoCommitIntervalMs: 5000, sessionTimeoutMs: 45000,
    heartbeatIntervalMs: 3000, maxPollIntervalMs: 300000, fetchMinBytes: 1, fetchMaxBytes: 52428800, fetchMaxWaitMs: 500,
    maxPartitionFetchBytes: 1048576, isolationLevel: 'read_committed', clientRack: 'r1', checkCrcs: false,
    enableMetricsPush: false, maxPollRecords: 7,
    assignmentStrategies: ['roundrobin', 'range'], requestTimeoutMs: 30000, defaultApiTimeoutMs: 60000, retryBackoffMs: 5,
    retryBackoffMaxMs: 50, fetchBufferBytes: 52428800, metadataMaxAgeMs: 300000, excludeInternalTopics: false,
    errorPolicy: 'skip',
  });
  const kip848 = consumerSettings(consumer({ 'group.protocol': 'consumer', 'group.remote.assignor': 'uniform' }));
  assert.equal(kip848.groupProtocol, 'consumer');
  assert.equal(kip848.groupRemoteAssignor, 'uniform');
  assert.equal(kip848.enableMetricsPush, true, 'enable.metrics.push defaults to true, as in Java');
  const anonymous = consumerSettings(resolveConfig('consumer', BASE, quiet));
  assert.equal(anonymous.groupId, null);
  assert.equal(anonymous.enableAutoCommit, false);
  assert.match(anonymous.clientId, /^consumer-\d+$/);
});

test('request.timeout.ms and socket.connection.setup.timeout.ms refuse 0 (every request or connect would fail)', () => {
  for (const name of ['request.timeout.ms', 'socket.connection.setup.timeout.ms']) {
    assert.throws(() => consumer({ [name]: 0 }), (err: Error) => err.message.includes(name));
    assert.equal(consumer({ [name]: 1 })[name as 'request.timeout.ms'], 1);
  }
});

test('connections.max.idle.ms: negative is never, 0 is as soon as idle (Java\'s Selector)', () => {
  const never = resolveNetworkOptions(networkOptionsFrom(consumer({ 'connections.max.idle.ms': -1 }), noopLogger));
  assert.equal(never.connectionsMaxIdleMs, Number.MAX_SAFE_INTEGER);
  const asap = resolveNetworkOptions(networkOptionsFrom(consumer({ 'connections.max.idle.ms': 0 }), noopLogger));
  assert.equal(asap.connectionsMaxIdleMs, 1);
  const admin = resolveNetworkOptions(networkOptionsFrom(resolveConfig('admin', BASE, quiet), noopLogger));
  assert.equal(admin.connectionsMaxIdleMs, 300000);
});

test('default.api.timeout.ms bounds bootstrapping (consumer, admin); the producer keeps the 30 s default', async () => {
  assert.equal(networkOptionsFrom(consumer({ 'default.api.timeout.ms': 1500 }), noopLogger).bootstrapTimeoutMs, 1500);
  assert.equal(networkOptionsFrom(resolveConfig('admin', BASE, quiet), noopLogger).bootstrapTimeoutMs, 60000);
  assert.equal(resolveNetworkOptions(networkOptionsFrom(resolveConfig('producer', BASE, quiet), noopLogger)).bootstrapTimeoutMs, 30000);
  // Where nothing listens: the call fails after default.api.timeout.ms, not after 30 s.
  const admin = new Admin({ 'bootstrap.servers': '127.0.0.1:1', 'default.api.timeout.ms': 1500, 'gregor.log.level': 'error' });
  try {
    await assert.rejects(admin.listTopics(), (e: unknown) => e instanceof GregorError && /within 1500 ms/.test(e.message));
  } finally {
    await admin.close();
  }
});

test('max.in.flight.requests.per.connection reaches the network options of a producer only', () => {
  const producer = resolveConfig('producer', { ...BASE, 'max.in.flight.requests.per.connection': 3 }, quiet);
  assert.equal(networkOptionsFrom(producer, noopLogger).maxInFlightRequestsPerConnection, 3);
  assert.equal(networkOptionsFrom(consumer({}), noopLogger).maxInFlightRequestsPerConnection, undefined);
});

test('resolved values are typed by the table for any client kind (no casts needed)', () => {
  const any: AnyResolvedConfig = consumer({ 'retry.backoff.ms': 7 });
  const backoff: number = any['retry.backoff.ms'];
  const level: 'error' | 'warn' | 'info' | 'debug' = any['gregor.log.level'];
  // @ts-expect-error a producer-only property is not readable without narrowing to a producer configuration
  void any['batch.size'];
  assert.equal(backoff, 7);
  assert.equal(level, 'warn');
});
