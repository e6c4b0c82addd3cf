// The codec against the real broker: the transactional APIs (InitProducerId with a transactional id,
// AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn) and SASL framing (SaslHandshake, SaslAuthenticate
// over the SASL_SSL listener), each at EVERY version gregor supports.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode, errorName, supportedVersions } from '../../../src/protocol/index.js';
import { decodeRecordSet, encodeRecordBatch } from '../../../src/protocol/records/index.js';
import { RawBroker, uniqueName, until, versions, withBroker } from './raw-broker.js';
import { kafkaEnvSync } from '../helpers/kafka.js';

let broker: RawBroker;
const topic = uniqueName('proto-txn');
let topicId = '';

const ok = (code: number, what: string): void => assert.equal(code, 0, `${what}: ${errorName(code)}`);
const clamp = (apiKey: number, i: number): number => {
  const r = supportedVersions(apiKey);
  return Math.max(r.min, Math.min(r.max, i));
};

before(async () => {
  broker = await RawBroker.plaintext();
  const c = await broker.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 30_000 });
  ok(c.topics[0].errorCode, 'CreateTopics');
  topicId = c.topics[0].topicId;
  await until(() => broker.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false }),
    (r) => r.topics[0]?.errorCode === 0 && r.topics[0].partitions[0]?.leaderId >= 0, `leader of ${topic}`);
});
after(async () => {
  await broker.send(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId }], timeoutMs: 30_000 }).catch(() => undefined);
  broker?.close();
});

test('a transaction per version: InitProducerId, AddPartitionsToTxn, Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn', async () => {
  const rounds = Math.max(...[ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit, ApiKey.EndTxn]
    .map((k) => supportedVersions(k).max)) + 1;
  const expectCommitted: string[] = [];
  let offset = 0n;
  for (let i = 0; i < rounds; i++) {
    const [iv, av, ov, tv, ev] = [ApiKey.InitProducerId, ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.TxnOffsetCommit, ApiKey.EndTxn]
      .map((k) => clamp(k, i));
    const transactionalId = uniqueName(`proto-tx-${i}`);
    const group = uniqueName(`proto-txg-${i}`);
    const commit = i % 2 === 0;
    const label = `round ${i} (InitProducerId v${iv}, AddPartitionsToTxn v${av}, AddOffsetsToTxn v${ov}, TxnOffsetCommit v${tv}, EndTxn v${ev})`;

    const init = await until(() => broker.send(ApiKey.InitProducerId, iv, { transactionalId, transactionTimeoutMs: 60_000 }),
      (b) => b.errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE && b.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && b.errorCode !== ErrorCode.NOT_COORDINATOR,
      'transaction coordinator');
    ok(init.errorCode, `${label}: InitProducerId`);
    const { producerId, producerEpoch } = init;

    const added = await until(() => broker.send(ApiKey.AddPartitionsToTxn, av, av >= 4
      ? { transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: false, topics: [{ name: topic, partitions: [0] }] }] }
      : { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] }),
    (b) => (av >= 4 ? b.resultsByTransaction[0]?.topicResults[0] : b.resultsByTopicV3AndBelow[0])?.resultsByPartition[0]?.partitionErrorCode !== ErrorCode.CONCURRENT_TRANSACTIONS,
    'AddPartitionsToTxn');
    const partitionResult = av >= 4 ? added.resultsByTransaction[0].topicResults[0] : added.resultsByTopicV3AndBelow[0];
    if (av >= 4) {
      ok(added.errorCode, `${label}: AddPartitionsToTxn`);
      assert.equal(added.resultsByTransaction[0].transactionalId, transactionalId);
    }
    assert.equal(partitionResult.name, topic);
    ok(partitionResult.resultsByPartition[0].partitionErrorCode, `${label}: AddPartitionsToTxn partition`);

    const value = `txn-${i}-${commit ? 'commit' : 'abort'}`;
    const records = encodeRecordBatch({ records: [{ value }], producerId, producerEpoch, baseSequence: 0, isTransactional: true });
    // A partition just created may answer NOT_LEADER_OR_FOLLOWER for a moment (retriable: nothing was written).
    const produced = await until(() => broker.send(ApiKey.Produce, 11, { transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }),
      (b) => b.responses[0].partitionResponses[0].errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition leader ready');
    ok(produced.responses[0].partitionResponses[0].errorCode, `${label}: transactional Produce`);
    offset = produced.responses[0].partitionResponses[0].baseOffset;

    ok((await broker.send(ApiKey.AddOffsetsToTxn, ov, { transactionalId, producerId, producerEpoch, groupId: group })).errorCode, `${label}: AddOffsetsToTxn`);
    const txnCommit = await until(() => broker.send(ApiKey.TxnOffsetCommit, tv, {
      transactionalId, groupId: group, producerId, producerEpoch, generationId: -1, memberId: '',
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset + 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    }), (b) => b.topics[0]?.partitions[0]?.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'group coordinator');
    assert.equal(txnCommit.topics[0].name, topic);
    ok(txnCommit.topics[0].partitions[0].errorCode, `${label}: TxnOffsetCommit`);

    const ended = await until(() => broker.send(ApiKey.EndTxn, ev, { transactionalId, producerId, producerEpoch, committed: commit }),
      (b) => b.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS, 'EndTxn');
    ok(ended.errorCode, `${label}: EndTxn`);
    if (ev >= 5) assert.equal(ended.producerId, producerId, 'EndTxn v5 returns the producer id (KIP-890)');

    // The group's offset is visible once the transaction commits; an abort leaves none.
    const fetched = await until(() => broker.send(ApiKey.OffsetFetch, 9, {
      groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [0] }] }], requireStable: true,
    }), (b) => b.groups[0]?.topics[0]?.partitions[0]?.errorCode !== ErrorCode.UNSTABLE_OFFSET_COMMIT, 'stable offsets');
    assert.equal(fetched.groups[0].topics[0].partitions[0].committedOffset, commit ? offset + 1n : -1n, `${label}: committed offset`);
    if (commit) expectCommitted.push(value);
  }

  // read_committed: the committed values, and the aborted transactions listed for the consumer to filter.
  const body = await broker.send(ApiKey.Fetch, 16, {
    maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1,
    topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = body.responses[0].partitions[0];
  ok(p.errorCode, 'Fetch read_committed');
  assert.equal(p.abortedTransactions?.length, Math.floor(rounds / 2), 'one aborted transaction per aborting round');
  const decoded = decodeRecordSet(p.records!);
  const data = decoded.batches.filter((b) => !b.isControl);
  const abortedPids = new Set(p.abortedTransactions!.map((a) => a.producerId));
  const visible = data.filter((b) => !abortedPids.has(b.producerId)).flatMap((b) => b.records.map((r) => r.value!.toString()));
  assert.deepEqual(visible, expectCommitted);
});

