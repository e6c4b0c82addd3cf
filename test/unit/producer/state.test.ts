// Calls made in the wrong state fail at once with StateError (or ConfigError/TypeError for bad input), before any
// connection is opened: the bootstrap address below is never contacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer } from '../../../src/producer/index.js';
import { Admin } from '../../../src/admin/index.js';
import { ConfigError, KafkaError, StateError } from '../../../src/errors.js';

// Nothing listens here; none of the calls below may try to connect.
const NOWHERE = '127.0.0.1:1';

test('send(), flush() and transactions after close() reject with StateError', async () => {
  const producer = new Producer({ 'bootstrap.servers': NOWHERE });
  await producer.close();
  assert.equal(producer.state, 'closed');
  await assert.rejects(producer.send({ topic: 't', value: 'v' }), (e: unknown) => e instanceof StateError && /send\(\) called after close\(\)/.test(e.message));
  await assert.rejects(producer.sendBatch([{ topic: 't', value: 'v' }]), StateError);
  await assert.rejects(producer.flush(), StateError);
  await assert.rejects(producer.initTransactions(), StateError);
  assert.throws(() => producer.beginTransaction(), StateError);
  await producer.close(); // a second close() is a no-op
});

test('a transactional producer refuses out-of-order calls with StateError', async () => {
  const producer = new Producer({ 'bootstrap.servers': NOWHERE, 'transactional.id': 'tx-state-test' });
  try {
    assert.equal(producer.transactionState, 'uninitialized');
    await assert.rejects(producer.commitTransaction(), (e: unknown) => e instanceof StateError && /no transaction is open/.test(e.message));
    await assert.rejects(producer.abortTransaction(), (e: unknown) => e instanceof StateError && /no transaction is open/.test(e.message));
    assert.throws(() => producer.beginTransaction(), (e: unknown) => e instanceof StateError && /initTransactions\(\) first/.test(e.message));
    await assert.rejects(producer.send({ topic: 't', value: 'v' }), (e: unknown) => e instanceof StateError && /initTransactions\(\) first/.test(e.message));
    await assert.rejects(producer.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 1n }], 'g'), StateError);
  } finally {
    await producer.close();
  }
});

test('transaction calls on a producer without transactional.id reject with StateError', async () => {
  const producer = new Producer({ 'bootstrap.servers': NOWHERE });
  try {
    assert.equal(producer.transactionState, undefined);
    await assert.rejects(producer.initTransactions(), (e: unknown) => e instanceof StateError && /needs transactional.id/.test(e.message));
    assert.throws(() => producer.beginTransaction(), StateError);
    await assert.rejects(producer.commitTransaction(), StateError);
  } finally {
    await producer.close();
  }
});

test('malformed records and arguments are refused before anything is queued', async () => {
  const producer = new Producer({ 'bootstrap.servers': NOWHERE, 'max.request.size': 1000 });
  try {
    await assert.rejects(producer.send({ topic: '', value: 'v' }), TypeError);
    await assert.rejects(producer.send({ topic: 't', value: 12 as unknown as string }), TypeError);
    await assert.rejects(producer.sendBatch('nope' as unknown as []), TypeError);
    assert.deepEqual(await producer.sendBatch([]), []);
    // Larger than max.request.size: the broker would refuse it; the client says so first (Java: RecordTooLargeException).
    await assert.rejects(producer.send({ topic: 't', value: 'x'.repeat(2000) }),
      (e: unknown) => e instanceof KafkaError && e.errorName === 'MESSAGE_TOO_LARGE' && /max.request.size \(1000\)/.test(e.message));
    await assert.rejects(producer.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 1 as unknown as bigint }], 'g'), TypeError);
    await assert.rejects(producer.close({ timeoutMs: -1 }), TypeError);
  } finally {
    await producer.close();
  }
});

test('configuration mistakes are ConfigErrors naming the property', () => {
  assert.throws(() => new Producer({ 'bootstrap.servers': NOWHERE, 'transactional.id': 'x', 'enable.idempotence': false }),
    (e: unknown) => e instanceof ConfigError && e.property === 'transactional.id');
  assert.throws(() => new Producer({ 'bootstrap.servers': NOWHERE, acks: '1', 'enable.idempotence': true }),
    (e: unknown) => e instanceof ConfigError && e.property === 'acks');
  assert.throws(() => new Producer({ 'bootstrap.servers': NOWHERE, 'compression.type': 'brotli' as 'gzip' }), ConfigError);
  assert.throws(() => new Producer({ 'bootstrap.servers': NOWHERE, 'lnger.ms': 5 } as Record<string, unknown>), (e: unknown) => e instanceof ConfigError && /linger\.ms/.test(e.message));
  // acks=1 without an explicit enable.idempotence: idempotence is turned off, as in the Java client.
  const p = new Producer({ 'bootstrap.servers': NOWHERE, acks: '1' });
  assert.equal(p.config['enable.idempotence'], false);
  return p.close();
});

test('admin calls after close() reject with StateError; bad arguments with TypeError', async () => {
  const admin = new Admin({ 'bootstrap.servers': NOWHERE });
  await assert.rejects(admin.createTopics([]), TypeError);
  await assert.rejects(admin.createTopics([{ topic: 't', numPartitions: 0 }]), (e: unknown) => e instanceof TypeError && /numPartitions/.test(e.message));
  await assert.rejects(admin.createTopics([{ topic: 't', configs: { 'retention.ms': 5 as unknown as string } }]), TypeError);
  await assert.rejects(admin.deleteTopics([''] ), TypeError);
  await assert.rejects(admin.listOffsets([{ topic: 't', partition: 0, spec: 'newest' as 'latest' }]), (e: unknown) => e instanceof TypeError && /spec must be/.test(e.message));
  await assert.rejects(admin.describeConfigs([{ type: 'broker-logger' as 'topic', name: '1' }]), TypeError);
  await admin.close();
  await assert.rejects(admin.listTopics(), StateError);
  await assert.rejects(admin.describeCluster(), StateError);
  await admin.close();
});
