// A record acquired again by the member that still holds it (KIP-932): the broker hands a record out anew once the
// lock it was under is gone (the lock expired, its leader died or moved, a share session was reset), and the member
// whose application still has it may be the one that acquires it. The held record must follow the new lock: the
// application's acknowledgement of the copy it has is applied by the broker, and the copy is not handed out twice.
// Here the lock expires while the application holds the record and the member's fetcher (which keeps asking for at
// least one record) acquires it again. Seen first in the R21 broker-kill row, where acknowledge() threw "not held".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ShareMessage } from '../../../src/index.js';
import { LOCK_MS, makeTopic, produceRecords, shareConsumer, shareGroup, until } from './support.js';

test('a record acquired again while held: the application acknowledges the copy it has, the broker applies it, and it is handed out once', { timeout: 120_000 }, async () => {
  const topic = await makeTopic('share-reacquire', 1);
  const group = await shareGroup('share-reacquire');
  const c = await shareConsumer(group, { 'share.acknowledgement.mode': 'explicit' });
  try {
    c.subscribe([topic]);
    await produceRecords(topic, [{ partition: 0, key: null, value: 'held across its lock' }]);
    let got: ShareMessage[] = [];
    await until('the record handed out', async () => (got = await c.poll(500)).length > 0, 60_000);
    assert.equal(got.length, 1);
    assert.equal(got[0].deliveryCount, 1);
    // The application keeps the record past its lock; the fetcher acquires it again (delivery 2 on the broker).
    await until('the record acquired again', () => c.metrics().reacquired >= 1, 3 * LOCK_MS);
    assert.equal(c.metrics().reacquired, 1);
    c.acknowledge(got[0], 'accept');
    await c.commit();
    const m = c.metrics();
    assert.equal(m.acknowledgements.accept, 1);
    assert.equal(m.acknowledgementFailures, 0);
    assert.equal(m.delivered, 1, 'the record was handed out twice');
    // Accepted: nothing comes again.
    const again: ShareMessage[] = [];
    const end = Date.now() + 2_000;
    while (Date.now() < end) again.push(...await c.poll(200));
    assert.deepEqual(again.map((r) => String(r.offset)), []);
  } finally {
    await c.close();
  }
});