test('SASL over SASL_SSL: SaslHandshake at every version, SaslAuthenticate (PLAIN) at every version', async () => {
  const env = kafkaEnvSync();
  const { username, password } = env.users.PLAIN;
  for (const hv of versions(supportedVersions(ApiKey.SaslHandshake))) {
    await withBroker(async (b) => {
      const hs = await b.send(ApiKey.SaslHandshake, hv, { mechanism: 'PLAIN' });
      ok(hs.errorCode, `SaslHandshake v${hv}`);
      assert.deepEqual([...hs.mechanisms].sort(), [...env.saslMechanisms].sort());
    }, RawBroker.saslSsl);
  }
  await withBroker(async (b) => {
    const hs = await b.send(ApiKey.SaslHandshake, 1, { mechanism: 'NOPE' });
    assert.equal(hs.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.ok(hs.mechanisms.includes('PLAIN'));
  }, RawBroker.saslSsl);

  for (const av of versions(supportedVersions(ApiKey.SaslAuthenticate))) {
    await withBroker(async (b) => {
      ok((await b.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, 'SaslHandshake');
      const auth = await b.send(ApiKey.SaslAuthenticate, av, { authBytes: Buffer.from(`\0${username}\0${password}`) });
      ok(auth.errorCode, `SaslAuthenticate v${av} ${auth.errorMessage ?? ''}`);
      assert.ok(!auth.errorMessage, 'no error message (Kafka sends an empty string: the field has no null default)');
      // KIP-368: v1+ carries the session lifetime, the listener's connections.max.reauth.ms for PLAIN.
      if (av >= 1) assert.equal(auth.sessionLifetimeMs, BigInt(env.saslSessionLifetimeMs));
      // Authenticated: an ordinary request now works on this connection.
      const meta = await b.send(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false });
      assert.equal(meta.brokers.length, 1);
    }, RawBroker.saslSsl);
    await withBroker(async (b) => {
      ok((await b.send(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, 'SaslHandshake');
      const auth = await b.send(ApiKey.SaslAuthenticate, av, { authBytes: Buffer.from(`\0${username}\0wrong-${password}`) });
      assert.equal(auth.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `SaslAuthenticate v${av} with a wrong password`);
      assert.ok(auth.errorMessage && !auth.errorMessage.includes(password), 'the broker names the failure, not the secret');
    }, RawBroker.saslSsl);
  }
});
