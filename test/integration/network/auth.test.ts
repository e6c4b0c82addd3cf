// Refused credentials: a typed, non-retriable AuthenticationError within seconds, and no reconnect storm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { AuthenticationError } from '../../../src/errors.js';
import { kafkaEnvSync, literal, saslSslOptions } from './env.js';

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`${mechanism} with a wrong password: AuthenticationError, then no further connection attempts`, async () => {
    const wrong = 'definitely-not-the-password';
    const pool = new Pool(saslSslOptions(mechanism, { reconnectBackoffMs: 10, reconnectBackoffMaxMs: 20 }));
    const base = saslSslOptions(mechanism);
    base.sasl!.password = wrong;
    const badPool = new Pool({ ...base, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 20 });
    try {
      const started = Date.now();
      const err = await badPool.bootstrap().then(
        () => assert.fail('authentication should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof AuthenticationError, `got ${String(err)}`);
      assert.equal(err.code, 'ERR_AUTHENTICATION');
      assert.equal(err.retriable, false);
      assert.match(err.message, new RegExp(`${mechanism}.*${literal(kafkaEnvSync().saslSslBootstrap)}`));
      assert.ok(!err.message.includes(wrong), 'the password is not in the message');
      assert.ok(!JSON.stringify(err).includes(wrong), 'nor in the serialised error');
      assert.ok(Date.now() - started < 10_000, 'reported within seconds, not after bootstrap.timeout');

      // Many more calls, well past several backoff periods: all fail with the same error, none reconnects.
      for (let i = 0; i < 20; i++) {
        await assert.rejects(badPool.bootstrap(), AuthenticationError);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(badPool.connectAttempts, 1, 'exactly one connection attempt');

      // The right password on the same listener still works (the broker did not lock anything).
      const broker = await pool.bootstrap();
      await broker.request(ApiKey.Metadata, { topics: [] });
    } finally {
      await badPool.close();
      await pool.close();
    }
  });
}

// Every mechanism gregor implements is enabled on the harness's SASL_SSL listener, so the broker's "not enabled"
// answer (UNSUPPORTED_SASL_MECHANISM with the enabled list; its shape is checked against the real broker in
// test/integration/protocol/broker-txn-sasl.test.ts) is turned into an AuthenticationError in
// test/unit/network/sasl-authenticate.test.ts. What the real broker can refuse here is SASL itself:
test('SASL against the PLAINTEXT listener: the broker refuses the handshake; AuthenticationError, one attempt', async () => {
  const env = kafkaEnvSync();
  const pool = new Pool({
    bootstrapServers: env.bootstrap,
    securityProtocol: 'SASL_PLAINTEXT',
    sasl: { mechanism: 'PLAIN', username: env.users.PLAIN.username, password: env.users.PLAIN.password },
    reconnectBackoffMs: 10,
    reconnectBackoffMaxMs: 20,
  });
  try {
    await assert.rejects(pool.bootstrap(), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError, String(e));
      assert.equal(e.retriable, false);
      assert.match(e.message, new RegExp(`SASL handshake with broker ${literal(env.bootstrap)} failed: ILLEGAL_SASL_STATE`));
      assert.ok(!e.message.includes(env.users.PLAIN.password), 'the password is not in the message');
      return true;
    });
    await assert.rejects(pool.bootstrap(), AuthenticationError);
    assert.equal(pool.connectAttempts, 1);
  } finally {
    await pool.close();
  }
});
