// Pass item of issue 14: lock renewal (KIP-1222). A run() handler that takes three lock durations keeps its record:
// run() renews the acquisition lock while the handler runs, another member polling all the while never gets the
// record, and the final accept is applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ShareMessage } from '../../../src/index.js';
import { LOCK_MS, makeTopic, produceRecords, shareConsumer, shareGroup, sleep } from './support.js';

test('renew keeps a record whose handler runs for 3x the lock duration from being redelivered', { timeout: 150_000 }, async () => {
  const topic = await makeTopic('share-renew', 1);
  const group = await shareGroup('share-renew');
  const slow = await shareConsumer(group);
  const other = await shareConsumer(group);
  try {
    slow.subscribe([topic]);
    await produceRecords(topic, [{ partition: 0, key: null, value: 'long job' }]);
    let started = 0;
    const stop = new AbortController();
    const running = slow.run({
      signal: stop.signal,
      eachMessage: async (m) => {
        started = Date.now();
        assert.equal(m.deliveryCount, 1);
        await sleep(3 * LOCK_MS);
        stop.abort();
      },
    });
    while (started === 0) await sleep(50);
    // A second member polls for the whole time the handler runs: the record is locked to the first.
    other.subscribe([topic]);
    const stolen: ShareMessage[] = [];
    while (!stop.signal.aborted) stolen.push(...await other.poll(500));
    const summary = await running;
    assert.deepEqual(stolen.map((m) => String(m.offset)), [], 'the record was redelivered while its handler ran');
    assert.equal(summary.handled, 1);
    assert.ok(summary.renewals >= 4, `renewals: ${summary.renewals}`);
    await slow.commit();
    const m = slow.metrics();
    assert.equal(m.acknowledgements.accept, 1);
    assert.ok(m.acknowledgements.renew >= 4);
    assert.equal(m.acknowledgementFailures, 0);
    assert.equal(m.lockExpiries, 0);
  } finally {
    await slow.close();
    await other.close();
  }
});
