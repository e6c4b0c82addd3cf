// Transactions written by gregor's producer, checked by what Kafka itself reports:
//   - Kafka's Java console consumer with read_committed sees only committed records; read_uncommitted sees all;
//   - the aborted transaction is marked in the raw fetched data: the Fetch response's abortedTransactions lists
//     gregor's producer id at the aborted records' first offset, and an ABORT control marker follows them;
//   - offsets sent to a transaction become the group's committed offsets when it commits;
//   - a second producer with the same transactional.id fences the first (KafkaError PRODUCER_FENCED);
//   - calls in the wrong state fail with StateError; close() aborts a transaction left open.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { KafkaError, StateError } from '../../../src/errors.js';
import { Pool } from '../../../src/network/pool.js';
import { Producer } from '../../../src/producer/index.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { ControlType } from '../../../src/protocol/records/index.js';
import { consoleConsume, ensureKafka, rawFetchSettled, uniqueName } from './helpers.js';

const topic = uniqueName('producer-txn');
let bootstrap = '';
let admin: Admin;

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  admin = new Admin({ 'bootstrap.servers': bootstrap });
  await admin.createTopics([{ topic, numPartitions: 2 }]);
});
after(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.close();
});

function values(prefix: string, n: number, partition: number) {
  return Array.from({ length: n }, (_, i) => ({ topic, partition, key: `${prefix}-k${i}`, value: `${prefix}-${partition}-${i}`, headers: { tx: prefix } }));
}

test('committed and aborted transactions: read_committed sees only the committed, the abort is marked in the fetched data', async () => {
  const producer = new Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': uniqueName('txid'), 'compression.type': 'lz4' });
  let producerId: bigint;
  let abortedFirstOffset: bigint;
  try {
    await producer.initTransactions();
    assert.equal(producer.transactionState, 'ready');
    producerId = producer.producerIdentity!.producerId;
    assert.ok(producerId >= 0n);

    // The wrong order of calls, once initialised.
    await assert.rejects(producer.commitTransaction(), (e: unknown) => e instanceof StateError && /no transaction is open/.test(e.message));
    await assert.rejects(producer.send({ topic, value: 'outside' }), (e: unknown) => e instanceof StateError && /beginTransaction\(\) first/.test(e.message));
    await assert.rejects(producer.initTransactions(), StateError);

    producer.beginTransaction();
    assert.throws(() => producer.beginTransaction(), (e: unknown) => e instanceof StateError && /already open/.test(e.message));
    await producer.sendBatch([...values('first', 5, 0), ...values('first', 3, 1)]);
    await producer.commitTransaction();

    producer.beginTransaction();
    const aborted = await producer.sendBatch([...values('aborted', 4, 0), ...values('aborted', 2, 1)]);
    abortedFirstOffset = aborted[0].offset;
    await producer.abortTransaction();
    assert.equal(producer.transactionState, 'ready');

    producer.beginTransaction();
    await producer.sendBatch(values('second', 2, 0));
    await producer.commitTransaction();
  } finally {
    await producer.close();
  }

  const committed = [...values('first', 5, 0), ...values('first', 3, 1), ...values('second', 2, 0)].map((r) => r.value).sort();
  const all = [...committed, ...[...values('aborted', 4, 0), ...values('aborted', 2, 1)].map((r) => r.value)].sort();

  const readCommitted = await consoleConsume(topic, committed.length, { isolationLevel: 'read_committed' });
  assert.deepEqual(readCommitted.map((l) => l.value).sort(), committed, 'read_committed: only the committed records');
  assert.ok(readCommitted.every((l) => l.headers.length === 1 && l.headers[0][0] === 'tx'));
  const readUncommitted = await consoleConsume(topic, all.length, { isolationLevel: 'read_uncommitted' });
  assert.deepEqual(readUncommitted.map((l) => l.value).sort(), all, 'read_uncommitted: the aborted records too');

  // The raw data of partition 0: transactional batches, a COMMIT, an ABORT, a COMMIT marker, and the index of
  // aborted transactions naming this producer at the first aborted offset.
  const raw = await rawFetchSettled(topic, 0);
  assert.equal(raw.errorCode, 0);
  assert.deepEqual(raw.abortedTransactions, [{ producerId, firstOffset: abortedFirstOffset }]);
  const markers = raw.batches.filter((b) => b.isControl).map((b) => b.controlType);
  assert.deepEqual(markers, [ControlType.COMMIT, ControlType.ABORT, ControlType.COMMIT]);
  const data = raw.batches.filter((b) => !b.isControl);
  assert.ok(data.every((b) => b.isTransactional && b.producerId === producerId && b.compression === 'lz4'));
  const abortedBatch = data.find((b) => b.baseOffset === abortedFirstOffset)!;
  assert.equal(abortedBatch.records[0].value!.toString(), 'aborted-0-0');
  // The ABORT marker comes after the aborted records (their offsets are below it).
  const abortMarker = raw.batches.find((b) => b.isControl && b.controlType === ControlType.ABORT)!;
  assert.ok(abortMarker.baseOffset > abortedBatch.lastOffset);
});

