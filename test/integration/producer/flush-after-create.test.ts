// send() without await right after the topic was created, then flush() or close(): the records are written. The
// send is still waiting for the new topic's metadata when flush()/close() is called, so nothing is in the
// accumulator yet; flush() and close() used to resolve at once (close() then closed the client under the pending
// metadata lookup: nothing written, the send rejecting with "client is closed").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/admin/index.js';
import { Producer, type RecordMetadata } from '../../../src/producer/index.js';
import { endOffsets } from '../helpers/kafka.js';
import { ensureKafka, uniqueName } from './helpers.js';

let bootstrap = '';
let admin: Admin;
const topics: string[] = [];

before(async () => {
  bootstrap = (await ensureKafka()).bootstrap;
  admin = new Admin({ 'bootstrap.servers': bootstrap });
});
after(async () => {
  await admin.deleteTopics(topics).catch(() => undefined);
  await admin.close();
});

async function freshTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  topics.push(topic);
  await admin.createTopics([{ topic, numPartitions: 2 }]);
  return topic;
}

for (const how of ['flush', 'close'] as const) {
  test(`send() not awaited right after createTopics, then ${how}(): every record is written`, async () => {
    const topic = await freshTopic(`producer-${how}-fresh`);
    const producer = new Producer({ 'bootstrap.servers': bootstrap, 'acks': 'all', 'enable.idempotence': true });
    const sent: Promise<RecordMetadata>[] = [];
    for (let i = 0; i < 5; i++) sent.push(producer.send({ topic, key: `k${i}`, value: `v${i}` }));
    if (how === 'flush') {
      await producer.flush();
      // flush() resolved: every send it covered has its outcome already.
      const settled = await Promise.race([Promise.allSettled(sent), new Promise((r) => setImmediate(r, 'pending'))]);
      assert.notEqual(settled, 'pending', 'the sends made before flush() are settled when it resolves');
      await producer.close();
    } else {
      await producer.close();
    }
    const results = await Promise.allSettled(sent);
    for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
    const ends = await endOffsets(topic);
    assert.equal([...ends.values()].reduce((a, b) => a + b, 0n), 5n, 'the broker holds the 5 records');
  });
}
