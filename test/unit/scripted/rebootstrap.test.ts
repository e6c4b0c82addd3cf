// Rebootstrap (KIP-899, KIP-1102) against a scripted cluster: a broker answering Metadata with REBOOTSTRAP_REQUIRED,
// and brokers that stop answering Metadata for metadata.recovery.rebootstrap.trigger.ms. In both the client drops every
// connection it had and starts over from bootstrap.servers, on new connections, and reads on from its positions.
// The real-broker evidence (every broker replaced behind the bootstrap address) is R19, test/reliability/single.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.js';
import type { Reply } from '../../support/scripted-kafka.js';
import { HANG, TOPIC, describe, expected, scenario, take } from './helpers.js';

/** Metadata without node 1: node 1 then serves only as the bootstrap address, and the known brokers are 2 and 3. */
async function withoutNode1(next: () => Promise<Reply<typeof ApiKey.Metadata>>): Promise<Reply<typeof ApiKey.Metadata>> {
  const res = await next();
  return { ...res, brokers: (res.brokers ?? []).filter((b) => b?.nodeId !== 1) };
}

test('Metadata answered REBOOTSTRAP_REQUIRED: every connection is dropped, metadata comes again through the bootstrap address, fetching goes on', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 2, leaderEpoch: 1 });
    c.model.append(TOPIC, 0, 3);
  }, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    const before = describe(await take(consumer, 3));
    const connectionsBefore = Math.max(...c.requests(ApiKey.Fetch).map((r) => r.connection));
    const refused = c.mark();
    c.script(ApiKey.Metadata, async (_req, next) => ({ ...(await next()), errorCode: ErrorCode.REBOOTSTRAP_REQUIRED }));
    // A leader move makes the client ask for metadata.
    c.model.partition(TOPIC, 0).electLeader(3);
    c.model.append(TOPIC, 0, 3);
    const after = describe(await take(consumer, 3));
    assert.deepEqual([...before, ...after], expected(0, 6), 'no gap, no duplicate: the position is kept');

    const metadata = c.requests(ApiKey.Metadata, { after: refused });
    assert.ok(metadata.length >= 2, 'the refused Metadata, then one through the bootstrap address');
    const again = metadata[1];
    assert.equal(again.nodeId, 1, 'bootstrap.servers names node 1 only');
    assert.ok(again.connection > connectionsBefore, `a new connection (${again.connection}), not one of the ${connectionsBefore} before`);
    const first = c.requests(ApiKey.ApiVersions, { after: refused }).find((r) => r.connection === again.connection);
    assert.ok(first !== undefined && first.seq < again.seq, 'the new connection opened with ApiVersions');
    // Nothing more on the connections the client had before the rebootstrap.
    const old = c.requests(ApiKey.Fetch, { after: again.seq }).filter((r) => r.connection <= connectionsBefore);
    assert.deepEqual(old.map((r) => r.connection), []);
  });
});

test('metadata.recovery.strategy=none: REBOOTSTRAP_REQUIRED drops nothing, the metadata is asked for again on the same connections', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 2, leaderEpoch: 1 });
    c.model.append(TOPIC, 0, 3);
  }, { 'metadata.recovery.strategy': 'none' }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    await take(consumer, 3);
    const refused = c.mark();
    c.script(ApiKey.Metadata, async (_req, next) => ({ ...(await next()), errorCode: ErrorCode.REBOOTSTRAP_REQUIRED }));
    c.model.partition(TOPIC, 0).electLeader(3);
    c.model.append(TOPIC, 0, 3);
    assert.deepEqual(describe(await take(consumer, 3)), expected(3, 6));
    const metadata = c.requests(ApiKey.Metadata, { after: refused });
    assert.ok(metadata.length >= 2);
    assert.ok(metadata.every((r) => r.connection === metadata[0].connection),
      `Metadata on connections ${metadata.map((r) => r.connection).join(',')}: asked again on the refused one's`);
    const fetchConnection = c.requests(ApiKey.Fetch, { node: 2 })[0].connection;
    assert.equal(c.requests(ApiKey.ApiVersions, { after: refused }).filter((r) => r.nodeId === 2).length, 0,
      `no new connection to node 2 (its fetch connection ${fetchConnection} was kept)`);
  });
});

test('metadata.recovery.rebootstrap.trigger.ms: known brokers that accept connections but never answer Metadata are given up for the bootstrap address', async () => {
  await scenario((c) => {
    c.model.addTopic(TOPIC, 1, { leader: 2, leaderEpoch: 1 });
    c.model.append(TOPIC, 0, 3);
    c.handle(ApiKey.Metadata, (_req, next) => withoutNode1(next));
  }, { 'metadata.recovery.rebootstrap.trigger.ms': 1000, 'request.timeout.ms': 300 }, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
    await take(consumer, 3);
    const hung = c.mark();
    // The known brokers stop answering Metadata (their connections stay up; new ones connect fine).
    c.handle(ApiKey.Metadata, (req, next) => (req.nodeId === 1 ? withoutNode1(next) : HANG));
    c.model.partition(TOPIC, 0).electLeader(3);
    c.model.append(TOPIC, 0, 3);
    assert.deepEqual(describe(await take(consumer, 3)), expected(3, 6));
    const metadata = c.requests(ApiKey.Metadata, { after: hung });
    const rebootstrapped = metadata.findIndex((r) => r.nodeId === 1);
    assert.ok(rebootstrapped > 0, `metadata through the bootstrap address after unanswered ones: ${metadata.map((r) => r.nodeId).join(',')}`);
    assert.ok(metadata.slice(0, rebootstrapped).every((r) => r.nodeId !== 1));
  });
});

// A broker in controlled shutdown (or starting up) can answer Metadata naming no broker at all: KRaft lists only
// unfenced brokers. R19 once saw the client take that answer, forget every broker, and reach the bootstrap address
// with metadata.recovery.strategy=none. Such an answer is a failed refresh: the known brokers stay.
for (const strategy of ['none', 'rebootstrap'] as const) {
  test(`metadata.recovery.strategy=${strategy}: a Metadata answer naming no broker is ignored, the bootstrap address is not asked again`, async () => {
    await scenario((c) => {
      c.model.addTopic(TOPIC, 1, { leader: 2, leaderEpoch: 1 });
      c.model.append(TOPIC, 0, 3);
      c.handle(ApiKey.Metadata, (_req, next) => withoutNode1(next));
    }, { 'metadata.recovery.strategy': strategy }, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }]);
      assert.deepEqual(describe(await take(consumer, 3)), expected(0, 3));
      const emptied = c.mark();
      let empty = 2;
      c.handle(ApiKey.Metadata, async (_req, next) => {
        const res = await withoutNode1(next);
        return empty-- > 0 ? { ...res, brokers: [] } : res;
      });
      c.model.partition(TOPIC, 0).electLeader(3);
      c.model.append(TOPIC, 0, 3);
      assert.deepEqual(describe(await take(consumer, 3)), expected(3, 6), 'read on from the position');
      const metadata = c.requests(ApiKey.Metadata, { after: emptied });
      assert.ok(metadata.length >= 3, `the two answers naming no broker, then one that names them: ${metadata.length}`);
      const toBootstrap = [...c.requests(ApiKey.ApiVersions, { node: 1, after: emptied }), ...c.requests(ApiKey.Metadata, { node: 1, after: emptied })];
      assert.deepEqual(toBootstrap.map((r) => r.apiKey), [], 'nothing went to node 1, which only the bootstrap address leads to');
    });
  });
}