test('sendOffsetsToTransaction: the offsets are the group\'s once the transaction commits, not when it aborts', async () => {
  const group = uniqueName('txn-group');
  const producer = new Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': uniqueName('txid-offsets') });
  try {
    await producer.initTransactions();
    producer.beginTransaction();
    await producer.send({ topic, partition: 1, value: 'with-offsets-aborted' });
    await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 3n }], group);
    await producer.abortTransaction();
    assert.equal(await committedOffset(group, 0), -1n, 'aborted: no committed offset');

    producer.beginTransaction();
    await producer.send({ topic, partition: 1, value: 'with-offsets' });
    await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 7n, metadata: 'm' }], { groupId: group });
    await producer.commitTransaction();
  } finally {
    await producer.close();
  }
  assert.equal(await committedOffset(group, 0), 7n);
});

test('a second producer with the same transactional.id fences the first: KafkaError PRODUCER_FENCED, then only close()', async () => {
  const transactionalId = uniqueName('txid-fenced');
  const first = new Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': transactionalId });
  const second = new Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': transactionalId });
  try {
    await first.initTransactions();
    first.beginTransaction();
    await first.send({ topic, partition: 1, value: 'zombie-1' });
    const zombie = first.producerIdentity!;

    await second.initTransactions();
    assert.equal(second.producerIdentity!.producerId, zombie.producerId, 'same transactional id, same producer id');
    assert.ok(second.producerIdentity!.producerEpoch > zombie.producerEpoch, 'with a newer epoch');

    // The zombie's next write is refused by the partition leader (its epoch is old).
    const fenced = (e: unknown) => e instanceof KafkaError && e.errorName === 'PRODUCER_FENCED';
    await assert.rejects(first.send({ topic, partition: 1, value: 'zombie-2' }), fenced);
    assert.equal(first.transactionState, 'fatal-error');
    await assert.rejects(first.commitTransaction(), fenced);
    await assert.rejects(first.send({ topic, partition: 1, value: 'zombie-3' }), fenced);

    second.beginTransaction();
    await second.send({ topic, partition: 1, value: 'survivor' });
    await second.commitTransaction();
  } finally {
    await first.close();
    await second.close();
  }
  const raw = await rawFetchSettled(topic, 1);
  const survivor = raw.batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((r) => r.value!.toString()));
  assert.ok(survivor.includes('survivor'));
  assert.ok(!survivor.includes('zombie-2') && !survivor.includes('zombie-3'));
  // The coordinator aborted the zombie's open transaction when the second producer registered.
  assert.ok(raw.abortedTransactions!.some((a) => a.producerId === raw.batches.find((b) => b.records.some((r) => r.value?.toString() === 'zombie-1'))!.producerId));
});

test('close() aborts a transaction left open', async () => {
  const producer = new Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': uniqueName('txid-close') });
  await producer.initTransactions();
  producer.beginTransaction();
  const m = await producer.send({ topic, partition: 0, value: 'left-open' });
  const { producerId } = producer.producerIdentity!;
  await producer.close();
  const raw = await rawFetchSettled(topic, 0);
  assert.ok(raw.abortedTransactions!.some((a) => a.producerId === producerId && a.firstOffset === m.offset), 'the open transaction was aborted by close()');
  assert.ok(raw.lastStableOffset > m.offset, 'nothing is left pending: the last stable offset moved past it');
});

/** The group's committed offset for a partition of `topic`, through a raw OffsetFetch (requireStable). */
async function committedOffset(group: string, partition: number): Promise<bigint> {
  const pool = new Pool({ bootstrapServers: bootstrap });
  try {
    const broker = await pool.bootstrap();
    for (let i = 0; i < 100; i++) {
      const res = await broker.request(ApiKey.OffsetFetch, {
        groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [partition] }] }], requireStable: true,
      }, { maxVersion: 9, minVersion: 8 });
      const code = res.groups[0].errorCode || res.groups[0].topics[0]?.partitions[0]?.errorCode;
      // UNSTABLE_OFFSET_COMMIT (88) while the transaction's markers are being written; COORDINATOR_LOAD_IN_PROGRESS (14).
      if (code === 88 || code === 14) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      assert.equal(code, 0, `OffsetFetch error ${code}`);
      return res.groups[0].topics[0].partitions[0].committedOffset;
    }
    throw new Error('offsets never became stable');
  } finally {
    await pool.close();
  }
}
