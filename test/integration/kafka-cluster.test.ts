// The three-node cluster (`npm run kafka:start -- --nodes 3`): a topic replicated three times gets a leader and a
// full ISR on distinct nodes. Opt-in, because three more broker JVMs cost about 1 GB and 10-20 s:
//   GREGOR_TEST_CLUSTER=1 node --test dist/test/integration/kafka-cluster.test.js
// A cluster this test started is stopped again; one that was already running is left running.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTopic, ensureKafka, kafkaTool, stopKafka, uniqueName, CLIENT_CONFIG, type KafkaEnv } from './helpers/kafka.js';

const enabled = process.env.GREGOR_TEST_CLUSTER === '1';

describe('three-node Kafka cluster', { skip: enabled ? false : 'set GREGOR_TEST_CLUSTER=1 to start three brokers' }, () => {
  let env: KafkaEnv;

  before(async () => {
    env = await ensureKafka({ nodes: 3 });
  });

  after(() => {
    if (env?.startedNow) stopKafka(3);
  });

  it('creates and describes a topic with replication factor 3 and min.insync.replicas 2', async () => {
    assert.equal(env.nodes.length, 3);
    assert.equal(env.bootstrap.split(',').length, 3);
    const topic = uniqueName('rf3');
    await createTopic(topic, 3, { replicationFactor: 3, bootstrap: env.bootstrap });
    // Described over SASL_SSL through a node other than the one that created it.
    const r = await kafkaTool('topics', ['--bootstrap-server', env.saslSslBootstrap.split(',')[1],
      '--command-config', CLIENT_CONFIG['SCRAM-SHA-512'], '--describe', '--topic', topic]);
    assert.match(r.stdout, /ReplicationFactor: 3\b/);
    assert.match(r.stdout, /min\.insync\.replicas=2/);
    const partitions = r.stdout.split('\n').filter((l) => /\bPartition: \d+/.test(l));
    assert.equal(partitions.length, 3);
    for (const line of partitions) {
      const replicas = /Replicas: ([\d,]+)/.exec(line)?.[1].split(',').sort();
      const isr = /Isr: ([\d,]+)/.exec(line)?.[1].split(',').sort();
      assert.deepEqual(replicas, ['1', '2', '3'], line);
      assert.deepEqual(isr, ['1', '2', '3'], line);
    }
  });
});
