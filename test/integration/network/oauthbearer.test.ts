// SASL OAUTHBEARER (KIP-255) against the real broker. The harness's SASL_SSL listener validates unsecured tokens
// (unsigned JWTs with "sub" and "exp": helpers/kafka.ts unsecuredToken()), so gregor's token provider contract,
// extensions (KIP-342), refusals and KIP-368 re-authentication with a fresh token run without an identity provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '../../../src/network/pool.js';
import { ApiKey } from '../../../src/protocol/index.js';
import { AuthenticationError } from '../../../src/errors.js';
import type { OAuthTokenProvider } from '../../../src/network/options.js';
import { kafkaEnvSync, literal, oauthBearerOptions, unsecuredToken } from './env.js';

/** A provider that mints a new token (same subject, later expiry) per call and counts the calls. */
function minting(lifetimeMs?: number): { provider: OAuthTokenProvider; calls: () => number } {
  let calls = 0;
  return {
    provider: () => {
      calls += 1;
      return unsecuredToken({ lifetimeMs });
    },
    calls: () => calls,
  };
}

test('an unsigned token is accepted: bootstrap, Metadata, one provider call, the listener session lifetime', async () => {
  const { provider, calls } = minting();
  const pool = new Pool(oauthBearerOptions(provider));
  try {
    const broker = await pool.bootstrap();
    const md = await broker.request(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false });
    assert.ok(md.brokers.length >= 1);
    assert.equal(calls(), 1);
    // The token lives an hour: the listener's connections.max.reauth.ms is the shorter bound.
    assert.equal(broker.stats.sessionLifetimeMs, kafkaEnvSync().saslSessionLifetimeMs);
    assert.equal(pool.connectAttempts, 1);
  } finally {
    await pool.close();
  }
});

test('SASL extensions (KIP-342) travel with the token and the broker accepts them', async () => {
  const pool = new Pool(oauthBearerOptions(async () => ({ value: unsecuredToken(), extensions: { traceId: 'gregor-it', tenant: 'blue' } })));
  try {
    const broker = await pool.bootstrap();
    await broker.request(ApiKey.Metadata, { topics: [] });
  } finally {
    await pool.close();
  }
});

for (const [what, token] of [
  ['an expired token', () => unsecuredToken({ lifetimeMs: -60_000 })],
  ['a token without an "exp" claim', () => unsecuredToken({ claims: { exp: undefined } })],
  ['a token without a "sub" claim', () => unsecuredToken({ claims: { sub: undefined } })],
] as const) {
  test(`${what} is refused: AuthenticationError with the broker's reason, not retried`, async () => {
    const value = token();
    const pool = new Pool(oauthBearerOptions(() => value, { reconnectBackoffMs: 10, reconnectBackoffMaxMs: 20 }));
    try {
      const err = await pool.bootstrap().then(() => assert.fail('must be refused'), (e: unknown) => e);
      assert.ok(err instanceof AuthenticationError, String(err));
      assert.equal(err.retriable, false);
      assert.match(err.message, new RegExp(`OAUTHBEARER.*${literal(kafkaEnvSync().saslSslBootstrap)}.*SASL_AUTHENTICATION_FAILED`));
      // The broker's error document (RFC 7628 section 3.2.2) names the status, never the token.
      assert.match(err.message, /invalid_token/);
      assert.ok(!err.message.includes(value), 'the token is not in the message');
      await assert.rejects(pool.bootstrap(), AuthenticationError);
      assert.equal(pool.connectAttempts, 1);
    } finally {
      await pool.close();
    }
  });
}

test('a token that expires before the listener lifetime bounds the session; re-authentication fetches a new token', async () => {
  // The broker announces min(token expiry, connections.max.reauth.ms) as the session lifetime (KIP-368).
  const tokenLifetimeMs = Math.min(3000, kafkaEnvSync().saslSessionLifetimeMs - 1000);
  const { provider, calls } = minting(tokenLifetimeMs);
  const pool = new Pool(oauthBearerOptions(provider));
  try {
    const broker = await pool.bootstrap();
    const lifetime = broker.stats.sessionLifetimeMs;
    assert.ok(lifetime > 0 && lifetime <= tokenLifetimeMs, `session lifetime ${lifetime} ms, token ${tokenLifetimeMs} ms`);
    // Use the connection across several token lifetimes: each re-authentication must present a fresh token (an
    // expired one is refused, and then the broker would close the connection).
    const until = Date.now() + tokenLifetimeMs * 3;
    while (Date.now() < until) {
      await broker.request(ApiKey.Metadata, { topics: [] });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(broker.stats.reauthentications >= 2, `re-authenticated ${broker.stats.reauthentications} times`);
    assert.equal(calls(), 1 + broker.stats.reauthentications, 'one token per authentication');
    assert.equal(pool.connectAttempts, 1, 'the broker never closed the connection');
  } finally {
    await pool.close();
  }
});

test('re-authenticating as another principal is refused by the broker: the connection closes, the next use reconnects', async () => {
  let sub = 'oauth-alice';
  const pool = new Pool(oauthBearerOptions(() => unsecuredToken({ sub })));
  try {
    const broker = await pool.bootstrap();
    sub = 'oauth-bob';
    // KIP-368: a re-authentication must keep the connection's principal; the broker refuses the new token.
    await assert.rejects(broker.reauthenticate('default'), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError, String(e));
      assert.match(e.message, /Cannot change principals during re-authentication/);
      return true;
    });
    assert.equal(broker.connection('default'), undefined, 'the refused connection is closed');
    // A new connection may authenticate as anyone the broker accepts.
    await broker.request(ApiKey.Metadata, { topics: [] });
    assert.equal(pool.connectAttempts, 2);
  } finally {
    await pool.close();
  }
});
