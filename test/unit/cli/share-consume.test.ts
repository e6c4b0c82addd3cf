// The `consume --share` adapter over a stand-in share consumer: a record is accepted once the loop asks for the next
// (it was printed), the one handed out last is accepted at close(), and what was fetched but never handed out is
// released at close(); the share consumer's poll() is asked only when the batch is used up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareCliConsumer, type ShareCliMessage, type ShareConsumerLike } from '../../../src/cli/share-consume.js';

const rec = (offset: number): ShareCliMessage => ({
  topic: 't', partition: 0, offset: BigInt(offset), key: null, value: Buffer.from(`v${offset}`), headers: [], timestamp: 0, deliveryCount: 1,
});

function stub(batches: ShareCliMessage[][]): ShareConsumerLike<ShareCliMessage> & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    subscribe: (topics) => { log.push(`subscribe ${topics.join(',')}`); },
    poll: async () => { log.push('poll'); return batches.shift() ?? []; },
    acknowledge: (r, type) => { log.push(`${type} ${r.offset}`); },
    close: async () => { log.push('close'); },
  };
}

test('consume --share: accept when the next record is asked for; at close the last printed is accepted, the unprinted released', async () => {
  const s = stub([[rec(0), rec(1), rec(2)], [], [rec(3)]]);
  const c = new ShareCliConsumer(s);
  c.subscribe(['t']);
  assert.equal((await c.poll(10))?.offset, 0n);
  assert.equal((await c.poll(10))?.offset, 1n);
  await c.close();
  assert.deepEqual(s.log, ['subscribe t', 'poll', 'accept 0', 'accept 1', 'release 2', 'close']);
});

test('consume --share: an empty poll is null; the next batch is asked for only when the last is used up', async () => {
  const s = stub([[rec(0)], [], [rec(1)]]);
  const c = new ShareCliConsumer(s);
  assert.equal((await c.poll(10))?.offset, 0n);
  assert.equal(await c.poll(10), null);
  assert.equal((await c.poll(10))?.offset, 1n);
  await c.close();
  assert.deepEqual(s.log, ['poll', 'accept 0', 'poll', 'poll', 'accept 1', 'close']);
});
