// Request timeouts against a scripted cluster that stops answering: every TimeoutError reaches whoever made the
// request (or the layer that retries it), never the process as an unhandled rejection. A library that lets one
// escape crashes its host (Node's default for an unhandled rejection): a bench client died of a TimeoutError from
// Connection.onTimeout while its broker's request handlers were blocked. The real-broker evidence (a broker process
// stopped with SIGSTOP beyond request.timeout.ms) is R22, test/reliability/single.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectCluster } from '../../../src/cluster/connect.js';
import { resolveConfig } from '../../../src/config/index.js';
import { isGregorError } from '../../../src/errors.js';
import { ApiKey } from '../../../src/protocol/index.js';
import type { Consumer, Message } from '../../../src/index.js';
import { GROUP, HANG, ScriptedCluster, TOPIC, describe, scenario, take } from './helpers.js';
import { unhandledDuring } from '../../support/unhandled.js';

const API_KEYS = Object.values(ApiKey) as number[];

/** Polls (errors are expected meanwhile: typed ones only) until the message `wanted` (as describe() writes it) came. */
async function pollUntilSeen(consumer: Consumer, wanted: string, timeoutMs = 15_000): Promise<Message[]> {
  const out: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!describe(out).includes(wanted)) {
    if (Date.now() > deadline) throw new Error(`${wanted} not delivered; got ${describe(out).join(' ')}`);
    try {
      const m = await consumer.poll(50);
      if (m !== null) out.push(m);
    } catch (err) {
      assert.ok(isGregorError(err), `untyped poll() error: ${String(err)}`);
    }
  }
  return out;
}

test('a metadata refresh given an aborted signal while another is in flight: its queued request times out later, handled (the first caller gets the TimeoutError)', async () => {
  const c = await ScriptedCluster.start([1]);
  c.model.addTopic(TOPIC, 1, { leader: 1 });
  c.model.addTopic('other', 1, { leader: 1 });
  const cluster = connectCluster(resolveConfig('consumer', {
    'bootstrap.servers': c.bootstrap, 'request.timeout.ms': 200, 'gregor.log.level': 'error',
  }));
  try {
    c.handle(ApiKey.Metadata, () => HANG);
    const unhandled = await unhandledDuring(async () => {
      const first = cluster.refreshMetadata([TOPIC]);
      await c.waitFor(ApiKey.Metadata);
      const gone = new AbortController();
      gone.abort();
      // Not covered by the refresh in flight: queued behind it. The caller leaves at once (its signal is aborted).
      const second = cluster.refreshMetadata(['other'], { signal: gone.signal });
      await assert.rejects(second, (err: unknown) => isGregorError(err) && err.code === 'ERR_ABORTED');
      await assert.rejects(first, (err: unknown) => isGregorError(err) && err.code === 'ERR_TIMEOUT');
      // The queued refresh now runs and times out too; a third caller shares it and gets its TimeoutError.
      await c.waitFor(ApiKey.Metadata, { where: (r) => (r.body.topics ?? []).some((t) => t.name === 'other') });
      await assert.rejects(cluster.refreshMetadata(['other']), (err: unknown) => isGregorError(err));
    });
    assert.deepEqual(unhandled.map(String), []);
  } finally {
    await cluster.close();
    await c.close();
  }
});

test('every broker silent for several request timeouts (ApiVersions of new connections included): no unhandled rejection, poll() errors are typed, reading resumes', async () => {
  let unhandled: unknown[] = [];
  await scenario((c) => {
    c.model.addTopic(TOPIC, 2, { leader: 1 });
    c.model.coordinator = 2;
    c.model.append(TOPIC, 0, 3);
    c.model.append(TOPIC, 1, 3);
  }, {
    'group.id': GROUP, 'auto.offset.reset': 'earliest', 'request.timeout.ms': 150, 'default.api.timeout.ms': 400,
    'session.timeout.ms': 3000, 'heartbeat.interval.ms': 50, 'auto.commit.interval.ms': 50,
  }, async (c, consumer) => {
    unhandled = await unhandledDuring(async () => {
      consumer.subscribe([TOPIC]);
      const before = await take(consumer, 6);
      assert.equal(before.length, 6);
      const silent = c.mark();
      for (const k of API_KEYS) c.handle(k as never, () => HANG);
      const errors: unknown[] = [];
      // Polling on while fetches, heartbeats, auto-commits, metadata refreshes and new connections' ApiVersions time
      // out, each more than once (after 150 ms each).
      while (c.requests(ApiKey.ApiVersions, { after: silent }).length < 4) {
        try {
          await consumer.poll(50);
        } catch (err) {
          errors.push(err);
        }
      }
      assert.ok(errors.every((e) => isGregorError(e)), `untyped poll() errors: ${errors.map(String).join('; ')}`);
      for (const k of API_KEYS) c.handle(k as never, undefined);
      c.model.append(TOPIC, 0, 2);
      // At least once: what the silence cut off may come again, but the records written after it do come.
      const after = describe(await pollUntilSeen(consumer, `${TOPIC}[0]@4=v4`));
      assert.ok(after.includes(`${TOPIC}[0]@3=v3`), `records after the silence: ${after.join(' ')}`);
    });
  });
  assert.deepEqual(unhandled.map(String), []);
});
