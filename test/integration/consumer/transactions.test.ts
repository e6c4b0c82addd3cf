// read_committed against transactions written by Kafka's own Java producer (TxnProducer.java): records of an
// aborted transaction are never delivered under read_committed, read_uncommitted delivers them, transaction markers
// are never delivered and cause no stall, and the position ends past the last marker (lag 0).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createTopic, endOffsets, ensureKafka, ROOT, uniqueName } from '../helpers/kafka.js';
import { drain, newConsumer, pollFor } from './env.js';

function javaProducer(bootstrap: string, topic: string, steps: string[]): void {
  const r = spawnSync('java', ['-cp', join(ROOT, '.kafka', 'lib', '*'), join(ROOT, 'test', 'integration', 'consumer', 'TxnProducer.java'), bootstrap, topic, ...steps], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.error, undefined, `java could not be started: ${String(r.error)}`);
  assert.equal(r.status, 0, `TxnProducer failed:\n${r.stderr}`);
  assert.match(r.stdout, /done/);
}

describe('transactions written by the Java producer', () => {
  const topic = uniqueName('txn');
  // committed, aborted, interleaved plain records, committed again.
  const steps = ['commit:c1:5', 'abort:a1:4', 'plain:p:3', 'abort:a2:2', 'commit:c2:5'];
  const committedValues = [...['c1', 'c1', 'c1', 'c1', 'c1'].map((p, i) => `${p}-${i}`), 'p-0', 'p-1', 'p-2', ...[0, 1, 2, 3, 4].map((i) => `c2-${i}`)];
  const allValues = [
    ...[0, 1, 2, 3, 4].map((i) => `c1-${i}`), ...[0, 1, 2, 3].map((i) => `a1-${i}`), 'p-0', 'p-1', 'p-2',
    'a2-0', 'a2-1', ...[0, 1, 2, 3, 4].map((i) => `c2-${i}`),
  ];
  let end = 0n;

  before(async () => {
    const env = await ensureKafka();
    await createTopic(topic, 1);
    javaProducer(env.bootstrap, topic, steps);
    end = (await endOffsets(topic)).get(0)!;
    assert.equal(end, 23n, "19 records and 4 markers (commit, abort, abort, commit)");
  });

  it('read_committed never delivers records of aborted transactions, nor markers, and does not stall on them', async () => {
    const c = await newConsumer({ 'group.id': uniqueName('g-rc'), 'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest' });
    try {
      c.assign([{ topic, partition: 0 }]);
      const got = await drain(c, committedValues.length);
      assert.deepEqual(got.map((m) => m.valueString()), committedValues);
      assert.deepEqual(await pollFor(c, 2000), [], 'nothing else: no aborted record, no control record');
      assert.equal(await c.position({ topic, partition: 0 }), end, 'the position moved past the last marker');
      assert.equal(c.lag()[0].lag, 0n);
    } finally {
      await c.close();
    }
  });

  it('read_uncommitted delivers the aborted records too (but never the markers)', async () => {
    const c = await newConsumer({ 'group.id': uniqueName('g-ru'), 'isolation.level': 'read_uncommitted', 'auto.offset.reset': 'earliest' });
    try {
      c.assign([{ topic, partition: 0 }]);
      const got = await drain(c, allValues.length);
      assert.deepEqual(got.map((m) => m.valueString()), allValues);
      assert.deepEqual(await pollFor(c, 2000), []);
      assert.equal(await c.position({ topic, partition: 0 }), end);
    } finally {
      await c.close();
    }
  });
});
