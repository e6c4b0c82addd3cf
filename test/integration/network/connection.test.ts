// Connection behaviour against the real broker: unreachable addresses, pipelining, the in-flight cap, timeouts,
// aborts, close, the response size guard, requests without responses, and idle connections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { Connection } from '../../../src/network/connection.js';
import { noopLogger } from '../../../src/network/options.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { encodeRecordBatch } from '../../../src/protocol/records/encode.js';
import { AbortError, ConnectionError, ProtocolError, StateError, TimeoutError } from '../../../src/errors.js';
import { createTopic, deleteTopic, hostPort, kafkaEnvSync, literal, plaintextOptions, uniqueName } from './env.js';
import { longPollFetch, topicIdOf } from './fetch-helpers.js';

const topic = uniqueName('net-conn');
let admin: Pool;
let topicId: string;

before(async () => {
  admin = new Pool(plaintextOptions());
  await createTopic(admin, topic, 1);
  topicId = await topicIdOf(await admin.bootstrap(), topic);
});

after(async () => {
  await deleteTopic(admin, topic).catch(() => {});
  await admin.close();
});

test('an address nobody listens on: ConnectionError naming it, after a bounded number of attempts', async () => {
  // Port 1 on loopback: refused at once, so only the backoff spaces the attempts.
  const pool = new Pool({ bootstrapServers: ['127.0.0.1:1', '127.0.0.1:2'], bootstrapTimeoutMs: 2000 });
  try {
    const err = await pool.bootstrap().then(() => assert.fail('must fail'), (e: unknown) => e);
    assert.ok(err instanceof ConnectionError, String(err));
    assert.equal(err.retriable, true);
    assert.match(err.message, /127\.0\.0\.1:1 \(cannot connect to 127\.0\.0\.1:1: connection refused \[ECONNREFUSED\]\)/);
    assert.match(err.message, /127\.0\.0\.1:2 \(/, 'every address is reported');
    // Exponential backoff 50 ms .. 1 s: about 6 attempts per address in 2 s, never a tight loop.
    assert.ok(pool.connectAttempts >= 4, `retried (${pool.connectAttempts})`);
    assert.ok(pool.connectAttempts <= 20, `bounded (${pool.connectAttempts})`);
  } finally {
    await pool.close();
  }
});

test('bootstrap skips a dead address and uses a live one', async () => {
  const live = kafkaEnvSync().bootstrap;
  const pool = new Pool(plaintextOptions({ bootstrapServers: ['127.0.0.1:1', live] }));
  try {
    const b = await pool.bootstrap();
    assert.equal(b.port, hostPort(live).port);
  } finally {
    await pool.close();
  }
});

test('pipelining: 300 concurrent requests on one connection each get their own response', async () => {
  const pool = new Pool(plaintextOptions({ maxInFlightRequestsPerConnection: 5 }));
  try {
    const broker = await pool.bootstrap();
    const conn = broker.connection('default')!;
    let maxInFlight = 0;
    let drains = 0;
    conn.on('drain', () => drains++);
    const names = Array.from({ length: 300 }, (_, i) => `${topic}-absent-${i}`);
    const all = names.map((name) =>
      broker.request(ApiKey.Metadata, { topics: [{ name }], allowAutoTopicCreation: false }).then((md) => {
        maxInFlight = Math.max(maxInFlight, conn.inFlightCount);
        return md;
      }),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(conn.busy, true, 'requests beyond the cap queue on the client');
    assert.ok(conn.queuedCount > 0);
    const responses = await Promise.all(all);
    for (let i = 0; i < names.length; i++) {
      assert.equal(responses[i].topics[0].name, names[i], `response ${i} matches its request`);
      assert.equal(responses[i].topics[0].errorCode, 3); // UNKNOWN_TOPIC_OR_PARTITION
    }
    assert.ok(maxInFlight <= 5, `never more than the cap in flight (${maxInFlight})`);
    assert.ok(drains >= 1, "'drain' fired once the queue emptied");
    assert.equal(conn.busy, false);
    assert.equal(pool.connectAttempts, 1);
  } finally {
    await pool.close();
  }
});

test('a request timeout fails that request with TimeoutError and closes the connection; the next request reconnects', async () => {
  const pool = new Pool(plaintextOptions());
  try {
    const broker = await pool.bootstrap();
    const slow = longPollFetch(broker, topic, topicId, 5000, { timeoutMs: 300 });
    const second = longPollFetch(broker, topic, topicId, 5000);
    const err = await slow.then(() => assert.fail('must time out'), (e: unknown) => e);
    assert.ok(err instanceof TimeoutError, String(err));
    assert.match(err.message, new RegExp(`${literal(kafkaEnvSync().bootstrap)} timed out after 300 ms`));
    // The other request on that connection is failed too (the stream state is unknown), with the cause attached.
    const err2 = await second.then(() => assert.fail('must fail'), (e: unknown) => e);
    assert.ok(err2 instanceof ConnectionError, String(err2));
    assert.ok(err2.cause instanceof TimeoutError);
    const attempts = pool.connectAttempts;
    const res = await longPollFetch(broker, topic, topicId, 0);
    assert.equal(res.responses[0].partitions[0].errorCode, 0);
    assert.equal(pool.connectAttempts, attempts + 1, 'a new connection');
  } finally {
    await pool.close();
  }
});

test('aborting an in-flight request rejects it with AbortError and keeps the connection', async () => {
  const pool = new Pool(plaintextOptions());
  try {
    const broker = await pool.bootstrap();
    const ac = new AbortController();
    const fetch = longPollFetch(broker, topic, topicId, 1500, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await assert.rejects(fetch, AbortError);
    // The broker still answers the abandoned fetch; the connection reads and drops it, then serves the next one.
    const res = await longPollFetch(broker, topic, topicId, 0);
    assert.equal(res.responses[0].partitions[0].errorCode, 0);
    assert.equal(pool.connectAttempts, 2, 'default lane + fetch lane, no reconnect');
    const already = new AbortController();
    already.abort();
    await assert.rejects(longPollFetch(broker, topic, topicId, 0, { signal: already.signal }), AbortError);
  } finally {
    await pool.close();
  }
});

test('close() rejects pending requests with AbortError and later calls with StateError', async () => {
  const pool = new Pool(plaintextOptions());
  const broker = await pool.bootstrap();
  const pending = longPollFetch(broker, topic, topicId, 5000);
  await new Promise((r) => setTimeout(r, 50));
  await pool.close();
  await assert.rejects(pending, AbortError);
  await assert.rejects(broker.request(ApiKey.Metadata, { topics: [] }), StateError);
  await assert.rejects(pool.bootstrap(), StateError);
  assert.throws(() => pool.brokerFor(1), StateError);
});

test('a response larger than receive.message.max.bytes is a ProtocolError and closes the connection', async () => {
  const { host, port } = hostPort(kafkaEnvSync().bootstrap);
  const conn = new Connection({
    host,
    port,
    tls: undefined,
    clientId: 'gregor-it',
    connectionSetupTimeoutMs: 5000,
    requestTimeoutMs: 5000,
    maxInFlight: 5,
    maxResponseBytes: 64, // an ApiVersions response is several hundred bytes
    noDelay: true,
    keepAlive: false,
    logger: noopLogger,
  });
  await conn.connect();
  const closed = new Promise<Error>((resolve) => conn.once('close', resolve));
  await assert.rejects(conn.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'gregor', clientSoftwareVersion: '0' }), (e: unknown) => {
    assert.ok(e instanceof ProtocolError, String(e));
    assert.match(e.message, new RegExp(`exceeds the maximum of 64 bytes.*${literal(kafkaEnvSync().bootstrap)}`));
    return true;
  });
  assert.ok((await closed) instanceof ProtocolError);
  assert.equal(conn.isClosed, true);
  await assert.rejects(conn.request(ApiKey.ApiVersions, 3, {}), ConnectionError);
});

test('a request that expects no response (Produce acks=0) resolves once written, and the record lands', async () => {
  const pool = new Pool(plaintextOptions());
  try {
    const broker = await pool.bootstrap();
    const records = encodeRecordBatch({ records: [{ key: 'k', value: 'fire-and-forget' }] });
    const res = await broker.request(
      ApiKey.Produce,
      { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: topic, topicId, partitionData: [{ index: 0, records }] }] },
      { expectResponse: false },
    );
    assert.equal(res, undefined);
    // Requests on one connection are handled in order, so a later request sees the write.
    const offsets = await broker.request(ApiKey.ListOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    assert.equal(offsets.topics[0].partitions[0].offset, 1n);
  } finally {
    await pool.close();
  }
});

test('connections idle for connections.max.idle.ms are closed, and reopened on the next request', async () => {
  const pool = new Pool(plaintextOptions({ connectionsMaxIdleMs: 200 }));
  try {
    const broker = await pool.bootstrap();
    const conn = broker.connection('default')!;
    await new Promise<void>((resolve) => conn.once('close', () => resolve()));
    assert.equal(broker.connection('default'), undefined);
    await broker.request(ApiKey.Metadata, { topics: [] });
    assert.equal(pool.connectAttempts, 2);
  } finally {
    await pool.close();
  }
});
