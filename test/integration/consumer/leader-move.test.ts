// A partition's leader moves while gregor consumes it: the fetcher gets NOT_LEADER_OR_FOLLOWER (or sees the new
// epoch in refreshed metadata), the partition moves to the new leader's fetcher, its position is validated against
// the new leader's log (OffsetForLeaderEpoch, KIP-320), and consumption continues with no gap, no duplicate and no
// offset reset (reliability R4).
//
// Needs the three-node cluster, so it is opt-in like test/integration/kafka-cluster.test.ts:
//   GREGOR_TEST_CLUSTER=1 node --test dist/test/integration/consumer/leader-move.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, type OffsetResetEvent } from '../../../src/index.js';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { ensureKafka, produce, stopKafka, uniqueName, type KafkaEnv } from '../helpers/kafka.js';
import { drain, newConsumer, pollFor } from './env.js';

const enabled = process.env.GREGOR_TEST_CLUSTER === '1';

describe('consumer across a leader move', { skip: enabled ? false : 'set GREGOR_TEST_CLUSTER=1 to start three brokers' }, () => {
  let env: KafkaEnv;
  let admin: Admin;
  const topic = uniqueName('consumer-leader-move');

  before(async () => {
    env = await ensureKafka({ nodes: 3 });
    admin = new Admin({ 'bootstrap.servers': env.bootstrap });
  });
  after(async () => {
    await admin?.deleteTopics([topic]).catch(() => undefined);
    await admin?.close();
    if (env?.startedNow) stopKafka(3);
  });

  it('every record is delivered once, in order, while the leader moves; no offset reset', async () => {
    await admin.createTopics([{ topic, numPartitions: 1, replicationFactor: 3 }]);
    await produce(topic, Array.from({ length: 2000 }, (_, i) => ({ key: 'k', value: `r${i}` })), { bootstrap: env.bootstrap });
    const [before] = await admin.describeTopics([topic]);
    const oldLeader = before.partitions[0].leader;
    const replicas = [...before.partitions[0].replicas];
    const newOrder = [...replicas.filter((r) => r !== oldLeader), oldLeader];

    const logged: string[] = [];
    const c = await newConsumer({
      'bootstrap.servers': env.bootstrap, 'group.id': uniqueName('g-move'), 'auto.offset.reset': 'earliest', 'max.partition.fetch.bytes': 4096,
      'gregor.log.level': 'debug', 'gregor.logger': (_level: string, message: string) => { logged.push(message); },
    });
    const resets: OffsetResetEvent[] = [];
    c.on('offsetReset', (e) => resets.push(e));
    try {
      c.assign([{ topic, partition: 0 }]);
      const first = await drain(c, 1000);
      await moveLeader(env.bootstrap, topic, newOrder);
      // The election is done at the controller; the broker answering Metadata may learn it a moment later.
      let [moved] = await admin.describeTopics([topic]);
      for (let i = 0; i < 50 && moved.partitions[0].leader !== newOrder[0]; i++) {
        await new Promise((r) => setTimeout(r, 200));
        [moved] = await admin.describeTopics([topic]);
      }
      assert.equal(moved.partitions[0].leader, newOrder[0], 'the leader did move');
      await produce(topic, Array.from({ length: 1000 }, (_, i) => ({ key: 'k', value: `r${2000 + i}` })), { bootstrap: env.bootstrap });
      const rest = await drain(c, 2000);
      assert.deepEqual(await pollFor(c, 1000), []);
      const all = [...first, ...rest];
      assert.deepEqual(all.map((m) => m.offset), Array.from({ length: 3000 }, (_, i) => BigInt(i)), 'offsets 0..2999 once each, in order');
      assert.deepEqual(all.map((m) => m.valueString()), Array.from({ length: 3000 }, (_, i) => `r${i}`));
      assert.ok(rest.at(-1)!.leaderEpoch > first[0].leaderEpoch, 'later records carry the new leader epoch');
      assert.deepEqual(resets.filter((r) => r.reason !== 'no-committed-offset'), [], 'no offset reset after the start');
      assert.ok(logged.includes('leader epoch changed: validating the position'), 'the position was validated against the new leader (KIP-320)');
      assert.ok(logged.includes('leader moved: following the leader the answer names (KIP-951)'),
        'the refusal named the new leader, and the consumer went there without waiting for metadata (KIP-951)');
    } finally {
      await c.close();
    }
  });
});

/** Puts `order[0]` first in the replica list (AlterPartitionReassignments) and runs a preferred election. */
async function moveLeader(bootstrap: string, topic: string, order: number[]): Promise<void> {
  const pool = new Pool({ bootstrapServers: bootstrap });
  try {
    const broker = await pool.bootstrap();
    const altered = await broker.request(ApiKey.AlterPartitionReassignments, {
      timeoutMs: 30_000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas: order }] }],
    });
    assert.equal(altered.errorCode, 0, `AlterPartitionReassignments: ${altered.errorMessage}`);
    for (let i = 0; i < 100; i++) {
      const elected = await broker.request(ApiKey.ElectLeaders, { electionType: 0, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 30_000 });
      const code = elected.replicaElectionResults[0]?.partitionResult[0]?.errorCode ?? elected.errorCode;
      // PREFERRED_LEADER_NOT_AVAILABLE (80) until the new order reached the brokers; ELECTION_NOT_NEEDED (84): done.
      if (code === 0 || code === 84) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the preferred leader election never succeeded');
  } finally {
    await pool.close();
  }
}
