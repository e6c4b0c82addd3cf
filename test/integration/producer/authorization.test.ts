// The producer and the admin client against the secured node (scripts/kafka.mjs start --secure) as a principal
// without ACLs: each refusal is the typed error naming its resource, at once (well under a second) and without
// retries (the Produce requests are counted in the broker's request log); granted WRITE, the same principal writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Admin, ClusterAuthorizationError, GroupAuthorizationError, Producer, TopicAuthorizationError, TransactionalIdAuthorizationError,
} from '../../../src/index.js';
import { uniqueName } from '../helpers/kafka.js';
import { acl, asReader, createSecureTopics, ensureSecureKafka, requestLogMark, requestsSince, viaMtls } from '../helpers/secure-kafka.js';

const READER = 'gregor-reader';

/** The rejection of `p` and how long it took. */
async function refusal(p: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    await p();
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
  assert.fail('the call succeeded without an ACL');
}

test('producer: no ACL, DESCRIBE only, idempotence without WRITE, a transactional id: typed errors naming the resource, no retries; granted WRITE, it writes', { timeout: 120_000 }, async () => {
  ensureSecureKafka();
  const hidden = uniqueName('authz-p-hidden');
  const described = uniqueName('authz-p-described');
  await createSecureTopics([hidden, described], 1);
  await acl({ principal: READER, operations: ['Describe'], topics: [described] });
  const base = { ...asReader(), 'gregor.log.level': 'error', 'linger.ms': 0 } as const;

  const clientId = uniqueName('authz-producer');
  const mark = requestLogMark();
  const plain = new Producer({ ...base, 'client.id': clientId, 'enable.idempotence': false });
  try {
    const noAcl = await refusal(() => plain.send({ topic: hidden, value: 'x' }));
    assert.ok(noAcl.error instanceof TopicAuthorizationError, String(noAcl.error));
    assert.deepEqual(noAcl.error.topics, [hidden]);
    assert.ok(noAcl.ms < 1000, `${noAcl.ms.toFixed(0)} ms`);
    const describeOnly = await refusal(() => plain.send({ topic: described, value: 'x' }));
    assert.ok(describeOnly.error instanceof TopicAuthorizationError, String(describeOnly.error));
    assert.deepEqual(describeOnly.error.topics, [described]);
    assert.ok(describeOnly.ms < 1000, `${describeOnly.ms.toFixed(0)} ms`);
  } finally {
    await plain.close();
  }
  const produced = (await requestsSince(mark, clientId)).filter((r) => r.apiKey === 'PRODUCE');
  assert.equal(produced.length, 1, 'the refused Produce is not retried');

  // Since Kafka 2.8 InitProducerId needs IDEMPOTENT_WRITE on the cluster or WRITE on any topic (KIP-679), and the
  // reader is granted WRITE below (and by earlier runs): the certificate's principal, which no test grants WRITE,
  // asks instead.
  const env = ensureSecureKafka();
  await acl({ principal: env.mtls.principal, operations: ['Describe'], topics: [described] });
  const idempotent = new Producer({ ...viaMtls(env), 'gregor.log.level': 'error', 'linger.ms': 0, 'enable.idempotence': true });
  try {
    const { error, ms } = await refusal(() => idempotent.send({ topic: described, value: 'x' }));
    assert.ok(error instanceof ClusterAuthorizationError, String(error));
    assert.equal(error.code, 'ERR_CLUSTER_AUTHORIZATION');
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  } finally {
    await idempotent.close();
  }

  const transactionalId = uniqueName('authz-txn');
  const transactional = new Producer({ ...base, 'transactional.id': transactionalId });
  try {
    const { error, ms } = await refusal(() => transactional.initTransactions());
    assert.ok(error instanceof TransactionalIdAuthorizationError, String(error));
    assert.equal(error.transactionalId, transactionalId);
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  } finally {
    await transactional.close();
  }

  await acl({ principal: READER, operations: ['Write'], topics: [described] });
  const granted = new Producer({ ...base, 'enable.idempotence': false });
  try {
    const meta = await granted.send({ topic: described, value: 'now allowed' });
    assert.equal(meta.offset, 0n);
  } finally {
    await granted.close();
  }
});

test('admin: createTopics, describeConfigs (broker and topic), listGroupOffsets without ACLs: typed errors naming the resource, at once', { timeout: 60_000 }, async () => {
  ensureSecureKafka();
  const topic = uniqueName('authz-admin');
  const group = uniqueName('g-authz-admin');
  await createSecureTopics([topic], 1);
  const admin = new Admin({ ...asReader(), 'gregor.log.level': 'error' });
  try {
    const create = await refusal(() => admin.createTopics([{ topic: `${topic}-new` }]));
    assert.ok(create.error instanceof TopicAuthorizationError, String(create.error));
    assert.deepEqual(create.error.topics, [`${topic}-new`]);
    const broker = await refusal(() => admin.describeConfigs([{ type: 'broker', name: '1' }]));
    assert.ok(broker.error instanceof ClusterAuthorizationError, String(broker.error));
    const topicConfigs = await refusal(() => admin.describeConfigs([{ type: 'topic', name: topic }]));
    assert.ok(topicConfigs.error instanceof TopicAuthorizationError, String(topicConfigs.error));
    assert.deepEqual(topicConfigs.error.topics, [topic]);
    const offsets = await refusal(() => admin.listGroupOffsets(group));
    assert.ok(offsets.error instanceof GroupAuthorizationError, String(offsets.error));
    assert.equal(offsets.error.groupId, group);
    for (const r of [create, broker, topicConfigs, offsets]) assert.ok(r.ms < 1000, `${r.ms.toFixed(0)} ms: ${String(r.error)}`);
  } finally {
    await admin.close();
  }
});
