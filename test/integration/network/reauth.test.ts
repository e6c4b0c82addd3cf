// KIP-368 re-authentication on live connections against the real broker.
//
// A broker accepts re-authentication only on connections to which it announced a session lifetime, which it does
// when connections.max.reauth.ms is set for the listener and mechanism. The harness (scripts/kafka.mjs) must set
// listener.name.sasl_ssl.<mechanism>.connections.max.reauth.ms (a few seconds) for the lifetime tests to run;
// without it they are skipped with that message, and the first test checks that gregor then leaves the connection
// alone (a re-authentication attempt would be refused with ILLEGAL_SASL_STATE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { saslSslOptions } from './env.js';

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const NEEDS = (m: string) =>
  `the broker announced no session lifetime for ${m}: set listener.name.sasl_ssl.${m.toLowerCase()}.connections.max.reauth.ms ` +
  '(e.g. 5000) in scripts/kafka.mjs to run this test';

const ask = (broker: Awaited<ReturnType<Pool['bootstrap']>>, name: string): Promise<string> =>
  broker.request(ApiKey.Metadata, { topics: [{ name }], allowAutoTopicCreation: false }).then((md) => md.topics[0].name);

test('without a session lifetime, re-authentication is not attempted and the connection keeps working', async (t) => {
  const pool = new Pool(saslSslOptions('SCRAM-SHA-256'));
  try {
    const broker = await pool.bootstrap();
    if (broker.stats.sessionLifetimeMs > 0) {
      t.skip('the broker announces a session lifetime for SCRAM-SHA-256; the lifetime tests cover it');
      return;
    }
    assert.equal(await broker.reauthenticate('default'), false);
    assert.equal(await ask(broker, 'still-there'), 'still-there');
    assert.equal(pool.connectAttempts, 1);
    assert.equal(broker.stats.reauthentications, 0);
  } finally {
    await pool.close();
  }
});

for (const mechanism of MECHANISMS) {
  test(`${mechanism}: re-authentication on the open connection while requests are in flight`, async (t) => {
    const pool = new Pool(saslSslOptions(mechanism));
    try {
      const broker = await pool.bootstrap();
      if (broker.stats.sessionLifetimeMs === 0) {
        t.skip(NEEDS(mechanism));
        return;
      }
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

  test(`${mechanism}: re-authenticates by itself before the session lifetime ends`, async (t) => {
    const pool = new Pool(saslSslOptions(mechanism));
    try {
      const broker = await pool.bootstrap();
      const lifetime = broker.stats.sessionLifetimeMs;
      if (lifetime === 0 || lifetime > 20_000) {
        t.skip(NEEDS(mechanism));
        return;
      }
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
