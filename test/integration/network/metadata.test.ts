// The metadata cache against the real broker: topics with ids and leaders, unknown topics, coalescing,
// refresh on stale-metadata errors, deleted topics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { Metadata } from '../../../src/cluster/metadata.js';
import { ErrorCode, leaderMoved, staleMetadata } from '../../../src/protocol/index.js';
import { KafkaError } from '../../../src/errors.js';
import { createTopic, deleteTopic, kafkaEnvSync, plaintextOptions, uniqueName } from './env.js';

const topic = uniqueName('net-md');
let pool: Pool;

before(async () => {
  pool = new Pool(plaintextOptions());
  await createTopic(pool, topic, 3);
});

after(async () => {
  await deleteTopic(pool, topic).catch(() => {});
  await pool.close();
});

test('refresh(topics) caches partitions, leaders, epochs, topic ids, brokers and the cluster id', async () => {
  const md = new Metadata(pool);
  try {
    await md.refresh([topic]);
    assert.equal(typeof md.clusterId, 'string');
    assert.ok(md.controllerId >= 0);
    const advertised = kafkaEnvSync().bootstrap; // the PLAINTEXT listener the pool bootstrapped from
    assert.deepEqual(md.brokers.map((b) => `${b.host}:${b.port}`), [advertised]);
    const parts = md.partitionsFor(topic)!;
    assert.equal(parts.length, 3);
    assert.equal(md.partitionCount(topic), 3);
    for (const p of parts) {
      assert.equal(p.leaderId, 1);
      assert.ok(p.leaderEpoch >= 0);
      assert.deepEqual(p.replicas, [1]);
      assert.deepEqual(p.isr, [1]);
      assert.deepEqual(p.offline, []);
    }
    assert.deepEqual(md.leaderFor(topic, 2), { leaderId: 1, leaderEpoch: parts[2].leaderEpoch });
    assert.equal(md.leaderFor(topic, 3), undefined, 'no such partition');
    const id = md.topicId(topic)!;
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(md.topicName(id), topic);
    assert.equal(md.brokerFor(1).address, advertised);
    assert.equal(md.leaderBroker(topic, 0), md.brokerFor(1));
  } finally {
    md.close();
  }
});

test('an unknown topic is recorded as an error, and rejects when required', async () => {
  const md = new Metadata(pool);
  const absent = uniqueName('net-md-absent');
  try {
    await md.refresh([absent]);
    assert.equal(md.topic(absent), undefined);
    assert.equal(md.topicError(absent), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await assert.rejects(md.refresh([absent], { requireTopics: true }), (e: unknown) => {
      assert.ok(e instanceof KafkaError);
      assert.equal(e.errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
      assert.match(e.message, new RegExp(absent));
      return true;
    });
    assert.equal(md.topic(absent), undefined, 'auto-creation is off by default');
  } finally {
    md.close();
  }
});

test('concurrent refreshes coalesce: covered requests share one, the rest merge into one follow-up', async () => {
  const md = new Metadata(pool);
  try {
    const before = md.stats.requests;
    await Promise.all([
      md.refresh([topic]),
      md.refresh([topic]), // covered by the first
      md.refresh([topic]),
      md.refresh(['a-' + topic]), // not covered: queued
      md.refresh(['b-' + topic]), // merged with the queued one
    ]);
    assert.equal(md.stats.requests - before, 2);
    assert.equal(md.topicError('a-' + topic), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(md.topicError('b-' + topic), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const n = md.stats.requests;
    await Promise.all([md.refresh('all'), md.refresh([topic]), md.refresh()]);
    assert.equal(md.stats.requests - n, 1, "'all' covers everything");
    assert.ok(md.topicNames().includes(topic));
  } finally {
    md.close();
  }
});

test('stale-metadata error codes trigger one refresh after a short backoff; other codes do not', async () => {
  const md = new Metadata(pool, { retryBackoffMs: 20 });
  try {
    await md.refresh([topic]);
    const n = md.stats.requests;
    assert.equal(md.handleError(ErrorCode.OFFSET_OUT_OF_RANGE, topic), false);
    for (let i = 0; i < 10; i++) assert.equal(md.handleError(ErrorCode.NOT_LEADER_OR_FOLLOWER, topic), true);
    assert.equal(md.isStale, true);
    while (md.isStale || md.stats.requests === n) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(md.stats.requests - n, 1, 'a burst of errors costs one Metadata request');
    assert.ok(md.leaderFor(topic, 0));
    assert.ok(leaderMoved(ErrorCode.FENCED_LEADER_EPOCH));
    assert.ok(staleMetadata(ErrorCode.UNKNOWN_TOPIC_ID));
  } finally {
    md.close();
  }
});

test('freshSince: true only for topics answered since the time, and never while the cache is marked stale', async () => {
  const md = new Metadata(pool, { retryBackoffMs: 60_000 });
  try {
    const before = Date.now();
    await md.refresh([topic]);
    assert.equal(md.freshSince([topic], before), true);
    assert.equal(md.freshSince([topic], Date.now() + 1), false, 'answered before the time');
    assert.equal(md.freshSince([topic, uniqueName('net-md-absent')], before), false, 'a topic not cached');
    md.markStale(topic);
    assert.equal(md.freshSince([topic], before), false, 'marked stale');
    await md.refresh([topic]);
    assert.equal(md.freshSince([topic], before), true);
  } finally {
    md.close();
  }
});

test("a deleted topic disappears from the cache on the next 'all' refresh", async () => {
  const doomed = uniqueName('net-md-doomed');
  await createTopic(pool, doomed, 1);
  const md = new Metadata(pool);
  try {
    await md.refresh('all');
    const id = md.topicId(doomed)!;
    assert.ok(id);
    await deleteTopic(pool, doomed);
    for (let i = 0; i < 50 && md.topic(doomed) !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await md.refresh('all');
    }
    assert.equal(md.topic(doomed), undefined);
    assert.equal(md.topicName(id), undefined);
  } finally {
    md.close();
  }
});
