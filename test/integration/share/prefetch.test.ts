// The fetch-ahead bound (src/consumer/share/prefetch.ts) on the real broker: a share consumer acquires no more
// records ahead of its application than the application handles within half a lock, so a slow handler sees no
// acquisition lock run out on records it was never handed (each such expiry would raise the record's delivery count
// for nothing). 300 records, a run() handler taking 60 ms each: 18 s of work, more than the 15 s lock. Fetching
// max.poll.records (500) ahead, as before, acquired all 300 at once and about 50 expired in the buffer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ShareMessage } from '../../../src/index.js';
import { makeTopic, produceRecords, shareConsumer, shareGroup, sleep } from './support.js';

const RECORDS = 300;
const HANDLER_MS = 60;

test('a slow run() handler: nothing acquired ahead expires, every record handled once with deliveryCount 1', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('share-prefetch', 1);
  const group = await shareGroup('share-prefetch');
  // Written as batches of 20 records (batch_optimized acquisition hands out whole batches).
  for (let b = 0; b < RECORDS / 20; b++) {
    await produceRecords(topic, Array.from({ length: 20 }, (_, i) => ({ partition: 0, key: null, value: `v${b * 20 + i}` })));
  }
  const c = await shareConsumer(group);
  const got: ShareMessage[] = [];
  try {
    c.subscribe([topic]);
    const stop = new AbortController();
    const running = c.run({
      signal: stop.signal,
      eachMessage: async (m) => {
        got.push(m);
        await sleep(HANDLER_MS);
        if (new Set(got.map((r) => r.offset)).size >= RECORDS) stop.abort();
      },
    });
    const summary = await running;
    await c.commit();
    const m = c.metrics();
    assert.equal(m.lockExpiries, 0, `lock expiries: ${m.lockExpiries}`);
    assert.equal(m.acknowledgementFailures, 0);
    assert.equal(new Set(got.map((r) => r.offset)).size, RECORDS);
    assert.equal(got.length, RECORDS, 'a record handled twice');
    assert.ok(got.every((r) => r.deliveryCount === 1), 'a record came back with its delivery count raised');
    assert.equal(summary.handled, RECORDS);
    // Not all acquired up front: more than one ShareFetch brought records.
    assert.ok(m.requests.shareFetch > 2, `ShareFetch requests: ${m.requests.shareFetch}`);
  } finally {
    await c.close();
  }
});
