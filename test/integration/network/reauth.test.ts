// KIP-368 re-authentication on live connections against the real broker.
//
// A broker accepts re-authentication only on connections to which it announced a session lifetime, which it does
// when connections.max.reauth.ms is set for the listener and mechanism. The harness (scripts/kafka.mjs) sets it to a
// few seconds for every mechanism of the SASL_SSL listener (KafkaEnv.saslSessionLifetimeMs), so these tests watch
// several lifetimes pass. The first test shows the broker enforcing it: without re-authentication the connection is
// closed, which is what makes "the same connection all along" in the others evidence of re-authentication.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { ConnectionError } from '../../../src/errors.js';
import { kafkaEnvSync, saslSslOptions } from './env.js';

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

const ask = (broker: Awaited<ReturnType<Pool['bootstrap']>>, name: string): Promise<string | null> =>
  broker.request(ApiKey.Metadata, { topics: [{ name }], allowAutoTopicCreation: false }).then((md) => md.topics[0].name);

test('with re-authentication turned off, the broker closes the connection after the session lifetime', async () => {
  const lifetime = kafkaEnvSync().saslSessionLifetimeMs;
  const options = saslSslOptions('SCRAM-SHA-256');
  options.sasl!.reauthenticate = false;
  const pool = new Pool(options);
  try {
    const broker = await pool.bootstrap();
    assert.equal(broker.stats.sessionLifetimeMs, lifetime, 'the broker announced the configured lifetime');
    assert.equal(await ask(broker, 'before-expiry'), 'before-expiry');
    await new Promise((r) => setTimeout(r, lifetime + 500));
    // The broker checks the session when a request arrives after it expired, and closes the connection instead of
    // answering: the request fails retriably, the next one opens a new connection and authenticates again.
    await assert.rejects(ask(broker, 'after-expiry'), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      assert.equal(e.retriable, true);
      return true;
    });
    assert.equal(await ask(broker, 'reconnected'), 'reconnected');
    assert.equal(pool.connectAttempts, 2);
    assert.equal(broker.stats.reauthentications, 0);
  } finally {
    await pool.close();
  }
});

for (const mechanism of MECHANISMS) {
  test(`${mechanism}: re-authentication on the open connection while requests are in flight`, async () => {
    const pool = new Pool(saslSslOptions(mechanism));
    try {
      const broker = await pool.bootstrap();
      assert.equal(broker.stats.sessionLifetimeMs, kafkaEnvSync().saslSessionLifetimeMs, 'the broker announced a session lifetime');
      const names = Array.from({ length: 40 }, (_, i) => `reauth-${i}`);
      const first = names.slice(0, 20).map((n) => ask(broker, n));
      const reauth = broker.reauthenticate('default');
      const second = names.slice(20).map((n) => ask(broker, n));
      const [got, done] = await Promise.all([Promise.all([...first, ...second]), reauth]);
      assert.equal(done, true);
      assert.deepEqual(got, names, 'every request answered, each with its own response');
      assert.ok(broker.stats.reauthentications >= 1);
      assert.equal(pool.connectAttempts, 1, 'same connection: nothing was dropped or reopened');
    } finally {
      await pool.close();
    }
  });

  test(`${mechanism}: re-authenticates by itself before the session lifetime ends`, async () => {
    const pool = new Pool(saslSslOptions(mechanism));
    try {
      const broker = await pool.bootstrap();
      const lifetime = broker.stats.sessionLifetimeMs;
      assert.equal(lifetime, kafkaEnvSync().saslSessionLifetimeMs, 'the broker announced a session lifetime');
      // Keep using the connection well past the lifetime: without re-authentication the broker closes it.
      const until = Date.now() + lifetime * 2.5;
      while (Date.now() < until) {
        await broker.request(ApiKey.Metadata, { topics: [] });
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(broker.stats.reauthentications >= 2, `re-authenticated ${broker.stats.reauthentications} times`);
      assert.equal(pool.connectAttempts, 1, 'the broker never closed the connection');
    } finally {
      await pool.close();
    }
  });
}
