// gregor consume --share with --value-deserializer json --error-policy dead-letter, the real process against the real
// broker: the good records printed as JSON (with deliveryCount), the malformed one written raw to the dead-letter
// topic with the dead-letter headers and accepted, so the share group has nothing left to deliver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer, ShareConsumer, type Message, type ShareMessage } from '../../../src/index.js';
import { ensureKafka, setGroupConfig, uniqueName } from '../helpers/kafka.js';
import { gregor } from './run-gregor.js';

test('consume --share --value-deserializer json --error-policy dead-letter: good records printed, the malformed one dead-lettered and accepted', { timeout: 120_000 }, async () => {
  const { bootstrap } = await ensureKafka();
  const topic = uniqueName('cli-share-dlq');
  const dlq = `${topic}.failed`;
  const group = uniqueName('cli-share-dlq-g');
  const admin = new Admin({ 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopics([{ topic, numPartitions: 1 }, { topic: dlq, numPartitions: 1 }]);
  } finally {
    await admin.close();
  }
  await setGroupConfig(group, { 'share.auto.offset.reset': 'earliest' });
  const values = ['{"n":0}', '{"n":1', '{"n":2}'];
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await producer.sendBatch(values.map((value, i) => ({ topic, key: `k${i}`, value, headers: { origin: `test-${i}` } })));
  } finally {
    await producer.close();
  }
  const config = join(mkdtempSync(join(tmpdir(), 'gregor-cli-share-dlq-')), 'client.properties');
  writeFileSync(config, `bootstrap.servers=${bootstrap}\n`);

  const ok = await gregor(['consume', config, '--topic', topic, '--group', group, '--share', '--count', '2', '--format', 'json',
    '--value-deserializer', 'json', '--error-policy', 'dead-letter', '--dead-letter-topic', dlq]);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.trim().split('\n').map((l) => JSON.parse(l) as { offset: string; value: unknown; deliveryCount: number });
  assert.deepEqual(lines.map((l) => [l.offset, l.value, l.deliveryCount]), [['0', { n: 0 }, 1], ['2', { n: 2 }, 1]]);

  const reader = new Consumer({ 'bootstrap.servers': bootstrap, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn' });
  let letters: Message[] = [];
  try {
    reader.assign([{ topic: dlq, partition: 0 }]);
    while (letters.length === 0) letters = await reader.pollBatch(10_000);
    assert.deepEqual([...(await reader.endOffsets([{ topic: dlq, partition: 0 }])).values()], [1n], 'one dead letter');
  } finally {
    await reader.close();
  }
  assert.equal(letters.length, 1);
  assert.equal(letters[0].valueString(), '{"n":1');
  assert.equal(letters[0].keyString(), 'k1');
  assert.equal(letters[0].headerString('origin'), 'test-1');
  assert.equal(letters[0].headerString('__gregor.dlq.offset'), '1');
  assert.equal(letters[0].headerString('__gregor.dlq.group'), group);
  assert.equal(letters[0].headerString('__gregor.dlq.error.code'), 'ERR_DESERIALIZATION');

  // Printed records and the dead letter were all accepted: the group has nothing left.
  const member = new ShareConsumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'gregor.log.level': 'error' });
  const left: ShareMessage[] = [];
  try {
    member.subscribe([topic]);
    const end = Date.now() + 3000;
    while (Date.now() < end) left.push(...await member.poll(200));
  } finally {
    await member.close();
  }
  assert.deepEqual(left.map((m) => m.offset), []);
});
