// Incremental fetch sessions (KIP-227) against a scripted broker that keeps them: after one full Fetch, requests
// list only the partitions whose fetch parameters changed, and the broker answers for any partition of the session
// that has something new. When the broker loses the session (FETCH_SESSION_ID_NOT_FOUND) or the epochs disagree
// (INVALID_FETCH_SESSION_EPOCH), the consumer starts over with a full Fetch from where each partition is, without
// gap or duplicate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '../../../src/protocol/index.js';
import { TOPIC, describe, expected, scenario, take, type ScriptedCluster } from './helpers.js';
import type { Received } from '../../support/scripted-broker.js';

function twoPartitionsWithSessions(c: ScriptedCluster): void {
  c.model.fetchSessions.enabled = true;
  c.model.addTopic(TOPIC, 2, { leader: 1 });
  c.model.append(TOPIC, 0, 3);
}

/** `[partition]@offset` for each partition a Fetch lists. */
function listed(r: Received<typeof ApiKey.Fetch>): string[] {
  return (r.body.topics ?? []).flatMap((t) => (t.partitions ?? []).map((p) => `[${p.partition}]@${p.fetchOffset}`)).sort();
}

const sorted = (xs: string[]): string[] => [...xs].sort();

test('incremental Fetch: an unchanged partition is left out of the request, and its new records still arrive', async () => {
  await scenario(twoPartitionsWithSessions, {}, async (c, consumer) => {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }, { topic: TOPIC, partition: 1, offset: 0 }]);
    assert.deepEqual(describe(await take(consumer, 3)), expected(0, 3, 0));
    // The incremental Fetch after the first answer lists t[0] (its offset moved) and not t[1] (nothing changed).
    const incremental = await c.waitFor(ApiKey.Fetch, { where: (r) => r.body.sessionEpoch === 1 });
    assert.deepEqual(listed(incremental), ['[0]@3']);
    c.model.append(TOPIC, 1, 2);
    assert.deepEqual(describe(await take(consumer, 2)), expected(0, 2, 1));

    const fetches = c.requests(ApiKey.Fetch);
    assert.deepEqual([fetches[0].body.sessionId, fetches[0].body.sessionEpoch], [0, 0], 'the session starts with a full Fetch');
    assert.deepEqual(listed(fetches[0]), ['[0]@0', '[1]@0']);
    assert.deepEqual(c.model.fetchSessions.created, [1]);
    assert.ok(fetches.slice(1).every((f) => f.body.sessionId === 1), 'every later Fetch is in that session');
    assert.ok(fetches.slice(1).every((f) => !listed(f).includes('[1]@0')), 't[1] at offset 0 is never listed again');
  });
});

for (const { what, code, fault } of [
  { what: 'the broker lost the session', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, fault: (c: ScriptedCluster) => c.model.fetchSessions.evict(1) },
  {
    what: 'the session epochs disagree',
    code: ErrorCode.INVALID_FETCH_SESSION_EPOCH,
    fault: (c: ScriptedCluster) => c.script(ApiKey.Fetch, { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] }),
  },
]) {
  test(`${what} (${code === ErrorCode.FETCH_SESSION_ID_NOT_FOUND ? 'FETCH_SESSION_ID_NOT_FOUND' : 'INVALID_FETCH_SESSION_EPOCH'}): a full Fetch from the current positions, no gap or duplicate`, async () => {
    await scenario(twoPartitionsWithSessions, {}, async (c, consumer) => {
      consumer.assign([{ topic: TOPIC, partition: 0, offset: 0 }, { topic: TOPIC, partition: 1, offset: 0 }]);
      c.model.append(TOPIC, 1, 2);
      assert.deepEqual(sorted(describe(await take(consumer, 5))), sorted([...expected(0, 3, 0), ...expected(0, 2, 1)]));
      await c.waitFor(ApiKey.Fetch, { where: (r) => (r.body.sessionEpoch ?? 0) > 0 });
      // The Fetch in flight now is answered in its session; the fault meets the one after it.
      const faulted = c.mark();
      fault(c);
      c.model.append(TOPIC, 0, 2);
      c.model.append(TOPIC, 1, 2);
      assert.deepEqual(sorted(describe(await take(consumer, 4))), sorted([...expected(3, 5, 0), ...expected(2, 4, 1)]));
      const restart = await c.waitFor(ApiKey.Fetch, { after: faulted, where: (r) => r.body.sessionEpoch === 0 });
      const refused = c.requests(ApiKey.Fetch, { after: faulted }).filter((r) => r.seq < restart.seq);
      assert.equal(refused.length, 1, 'one Fetch refused, then a full one');
      assert.deepEqual(listed(restart), ['[0]@5', '[1]@4'], 'the full Fetch lists every partition at its position');
      if (code === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) assert.equal(restart.body.sessionId, 0, 'a new session is asked for');
      c.model.append(TOPIC, 0, 1);
      c.model.append(TOPIC, 1, 1);
      assert.deepEqual(sorted(describe(await take(consumer, 2))), sorted([...expected(5, 6, 0), ...expected(4, 5, 1)]));
      assert.equal(c.model.fetchSessions.created.length, 2);
    });
  });
}
