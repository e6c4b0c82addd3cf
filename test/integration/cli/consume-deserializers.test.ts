// gregor consume --key-deserializer / --value-deserializer / --error-policy / --dead-letter-topic, the real process
// against the real broker: keys printed in hex, JSON values embedded in --format json, and a malformed JSON value
// dead-lettered (raw, with its source headers) while the rest is printed; under the default policy the same record
// ends the command with the DeserializationError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer, type Message } from '../../../src/index.js';
import { ensureKafka, uniqueName } from '../helpers/kafka.js';
import { gregor } from './run-gregor.js';


test('gregor consume: hex keys, json values, a malformed value dead-lettered; under stop it ends the command', { timeout: 120_000 }, async () => {
  const { bootstrap } = await ensureKafka();
  const topic = uniqueName('cli-deser');
  const dlq = `${topic}.failed`;
  const admin = new Admin({ 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopics([{ topic, numPartitions: 1 }, { topic: dlq, numPartitions: 1 }]);
  } finally {
    await admin.close();
  }
  const values = ['{"n":0}', '{"n":1', '{"n":2,"s":"ü"}'];
  const producer = new Producer({ 'bootstrap.servers': bootstrap });
  try {
    await producer.sendBatch(values.map((value, i) => ({ topic, key: Buffer.from([0xca, 0xfe, i]), value })));
  } finally {
    await producer.close();
  }
  const dir = mkdtempSync(join(tmpdir(), 'gregor-cli-deser-'));
  const config = join(dir, 'client.properties');
  writeFileSync(config, `bootstrap.servers=${bootstrap}\nauto.offset.reset=earliest\n`);

  const ok = await gregor(['consume', config, '--topic', topic, '--count', '2', '--format', 'json', '--key-deserializer', 'hex',
    '--value-deserializer', 'json', '--error-policy', 'dead-letter', '--dead-letter-topic', dlq]);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: unknown; value: unknown; offset: string });
  assert.deepEqual(lines.map((l) => [l.offset, l.key, l.value]), [['0', 'cafe00', { n: 0 }], ['2', 'cafe02', { n: 2, s: 'ü' }]]);

  const reader = new Consumer({ 'bootstrap.servers': bootstrap, 'auto.offset.reset': 'earliest', 'gregor.log.level': 'warn' });
  let letters: Message[] = [];
  try {
    reader.assign([{ topic: dlq, partition: 0 }]);
    while (letters.length === 0) letters = await reader.pollBatch(10_000);
  } finally {
    await reader.close();
  }
  assert.equal(letters.length, 1);
  assert.equal(letters[0].valueString(), '{"n":1');
  assert.deepEqual([...letters[0].key!], [0xca, 0xfe, 1]);
  assert.equal(letters[0].headerString('__gregor.dlq.offset'), '1');
  assert.equal(letters[0].headerString('__gregor.dlq.error.code'), 'ERR_DESERIALIZATION');

  const stopped = await gregor(['consume', config, '--topic', topic, '--count', '3', '--value-deserializer', 'json']);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stdout, /^Consumed event from topic [^:]+: key = .* value = \{"n":0\}/);
  assert.match(stopped.stderr, /offset 1: the value \(6 bytes\) could not be deserialized: SyntaxError/);
});
