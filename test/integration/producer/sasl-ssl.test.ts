// The producer and the admin client over SASL_SSL (SCRAM-SHA-512 over TLS with the harness's CA), configured with
// Kafka's property names: create a topic, write idempotently and transactionally, list offsets, delete the topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { AuthenticationError } from '../../../src/errors.js';
import { Producer } from '../../../src/producer/index.js';
import { ensureKafka, rawFetch, uniqueName } from './helpers.js';

test('producer and admin over SASL_SSL (SCRAM-SHA-512): create, send, transaction, listOffsets, delete', async () => {
  const env = await ensureKafka();
  const user = env.users['SCRAM-SHA-512'];
  const security = {
    'bootstrap.servers': env.saslSslBootstrap,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.username': user.username,
    'sasl.password': user.password,
    'ssl.ca.location': env.caFile,
  } as const;
  const topic = uniqueName('producer-sasl');
  const admin = new Admin(security);
  const producer = new Producer({ ...security, 'compression.type': 'gzip', 'transactional.id': uniqueName('txid-sasl') });
  try {
    const [created] = await admin.createTopics([{ topic, numPartitions: 2 }]);
    assert.equal(created.numPartitions, 2);
    await producer.initTransactions();
    producer.beginTransaction();
    const sent = await producer.sendBatch([{ topic, key: 'a', value: 'one' }, { topic, key: 'b', value: 'two' }, { topic, partition: 1, value: 'three' }]);
    await producer.commitTransaction();
    // Each partition ends with a COMMIT marker after its records. EndTxn answers once the coordinator has logged
    // PrepareCommit; the markers (and so the last stable offset) follow asynchronously, so wait for them, bounded.
    const expected = (partition: number) => {
      const records = sent.filter((s) => s.partition === partition).length;
      return records === 0 ? 0n : BigInt(records) + 1n;
    };
    const list = () => admin.listOffsets([0, 1].map((partition) => ({ topic, partition, spec: 'latest' as const })), { isolationLevel: 'read_committed' });
    let latest = await list();
    for (const deadline = Date.now() + 15_000; latest.some((l) => l.offset !== expected(l.partition)) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      latest = await list();
    }
    for (const l of latest) {
      assert.equal(l.offset, expected(l.partition), `partition ${l.partition}: its records + the commit marker`);
    }
  } finally {
    await producer.close();
  }
  // The same data, read over PLAINTEXT through the network layer.
  const values = (await Promise.all([0, 1].map((p) => rawFetch(topic, p, 1))))
    .flatMap((r) => r.batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((x) => x.value!.toString()))).sort();
  assert.deepEqual(values, ['one', 'three', 'two']);
  await admin.deleteTopics([topic]);
  assert.ok(!(await admin.listTopics()).some((t) => t.name === topic));
  await admin.close();

  // A wrong password: a typed authentication error (not retried: the network layer makes it sticky), without the secret.
  const logged: string[] = [];
  const wrong = new Producer({ ...security, 'sasl.password': 'not-the-password', 'gregor.logger': (_level, message) => logged.push(message) });
  try {
    await assert.rejects(wrong.send({ topic, value: 'x' }), (e: unknown) => e instanceof AuthenticationError && !e.message.includes('not-the-password'));
  } finally {
    await wrong.close();
  }
});
