// Lanes: a long-polling Fetch on the fetch lane does not hold back requests on the other lanes. The assertion is
// on the order of completions, not on wall time; the same-lane case shows the head-of-line blocking lanes avoid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { createTopic, deleteTopic, plaintextOptions, uniqueName } from './env.js';
import { longPollFetch, topicIdOf } from './fetch-helpers.js';

const topic = uniqueName('net-lanes');
let pool: Pool;
let topicId: string;

before(async () => {
  pool = new Pool(plaintextOptions());
  await createTopic(pool, topic, 1);
  topicId = await topicIdOf(await pool.bootstrap(), topic);
});

after(async () => {
  await deleteTopic(pool, topic).catch(() => {});
  await pool.close();
});

test('a long-polling Fetch on the fetch lane does not delay Metadata (default) or FindCoordinator (group)', async () => {
  const broker = await pool.bootstrap();
  // Open the lanes first so connection setup is not part of what is compared.
  await broker.request(ApiKey.Metadata, { topics: [] }, { lane: 'group' });
  await longPollFetch(broker, topic, topicId, 0);
  const order: string[] = [];
  const fetch = longPollFetch(broker, topic, topicId, 2000).then(() => order.push('fetch'));
  await new Promise((r) => setTimeout(r, 20)); // the Fetch is on the wire and parked by the broker
  const metadata = broker.request(ApiKey.Metadata, { topics: [] }).then(() => order.push('metadata'));
  const coordinator = broker
    .request(ApiKey.FindCoordinator, (v: number) => (v >= 4 ? { keyType: 0, coordinatorKeys: ['g'] } : { key: 'g', keyType: 0 }), {
      lane: 'group',
    })
    .then(() => order.push('group'));
  await Promise.all([fetch, metadata, coordinator]);
  assert.deepEqual(order.slice(-1), ['fetch'], `the Fetch finishes last: ${order.join(', ')}`);
  assert.deepEqual(new Set(order.slice(0, 2)), new Set(['metadata', 'group']));
});

test('on one lane the broker answers in order: a request behind a long poll waits for it', async () => {
  const broker = await pool.bootstrap();
  const order: string[] = [];
  const fetch = longPollFetch(broker, topic, topicId, 500).then(() => order.push('fetch'));
  await new Promise((r) => setTimeout(r, 20));
  const metadata = broker.request(ApiKey.Metadata, { topics: [] }, { lane: 'fetch' }).then(() => order.push('metadata'));
  await Promise.all([fetch, metadata]);
  assert.deepEqual(order, ['fetch', 'metadata']);
});
